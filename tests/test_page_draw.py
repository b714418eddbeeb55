"""The Draw a digit page, headless (AppTest): no drawing yet → "draw a digit", never a prediction.

No JavaScript runs here, so the canvas stays empty; drawing is tested in Chromium
(tests/e2e/test_draw_e2e.py).
"""

import json
import re
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from cnnviz import inference
from cnnviz.site import SESSION_MODELS_KEY
from tests.apptest_helpers import APP, TENSORFLOW_TIMEOUT_S, open_page


def open_draw_page() -> AppTest:
    return open_page("pages/draw.py")


@pytest.fixture(autouse=True)
def fresh_model_cache():
    """The page caches the registry for the server's life; each test starts without it."""
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def test_blank_canvas_asks_for_a_digit_and_predicts_nothing():
    app = open_draw_page()
    assert not app.exception, app.exception
    assert app.title[0].value == "Draw a digit"  # no emoji, like every other page
    assert any("Draw a digit on the canvas" in info.value for info in app.info)
    assert [metric.label for metric in app.metric] == []
    assert app.get("bidi_component"), "the canvas is on the page"
    assert [button.label for button in app.button] == ["Undo", "Clear"]
    assert app.button(key="draw_undo").disabled  # nothing to undo yet
    # The lesson on probabilities is there before anything is drawn; the letter A on request.
    assert "A probability, not a confidence" in [header.value for header in app.subheader]
    assert not any("Try it with the letter A" in text.value for text in app.markdown)
    app.toggle(key="draw_letter_a").set_value(True).run()
    assert not app.exception, app.exception
    texts = [markdown.value for markdown in app.markdown]
    lenet = inference.load_registry()["lenet"].label  # named by how it was trained
    assert any(f"Try it with the letter A: {lenet} reads it as a " in text for text in texts)


def test_clear_gives_a_new_canvas():
    app = open_draw_page()
    app.button(key="draw_clear").click().run()
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


def drawn_canvas(monkeypatch, rgba: np.ndarray, json_data: dict | None = None) -> list[dict]:
    """Stand in for the canvas component (no JavaScript runs here): it returns `rgba`.

    Returns the list of keyword arguments of every call, to see what the page asked for. Like
    the component, it holds a value under its key in the session once on the page."""
    result = SimpleNamespace(image_data=rgba, json_data=json_data)
    calls: list[dict] = []

    def st_canvas(**kwargs):
        calls.append(kwargs)
        st.session_state[kwargs["key"]] = json_data
        return result

    fake = SimpleNamespace(st_canvas=st_canvas)
    # A stand-in module: the real one registers its component on import, which needs a runtime.
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", fake)
    return calls


def white_on_black(mask: np.ndarray) -> np.ndarray:
    canvas = np.zeros((*mask.shape, 4), np.uint8)
    canvas[..., 3] = 255
    canvas[mask, :3] = 255
    return canvas


def test_a_click_says_it_is_a_dot_and_predicts_nothing(monkeypatch):
    rows, columns = np.ogrid[:280, :280]
    drawn_canvas(monkeypatch, white_on_black((rows - 140) ** 2 + (columns - 140) ** 2 <= 100))
    app = open_draw_page()  # the default pen is 20 pixels: this 21-pixel click is a dot
    assert not app.exception, app.exception
    assert [metric.label for metric in app.metric] == []
    assert any(w.value.startswith("That is a dot, not a digit") for w in app.warning)


def test_two_digits_side_by_side_get_no_confident_answer(monkeypatch):
    mask = np.zeros((280, 280), bool)
    mask[60:220, 40:60] = mask[60:220, 200:220] = True  # "11"
    drawn_canvas(monkeypatch, white_on_black(mask))
    app = open_draw_page()
    assert not app.exception, app.exception
    assert [metric.label for metric in app.metric] == []
    assert any("more than one digit" in warning.value for warning in app.warning)


