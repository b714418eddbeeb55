"""cnnviz: the router. Each page lives in pages/ and sits on the cnnviz package; the list of
pages is cnnviz.site.PAGES."""

import streamlit as st
from streamlit.runtime.scriptrunner import script_runner

from cnnviz.classroom.teaching import page_name
from cnnviz.console import survive_closed_pipe
from cnnviz.site import PAGES
from pages.glue.class_panel import class_panel, publish_for_class
from pages.glue.router import routed
from pages.glue.training_claim import hold_training


def keep_keras_state() -> None:
    """Stands in for Streamlit's cleanup after each run, which calls
    ``keras.backend.clear_session()`` once Keras is imported (``_clean_problem_modules``).

    That cleanup is for scripts that build a new model on every rerun. Ours keeps its models
    (cached, or owned by a training job), so it only threw work away: a full garbage collection
    and TensorFlow's kernel cache after every click of every student, 43% of the server's CPU in
    the classroom load test. We don't use matplotlib, its other concern.
    """


# Streamlit looks the function up when a run ends, so replacing it here covers every session.
if hasattr(script_runner, "_clean_problem_modules"):
    script_runner._clean_problem_modules = keep_keras_state

survive_closed_pipe()  # so Ctrl-C still stops a server whose `| tee` exited first

st.set_page_config(page_title="cnnviz — CNNs you can see", page_icon="🧠", layout="wide")

navigation = st.navigation(
    [st.Page(page.path, title=page.title, icon=page.icon, default=page.default) for page in PAGES]
)
# The page every part of class mode names: the script's stem ("pooling"), as the store keeps it.
current_page = page_name(next(p.path for p in PAGES if p.title == navigation.title))
# The teacher's page and settings, for the class to follow: before the page runs (the click
# that started this run is already in the session), and after it (a page's first visit).
publish_for_class(current_page)
hold_training()  # a session back from a network drop holds its trainings again
class_panel(current_page)  # a following student may be taken to the teacher's page here
with routed():  # the page's router check: this run came through here
    navigation.run()
publish_for_class(current_page)
