"""The Draw a digit page's chart builders (cnnviz.charts.draw), checked without a browser."""

import numpy as np
import plotly.graph_objects as go
import pytest

from cnnviz.charts import base as charts_base
from cnnviz.charts import draw as draw_charts


def test_probability_bars_highlight_the_prediction():
    probabilities = np.array([0.01, 0.02, 0.9, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01])
    figure = draw_charts.probability_bars(probabilities, title="p")
    bar = figure.data[0]
    assert list(bar.x) == [str(digit) for digit in range(10)]
    np.testing.assert_allclose(bar.y, probabilities)
    assert bar.marker.color[2] == draw_charts.PREDICTION_COLOR
    assert set(bar.marker.color[:2] + bar.marker.color[3:]) == {draw_charts.PROBABILITY_COLOR}
    assert bar.text[2] == "90%"
    assert figure.layout.xaxis.type == "category"
    with pytest.raises(ValueError, match="1-D"):
        draw_charts.probability_bars(np.ones((2, 5)))


def test_the_sweep_chart_draws_one_line_per_model_with_the_slider_and_the_half_way_line():
    values = [-2.0, -1.0, 0.0, 1.0, 2.0]
    figure = draw_charts.sweep_chart(
        values,
        {"LeNet-5": [0.1, 0.6, 0.99, 0.7, 0.2], "AlexNet": [0.5, 0.9, 0.98, 0.95, 0.4]},
        axis="shift_x",
        digit=7,
        current=1.0,
    )
    assert [trace.name for trace in figure.data] == ["LeNet-5", "AlexNet"]
    np.testing.assert_allclose(figure.data[1].y, [0.5, 0.9, 0.98, 0.95, 0.4])
    np.testing.assert_allclose(figure.data[0].x, values)
    lines = {
        (shape.type, shape.y0 if shape.x0 == 0 else shape.x0) for shape in figure.layout.shapes
    }
    assert ("line", 0.5) in lines and ("line", 1.0) in lines
    assert figure.layout.title.text == "Probability of 7 over the whole range"
    assert figure.layout.xaxis.title.text.startswith("shift to the right")
    with pytest.raises(ValueError, match="has 2 probabilities for 5 settings"):
        draw_charts.sweep_chart(values, {"m": [0.1, 0.2]}, axis="rotation", digit=1)
    with pytest.raises(ValueError, match="Unknown sweep axis 'scale'"):
        draw_charts.sweep_chart(values, {"m": values}, axis="scale", digit=1)


def test_the_break_the_model_charts_are_specs_plotly_itself_accepts():
    # Both are built without plotly's validation (they redraw on every slider move): plotly's
    # own validation (a figure made again from the spec) rejects any property it does not know.
    sweep = draw_charts.sweep_chart(
        [-1.0, 0.0, 1.0], {"LeNet-5": [0.2, 0.9, 0.3]}, axis="rotation", digit=3, current=0.0
    )
    bars = draw_charts.compared_probability_bars(
        {"LeNet-5": np.full(10, 0.1), "AlexNet": np.eye(10)[4]}, title="Both", height=260
    )
    for figure in (sweep, bars):
        assert go.Figure(figure.to_dict()).to_dict() == figure.to_dict()
    assert [trace.name for trace in bars.data] == ["LeNet-5", "AlexNet"]
    assert [trace.marker.color for trace in bars.data] == list(draw_charts.SWEEP_COLORS[:2])
    np.testing.assert_allclose(bars.data[1].y, np.eye(10)[4])
    assert bars.layout.barmode == "group" and bars.layout.height == 260
    assert bars.layout.yaxis.tickformat == ".0%" and bars.layout.xaxis.type == "category"
    misspelt = charts_base.figure_from_spec({"data": [], "layout": {"heigth": 1}})
    with pytest.raises(ValueError, match="heigth"):
        go.Figure(misspelt.to_dict())
