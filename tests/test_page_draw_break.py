"""The Draw a digit page's "break the model" section, headless (AppTest), on a drawn 7.

No JavaScript runs in AppTest, so the canvas component is replaced by one that returns a
drawing, as the real canvas does once a student has drawn.
"""

import sys
from types import ModuleType, SimpleNamespace

import numpy as np
import pytest
import streamlit as st

from tests.apptest_helpers import open_page


def drawn_seven() -> np.ndarray:
    """A 280 × 280 RGBA canvas with a white 7 on black: a top bar and a slanted stem."""
    canvas = np.zeros((280, 280, 4), dtype=np.uint8)
    canvas[..., 3] = 255
    canvas[60:80, 70:210, :3] = 255
    for row in range(80, 230):
        column = int(200 - (row - 80) * 0.55)
        canvas[row, column - 10 : column + 10, :3] = 255
    return canvas


@pytest.fixture
def app(monkeypatch):
    st.cache_resource.clear()
    drawing = drawn_seven()
    # Importing the real component outside a running server fails, so the page imports this.
    fake_canvas = ModuleType("streamlit_drawable_canvas")
    fake_canvas.st_canvas = lambda **_: SimpleNamespace(image_data=drawing, json_data=None)
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", fake_canvas)
    app = open_page("pages/draw.py")
    yield app
    st.cache_resource.clear()


def model_metrics(app) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric if metric.label != "Prediction"}


def test_both_shipped_models_read_the_drawing_side_by_side(app):
    labels = [metric.label for metric in app.metric]
    assert labels[0] == "Prediction"
    assert list(model_metrics(app)) == ["LeNet-5 (seed)", "AlexNet (MNIST)"]
    assert model_metrics(app)["LeNet-5 (seed)"] == app.metric[0].value == "7"
    charts = [chart.proto.id for chart in app.get("plotly_chart")]
    assert any("break_sweep" in chart for chart in charts)


def test_each_slider_reruns_the_section_without_an_exception(app):
    for key, value in [
        ("break_shift_x", 8),
        ("break_shift_y", -8),
        ("break_rotation", 45.0),
        ("break_scale", 0.5),
        ("break_thickness", 2.0),
    ]:
        app.slider(key=key).set_value(value).run()
        assert not app.exception, (key, app.exception)
    assert app.slider(key="break_thickness").value == 2.0


def test_a_big_shift_changes_what_lenet_reads_and_the_sentence_says_how_far_it_held(app):
    before = model_metrics(app)["LeNet-5 (seed)"]
    app.slider(key="break_shift_y").set_value(-8).run()  # the 7's top bar leaves the field
    assert not app.exception, app.exception
    assert model_metrics(app)["LeNet-5 (seed)"] != before
    sentence = next(text.value for text in app.markdown if "The pooling page shows" in text.value)
    # The sweep runs left-right through the slider's setting, where LeNet-5 reads no 7.
    assert sentence.startswith("LeNet-5 (seed) does not read a 7 even at 0 with these settings")


def test_the_sweep_axis_and_the_digit_can_be_chosen(app):
    app.radio(key="break_sweep_axis").set_value("rotation").run()
    assert not app.exception, app.exception
    sentence = next(text.value for text in app.markdown if "Pooling does not help" in text.value)
    assert "°" in sentence
    digit_box = next(box for box in app.selectbox if box.label == "The digit you drew")
    assert digit_box.value == 7
    digit_box.set_value(1).run()
    assert not app.exception, app.exception
    assert any("reads a 1" in text.value or "read a 1" in text.value for text in app.markdown)


def test_a_slider_moved_back_finds_its_sweep_kept_and_calls_no_model(app, monkeypatch):
    from cnnviz import inference

    swept = []  # batch sizes of the models' calls over a sweep (a single reading is 1 digit)
    real = inference.predict_digits

    def counted(model, images):
        if len(images) > 1:
            swept.append(len(images))
        return real(model, images)

    monkeypatch.setattr(inference, "predict_digits", counted)
    app.slider(key="break_shift_y").set_value(-8).run()
    assert not app.exception, app.exception
    assert swept == [17, 17]  # a new setting: each model reads the 17 shifts of the new sweep
    swept.clear()
    app.slider(key="break_shift_y").set_value(0).run()
    assert not app.exception, app.exception
    assert swept == []  # back where it was: the sweep read a moment ago is kept
    assert model_metrics(app)["LeNet-5 (seed)"] == "7"
    assert len(app.session_state["break_sweeps"]) == 2  # the settings at 0, and at −8