def test_a_stroke_is_read_and_a_model_trained_here_is_named_once(monkeypatch):
    mask = np.zeros((280, 280), bool)
    mask[50:230, 130:150] = True  # a "1"
    drawn_canvas(monkeypatch, white_on_black(mask))
    app = AppTest.from_file(APP, default_timeout=TENSORFLOW_TIMEOUT_S)
    app.run()
    shipped = inference.load_registry()["lenet"].model
    app.session_state[SESSION_MODELS_KEY] = {"LeNet-5, trained here (87.99%)": shipped}
    app.switch_page("pages/draw.py").run()
    assert not app.exception, app.exception
    assert "Prediction" in [metric.label for metric in app.metric]
    assert not any("dot" in warning.value for warning in app.warning)
    assert "LeNet-5, trained here (87.99%)" in app.selectbox(key="draw_model").options


def test_undo_gives_the_same_canvas_the_drawing_without_its_last_stroke(monkeypatch):
    """The same canvas (same key) given a new drawing sends it back, so what remains is read; a
    new canvas would show it and send nothing (issue 27)."""
    mask = np.zeros((280, 280), bool)
    mask[50:230, 130:150] = True
    strokes = {"version": "7", "objects": [{"type": "Path", "n": 1}, {"type": "Path", "n": 2}]}
    calls = drawn_canvas(monkeypatch, white_on_black(mask), strokes)
    app = open_draw_page()
    assert not app.button(key="draw_undo").disabled
    app.button(key="draw_undo").click().run()
    assert not app.exception, app.exception
    start = calls[-1]["initial_drawing"]
    assert start["objects"] == [{"type": "Path", "n": 1}] and start["background"] == "#000000"
    assert calls[-1]["key"] == "digit_canvas_0"
    assert "Prediction" in [metric.label for metric in app.metric]
    app.button(key="draw_clear").click().run()
    assert calls[-1]["initial_drawing"] is None and calls[-1]["key"] == "digit_canvas_1"


def test_a_new_ink_gives_the_canvas_its_strokes_in_that_ink(monkeypatch):
    mask = np.zeros((280, 280), bool)
    mask[50:230, 130:150] = True
    strokes = {"objects": [{"type": "Path", "stroke": "#FFFFFF", "path": [["M", 1, 2]]}]}
    calls = drawn_canvas(monkeypatch, white_on_black(mask), strokes)
    app = open_draw_page()
    assert calls[-1]["initial_drawing"] is None
    app.radio(key="draw_ink").set_value("Black on white").run()
    assert not app.exception, app.exception
    start = calls[-1]["initial_drawing"]
    assert start["objects"] == [{"type": "Path", "stroke": "#000000", "path": [["M", 1, 2]]}]
    assert start["background"] == "#FFFFFF" and calls[-1]["key"] == "digit_canvas_0"


def test_every_chart_title_gives_a_shape_once(monkeypatch):
    """image_row adds each panel's shape to its title: a title that has it already said
    "Centred 28 × 28 (28 × 28)"."""
    mask = np.zeros((280, 280), bool)
    mask[50:230, 130:150] = True  # a "1"
    drawn_canvas(monkeypatch, white_on_black(mask))
    app = open_draw_page()
    assert not app.exception, app.exception
    titles = [
        note.get("text", "")
        for chart in app.get("plotly_chart")
        for note in json.loads(chart.proto.spec)["layout"].get("annotations", [])
    ]
    assert "Centred<br>(28 × 28)" in titles or "Centred (28 × 28)" in titles, titles
    doubled = [title for title in titles if len(re.findall(r"\d+ × \d+", title)) > 1]
    assert doubled == []


def test_the_preprocessing_titles_take_two_lines_at_most_on_a_phone(monkeypatch):
    """Five panels side by side leave a phone about 55 px each: "What the first convolution
    sees (28 × 28)" took five lines there."""
    mask = np.zeros((280, 280), bool)
    mask[50:230, 130:150] = True  # a "1"
    drawn_canvas(monkeypatch, white_on_black(mask))
    app = open_draw_page()
    assert not app.exception, app.exception
    layouts = [json.loads(chart.proto.spec)["layout"] for chart in app.get("plotly_chart")]
    steps = next(
        layout
        for layout in layouts
        if any(note["text"].startswith("Centred") for note in layout.get("annotations", []))
    )
    titles = [note["text"] for note in steps["annotations"]]
    assert len(titles) == 5
    assert [title.count("<br>") for title in titles] == [1] * 5, titles
