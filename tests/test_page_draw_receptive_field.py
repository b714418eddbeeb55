"""The draw page's receptive-field section (AppTest): pick a layer and a unit, read what it sees.

No JavaScript runs here, so the canvas component is replaced by one that returns a drawn "1".
"""

import base64
import json
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from cnnviz import inference, receptive_field
from tests.apptest_helpers import open_page


def drawn_one() -> np.ndarray:
    canvas = np.zeros((280, 280, 4), np.uint8)
    canvas[..., 3] = 255
    canvas[50:230, 130:150, :3] = 255  # a white "1" on black
    return canvas


@pytest.fixture
def drawn_page(monkeypatch) -> AppTest:
    canvas = drawn_one()
    fake = SimpleNamespace(
        st_canvas=lambda **kwargs: SimpleNamespace(image_data=canvas, json_data=None)
    )
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", fake)
    st.cache_resource.clear()
    app = open_page("pages/draw.py")
    yield app
    st.cache_resource.clear()


def outlined_boxes(app: AppTest) -> list[tuple[float, ...]]:
    """The red rectangles of the receptive-field chart, as (x0, y0, x1, y1)."""
    for chart in app.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        titles = [
            note.get("text", "").replace("<br>", " ")  # long titles wrap over three panels
            for note in spec["layout"].get("annotations", [])
        ]
        if "Your digit (28 × 28)" in titles:  # the shape once, not "28 × 28 (28 × 28)"
            return [
                (shape["x0"], shape["y0"], shape["x1"], shape["y1"])
                for shape in spec["layout"]["shapes"]
                if shape["line"].get("color") == "#d62728"
            ]
    raise AssertionError("no receptive-field chart on the page")


def test_a_unit_of_lenet_shows_its_region_and_sentence(drawn_page):
    app = drawn_page
    lenet = inference.load_registry()["lenet"].model
    fields = {field.layer: field for field in receptive_field.receptive_fields(lenet)}
    assert app.selectbox(key="draw_rf_layer").options == list(fields)
    app.selectbox(key="draw_rf_layer").set_value("S4").run()
    app.slider(key="draw_rf_row").set_value(3).run()
    app.slider(key="draw_rf_col").set_value(2).run()
    assert not app.exception, app.exception
    sentence = receptive_field.region_sentence(fields["S4"], 3, 2, (28, 28))
    assert sentence in [text.value for text in app.markdown]
    top, left, bottom, right = fields["S4"].region(3, 2)  # (10, 6, 26, 22) in the 32 × 32 input
    d_top, d_left, d_bottom, d_right = receptive_field.resized_box_to_source(
        (top, left, bottom, right), (32, 32), (28, 28)
    )
    # The gradient's panel is the model's own 32 × 32 input: the field's box again.
    assert outlined_boxes(app) == [
        (left - 0.5, top - 0.5, right - 0.5, bottom - 0.5),
        (d_left - 0.5, d_top - 0.5, d_right - 0.5, d_bottom - 0.5),
        (left - 0.5, top - 0.5, right - 0.5, bottom - 0.5),
    ]


