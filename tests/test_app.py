"""The router (app.py): the pages it serves, and the one server setting it makes."""

from pathlib import Path

import keras
from streamlit.runtime.scriptrunner import script_runner
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def test_streamlit_no_longer_clears_the_keras_session_after_each_run(monkeypatch):
    # Registered first, so the original cleanup is put back after this test.
    monkeypatch.setattr(
        script_runner, "_clean_problem_modules", script_runner._clean_problem_modules
    )
    clears = []
    monkeypatch.setattr(keras.backend, "clear_session", lambda *args, **kwargs: clears.append(1))
    # What Streamlit's own cleanup does, before the app replaces it: the counter is live.
    script_runner._clean_problem_modules()
    assert clears == [1]

    app = AppTest.from_file(APP, default_timeout=30)
    app.run()
    app.switch_page("pages/pooling.py").run()
    assert not app.exception, app.exception
    assert clears == [1], "Streamlit still calls keras.backend.clear_session() after a run"
    assert script_runner._clean_problem_modules.__name__ == "keep_keras_state"
