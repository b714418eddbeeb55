"""The Draw a digit page, headless (AppTest): no drawing yet → "draw a digit", never a prediction.

No JavaScript runs here, so the canvas stays empty; drawing is tested in Chromium
(tests/e2e/test_draw_e2e.py).
"""

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from cnnviz import inference

PROJECT_ROOT = Path(__file__).resolve().parent.parent
APP = str(PROJECT_ROOT / "app.py")


def open_draw_page() -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    app.switch_page("pages/draw.py").run()
    return app


@pytest.fixture(autouse=True)
def fresh_model_cache():
    """The page caches the registry for the server's life; each test starts without it."""
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def test_blank_canvas_asks_for_a_digit_and_predicts_nothing():
    app = open_draw_page()
    assert not app.exception, app.exception
    assert app.title[0].value == "✏️ Draw a digit"
    assert any("Draw a digit on the canvas" in info.value for info in app.info)
    assert [metric.label for metric in app.metric] == []
    assert app.get("bidi_component"), "the canvas is on the page"
    assert [button.label for button in app.button] == ["Clear"]


def test_clear_gives_a_new_canvas():
    app = open_draw_page()
    app.button[0].click().run()
    assert not app.exception, app.exception
    assert app.session_state.canvas_version == 1


def test_missing_models_give_clear_messages_and_the_page_still_works(tmp_path, monkeypatch):
    (tmp_path / "alexnet.keras").write_bytes(b"corrupt")
    real_load = inference.load_registry
    monkeypatch.setattr(inference, "load_registry", lambda: real_load(tmp_path))
    app = open_draw_page()
    assert not app.exception, app.exception
    warnings = [warning.value for warning in app.warning]
    assert any("'lenet5.keras' is not in the models directory" in text for text in warnings)
    assert any("'alexnet.keras' could not be loaded" in text for text in warnings)
    assert any("No trained model is available" in error.value for error in app.error)
    assert [metric.label for metric in app.metric] == []