def test_beside_the_field_the_gradient_says_what_the_unit_responds_to(drawn_page):
    """The guard over the section's controls: for every layer the picker offers (its centre unit
    and a corner) the page's gradient sentence is the one computed here from the same drawing,
    and the gradient's panel outlines the unit's field in the model's own input."""
    from cnnviz import preprocess, unit_gradient

    app = drawn_page
    lenet = inference.load_registry()["lenet"].model
    model_input = inference.model_input(
        lenet, preprocess.canvas_to_mnist_steps(drawn_one()).centred
    )
    for layer, field in {f.layer: f for f in receptive_field.receptive_fields(lenet)}.items():
        app.selectbox(key="draw_rf_layer").set_value(layer).run()
        rows, cols = field.output_shape
        for row, col in [(rows // 2, cols // 2), (0, 0)]:
            app.slider(key="draw_rf_row").set_value(row).run()
            app.slider(key="draw_rf_col").set_value(col).run()
            assert not app.exception, app.exception
            expected = unit_gradient.gradient_sentence(
                unit_gradient.unit_gradient(lenet, field, row, col, model_input)
            )
            assert expected in [text.value for text in app.markdown], (layer, row, col)
            top, left, bottom, right = field.model_input_region(row, col)
            assert outlined_boxes(app)[2] == (left - 0.5, top - 0.5, right - 0.5, bottom - 0.5)


def test_alexnet_fields_are_in_its_64_by_64_input_and_mapped_to_the_digit(drawn_page):
    app = drawn_page
    alexnet_label = next(
        label for label in app.selectbox(key="draw_model").options if "AlexNet" in label
    )
    app.selectbox(key="draw_model").set_value(alexnet_label).run()
    assert app.selectbox(key="draw_rf_layer").options[0] == "conv1"
    app.selectbox(key="draw_rf_layer").set_value("conv2").run()
    app.slider(key="draw_rf_row").set_value(5).run()
    app.slider(key="draw_rf_col").set_value(5).run()
    assert not app.exception, app.exception
    sentence = next(
        text.value for text in app.markdown if text.value.startswith("Unit (5, 5) of conv2")
    )
    # 64 × 64 rows 24–58 (the last row any layer below reads), on the digit rows 10–26.
    assert "rows 24–58 and columns 24–58 of the 64 × 64 input" in sentence
    assert "of its 51 × 51 field" in sentence
    assert "digit is resized to 64 × 64 first, so on your digit that is rows 10–26" in sentence


def unit_picker_chart(app: AppTest):
    """The chart of the chosen layer's units (its title starts with the layer and "click")."""
    for chart in app.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        title = spec["layout"].get("title", {})
        text = title.get("text", "") if isinstance(title, dict) else str(title)
        annotations = [note.get("text", "") for note in spec["layout"].get("annotations", [])]
        if any("click a unit" in each for each in [text, *annotations]):
            return chart, spec
    raise AssertionError("no unit-picker chart on the page")


def plotly_array(values) -> list:
    """A trace's array as plotly sends it: a list, or its bytes in base64 ("bdata")."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), values["dtype"]).tolist()
    return list(values)


def click_unit(app: AppTest, row: int, col: int) -> AppTest:
    """What the browser sends when a student clicks the marker of unit (row, col): the chart's
    selection, as Streamlit's frontend sends it (a JSON string value) for the chart's widget id."""
    from streamlit.proto.WidgetStates_pb2 import WidgetStates

    chart, _ = unit_picker_chart(app)
    states = WidgetStates()
    states.CopyFrom(app._tree.get_widget_states())
    selection = {
        "selection": {
            "points": [{"curve_number": 1, "point_number": 0, "x": col, "y": row}],
            "point_indices": [0],
            "box": [],
            "lasso": [],
        }
    }
    states.widgets.add(id=chart.proto.id, string_value=json.dumps(selection))
    return app._run(states)


def test_the_layer_map_outlines_the_unit_the_sliders_pick(drawn_page):
    app = drawn_page
    app.selectbox(key="draw_rf_layer").set_value("C3").run()
    app.slider(key="draw_rf_row").set_value(1).run()
    app.slider(key="draw_rf_col").set_value(4).run()
    assert not app.exception, app.exception
    _, spec = unit_picker_chart(app)
    lenet = inference.load_registry()["lenet"].model
    rows, cols = {field.layer: field for field in receptive_field.receptive_fields(lenet)}[
        "C3"
    ].output_shape
    markers = next(trace for trace in spec["data"] if trace["type"] == "scatter")
    marker_cells = set(zip(plotly_array(markers["y"]), plotly_array(markers["x"]), strict=True))
    # One clickable marker on every unit, at the unit's own (row, col).
    assert marker_cells == {(row, col) for row in range(rows) for col in range(cols)}
    (outline,) = spec["layout"]["shapes"]
    assert (outline["x0"], outline["y0"], outline["x1"], outline["y1"]) == (3.5, 0.5, 4.5, 1.5)


def test_a_click_on_the_layer_map_moves_the_sliders_and_the_region(drawn_page):
    app = drawn_page
    app.selectbox(key="draw_rf_layer").set_value("S4").run()
    click_unit(app, 3, 2)
    assert not app.exception, app.exception
    assert (app.slider(key="draw_rf_row").value, app.slider(key="draw_rf_col").value) == (3, 2)
    lenet = inference.load_registry()["lenet"].model
    fields = {field.layer: field for field in receptive_field.receptive_fields(lenet)}
    sentence = receptive_field.region_sentence(fields["S4"], 3, 2, (28, 28))
    assert sentence in [text.value for text in app.markdown]
    top, left, bottom, right = fields["S4"].region(3, 2)
    assert outlined_boxes(app)[0] == (left - 0.5, top - 0.5, right - 0.5, bottom - 0.5)
    # The slider moves on, and a click on the unit picked before still picks it again.
    app.slider(key="draw_rf_row").set_value(0).run()
    click_unit(app, 3, 2)
    assert (app.slider(key="draw_rf_row").value, app.slider(key="draw_rf_col").value) == (3, 2)
