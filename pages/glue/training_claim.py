"""A session's hold on its training jobs, kept across a network drop.

**A session's hold on its trainings** (:func:`session_claim`, :func:`hold_training`):
Streamlit releases a session's resources, and with them its hold on its training jobs, as soon
as its browser disconnects; the jobs then wait ``server.disconnectedSessionTTL`` for a session
to hold them again (``cnnviz.training.registry``): a reload's new session by the ``?run=``
address (the Live training page), or the same session coming back after a network drop, on
whatever page it is (:func:`hold_training`, which ``app.py`` calls every run).
"""

from __future__ import annotations

import streamlit as st

from cnnviz.training.registry import TabClaim

TRAINING_TOKEN_KEY = "training_run_token"  # the registry token of this session's jobs


# Session-scoped, so Streamlit calls `on_release` when the browser disconnects: a job must not
# keep training (and holding the server's training slot) for a tab that is gone, unless a
# session holds it again within the grace period (cnnviz.training.registry). Python's garbage
# collector would find the jobs too, but only whenever it next runs a full collection.
@st.cache_resource(scope="session", on_release=TabClaim.release)
def session_claim() -> TabClaim:
    """This session's hold on its jobs, model key → TrainingJob (running or finished)."""
    return TabClaim(grace_s=session_ttl_s())


def session_ttl_s() -> float:
    """How long a closed tab's runs wait for the tab to come back: as long as Streamlit keeps
    a disconnected session for its browser (``server.disconnectedSessionTTL``)."""
    return float(st.get_option("server.disconnectedSessionTTL"))


def hold_training() -> None:
    """(app.py, every run.) A session that came back after its browser disconnected (a network
    drop) kept its state but lost its hold on its jobs: hold them again before the grace
    period ends. Nothing to do for a session that never trained or still holds its jobs."""
    token = st.session_state.get(TRAINING_TOKEN_KEY)
    if token is None:
        return
    claim = session_claim()
    if claim.token is None:
        jobs = claim.claim(token)
        if jobs is None:  # gone: the page's own jobs (abandoned) say what became of them
            del st.session_state[TRAINING_TOKEN_KEY]
        else:
            st.session_state.training_jobs = jobs
