"""The router check: a page that Streamlit ran past ``app.py`` runs ``app.py`` instead.

Each page script calls :func:`through_the_router` first; ``app.py`` runs its navigation inside
:func:`routed`.

**Legacy runs.** Streamlit 1.67 decides per server process, when the first session starts,
whether the app is a legacy ``pages/`` app (``PagesManager.uses_pages_directory``: true whenever
a ``pages/`` folder exists), and only ``st.navigation`` clears that. While it is set, every run
that starts runs the requested page directly (``_mpa_v1``), past ``app.py``: Streamlit's raw
page list, no wide layout, no class panel. That is what a deep link such as
``/pooling?class=K7RW3M`` gets as the first visit after the server starts, and what every tab
that reconnects at that moment gets (after a restart a whole class reconnects at once).

So the check does not read the flag, which one session clears while another's legacy run is
already under way: it asks whether *this* run came through ``app.py``'s navigation (a flag of
the run's own thread, set by :func:`routed`). A page run any other way clears Streamlit's flag
as ``st.navigation`` would have, and runs ``app.py`` in its place within the same run, so a click
that started the run still counts. (Streamlit's AppTest resets the flag before every run, so
there every page run comes this way.)
"""

from __future__ import annotations

import runpy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

from cnnviz import PROJECT_ROOT

ROUTER = PROJECT_ROOT / "app.py"

# Each session's runs happen on its script runner's thread, one at a time.
_this_run = threading.local()


@contextmanager
def routed() -> Iterator[None]:
    """``app.py``'s navigation runs the page inside this: the page then knows it was routed."""
    _this_run.routed = True
    try:
        yield
    finally:
        _this_run.routed = False


def through_the_router() -> None:
    """Run ``app.py`` instead when Streamlit ran this page past it (see the module docstring).

    ``app.py`` runs this very page again through its navigation; this copy then stops.
    """
    if getattr(_this_run, "routed", False):
        return
    # A legacy run names app.py as its main script while it runs this page; a page that is its
    # own main script (``streamlit run pages/x.py``, a page's AppTest) is rerouted only while the
    # legacy flag is set, since app.py's relative page paths resolve against the main script.
    ctx = get_script_run_ctx()
    main_script = Path(ctx.main_script_path).resolve() if ctx is not None else None
    if main_script == ROUTER.resolve() or PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False  # what st.navigation would have done
        runpy.run_path(str(ROUTER), run_name="__main__")
        st.stop()
