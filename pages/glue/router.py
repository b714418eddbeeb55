"""The router check: a page that Streamlit ran past ``app.py`` runs ``app.py`` instead.

Each page script calls :func:`through_the_router` first.

**Deep links on a fresh server.** Streamlit 1.67 decides once per server process, when the
first session starts, whether the app is a legacy ``pages/`` app (``PagesManager.
uses_pages_directory``: true whenever a ``pages/`` folder exists), and only ``st.navigation``
clears that. So when a shared link such as ``/pooling?class=K7RW3M`` is the very first visit
after the server starts, Streamlit runs ``pages/pooling.py`` directly, past ``app.py``: no
navigation menu, no wide layout, no class panel. :func:`through_the_router` notices that (the
flag is still set while a page runs outside the router), clears it as ``st.navigation`` would
have, and runs ``app.py`` in its place within the same run, so a click that started the run
still counts. (Streamlit's AppTest resets the flag before every run, so there every page run
comes this way; in a server only the first session's first run does.)
"""

from __future__ import annotations

import runpy

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from cnnviz import PROJECT_ROOT

ROUTER = PROJECT_ROOT / "app.py"


def through_the_router() -> None:
    """Run ``app.py`` instead when Streamlit ran this page past it (see the module docstring).

    ``app.py`` runs this very page again through its navigation; this copy then stops.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False  # what st.navigation would have done
        runpy.run_path(str(ROUTER), run_name="__main__")
        st.stop()
