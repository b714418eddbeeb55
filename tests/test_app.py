"""The router (app.py): the pages it serves, and the one server setting it makes."""

from bench.support.fresh_python import run_fresh_python
from tests.apptest_helpers import APP, PAGE_TIMEOUT_S


def test_streamlit_no_longer_clears_the_keras_session_after_each_run():
    # In a fresh interpreter: once any AppTest in this process has run app.py, Streamlit's own
    # cleanup is already replaced, and the "before" half of this test would have nothing to see.
    printed = run_fresh_python(
        f"""
        import keras
        from streamlit.runtime.scriptrunner import script_runner
        from streamlit.testing.v1 import AppTest

        clears = []
        keras.backend.clear_session = lambda *args, **kwargs: clears.append(1)
        # What Streamlit's own cleanup does, before the app replaces it: the counter is live.
        script_runner._clean_problem_modules()
        print("before:", len(clears))

        app = AppTest.from_file({APP!r}, default_timeout={PAGE_TIMEOUT_S})
        app.run()
        app.switch_page("pages/pooling.py").run()
        assert not app.exception, app.exception
        print("after:", len(clears))
        print("cleanup:", script_runner._clean_problem_modules.__name__)
        """,
        timeout_s=240,
    )
    assert "before: 1" in printed
    assert "after: 1" in printed, "Streamlit still calls keras.backend.clear_session() after a run"
    assert "cleanup: keep_keras_state" in printed
