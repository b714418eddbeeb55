"""The Draw a digit page's "break the model" section, headless (AppTest), on a drawn 7.

No JavaScript runs in AppTest, so the canvas component is replaced by one that returns a
drawing, as the real canvas does once a student has drawn.
"""

import sys
from types import ModuleType, SimpleNamespace

import numpy as np
import pytest
import streamlit as st

from cnnviz import inference, transforms
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


# The shipped models as the page names them: by how their history says they were trained.
LENET, ALEXNET = (status.label for status in inference.load_registry().values())


def model_metrics(app) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric if metric.label != "Prediction"}


def test_both_shipped_models_read_the_drawing_side_by_side(app):
    labels = [metric.label for metric in app.metric]
    assert labels[0] == "Prediction"
    assert list(model_metrics(app)) == [LENET, ALEXNET]
    assert model_metrics(app)[LENET] == app.metric[0].value == "7"
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
    before = model_metrics(app)[LENET]
    app.slider(key="break_shift_y").set_value(-8).run()  # the 7's top bar leaves the field
    assert not app.exception, app.exception
    assert model_metrics(app)[LENET] != before
    sentence = next(text.value for text in app.markdown if "The pooling page shows" in text.value)
    # The sweep runs left-right with the digit 8 px up: the sentence names where each model
    # reads a 7 (its tile's criterion, the arg-max), the tile's setting among them or not.
    assert sentence.split("; ")[0].startswith(f"{LENET} reads a 7 ")


def sentence_and_tiles(app) -> tuple[str, dict[str, str]]:
    sentence = next(text.value for text in app.markdown if "(reading it means:" in text.value)
    return sentence, model_metrics(app)


@pytest.mark.parametrize(
    ("axis", "slider", "settings"),
    [
        ("shift_x", "break_shift_x", [-8, -5, -2, 0, 3, 6, 8]),
        ("shift_y", "break_shift_y", [-8, -4, 0, 4, 8]),
        ("rotation", "break_rotation", [-45.0, -30.0, -12.0, 0.0, 21.0, 42.0, 45.0]),
    ],
)
def test_the_sentence_agrees_with_the_tiles_wherever_the_swept_slider_stands(
    app, axis, slider, settings
):
    """The guard: the sentence reads the 7 at a setting exactly when the model's tile shows 7
    there (one criterion, the arg-max), with the other sliders at sampled settings too; the
    caption names the setting the red line marks."""
    from tests.test_transforms import claimed_settings, model_parts

    values = transforms.sweep_values(axis)
    app.radio(key="break_sweep_axis").set_value(axis).run()
    for scale, thickness in [(1.0, 0.0), (0.6, 1.5)]:
        app.slider(key="break_scale").set_value(scale).run()
        app.slider(key="break_thickness").set_value(thickness).run()
        for setting in settings:
            app.slider(key=slider).set_value(setting).run()
            assert not app.exception, app.exception
            sentence, tiles = sentence_and_tiles(app)
            for label, part in model_parts(sentence, tiles).items():
                claimed = claimed_settings(part, values)
                assert (float(setting) in claimed) == (tiles[label] == "7"), (label, setting)
            caption = next(c.value for c in app.caption if "red line" in c.value)
            assert f"({transforms.setting_text(axis, setting)})" in caption


def test_the_introduction_names_the_neutral_setting_of_each_slider(app):
    intro = next(text.value for text in app.markdown if "as it is" in text.value)
    defaults = {
        key: app.slider(key=key).value
        for key in ("break_shift_x", "break_shift_y", "break_rotation", "break_scale")
    }
    assert defaults["break_scale"] == 1.0 and "the scale at 1×" in intro
    assert transforms.Distortion(
        defaults["break_shift_x"], defaults["break_shift_y"], defaults["break_rotation"]
    ).is_identity


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
    assert model_metrics(app)[LENET] == "7"
    assert len(app.session_state["break_sweeps"]) == 2  # the settings at 0, and at −8
