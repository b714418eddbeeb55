"""A session's hold on its training jobs, kept across a reload and a network drop.

**A session's hold on its trainings** (:func:`session_claim`, :func:`hold_training`):
Streamlit releases a session's resources, and with them its hold on its training jobs, as soon
as its browser disconnects; the jobs then wait ``server.disconnectedSessionTTL`` for a session
to hold them again (``cnnviz.training.registry``): a reload's new session by the ``?run=``
address, or the same session coming back after a network drop. Both on whatever page it is:
``app.py`` calls :func:`hold_training` every run, and that keeps ``?run=`` in the address on
every page (a menu link drops the query parameters), so an F5 anywhere finds the run again.
"""

from __future__ import annotations

import streamlit as st

from cnnviz import training_messages as messages
from cnnviz.training.registry import TabClaim

TRAINING_TOKEN_KEY = "training_run_token"  # the registry token of this session's jobs
RUN_PARAMETER = "run"  # ?run=<token>: the tab's jobs, found again after a reload


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
    """(app.py, every run, on every page.) Hold this session's jobs again if it lost its hold,
    and keep their token in the address.

    A session back from a network drop kept its state (its token) but lost its hold; a reload
    is a new session, with only the address's token. Start files the jobs in a callback, so the
    run after it already holds a token to write into the address.
    """
    claim = session_claim()
    if claim.token is None:
        find_training_again(claim)
    if claim.token is not None:
        st.session_state[TRAINING_TOKEN_KEY] = claim.token
        if st.query_params.get(RUN_PARAMETER) != claim.token:
            st.query_params[RUN_PARAMETER] = claim.token


def find_training_again(claim: TabClaim) -> None:
    """Claim the session's own token, or the address's after a reload; a token whose jobs
    are gone is forgotten (a reload's address says so on the Live training page)."""
    held = st.session_state.get(TRAINING_TOKEN_KEY)
    token = held or st.query_params.get(RUN_PARAMETER)
    if token is None:
        return
    jobs = claim.claim(token)
    if jobs is None:  # a session's own jobs (abandoned) say what became of them
        st.session_state.pop(TRAINING_TOKEN_KEY, None)
        st.query_params.pop(RUN_PARAMETER, None)
        if held is None:
            st.session_state.training_notice = messages.run_gone(session_ttl_s())
        return
    st.session_state.training_jobs = jobs
    if held is None:
        st.toast(messages.FOUND_AGAIN)
