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


def test_feature_maps_tile_every_channel_on_one_scale():
    maps = np.arange(2 * 3 * 5, dtype=float).reshape(2, 3, 5)  # (H=2, W=3, C=5)
    figure = draw_charts.feature_maps(maps, "C1", columns=2)
    heatmap = figure.data[0]
    mosaic, numbers = np.array(heatmap.z, dtype=float), np.array(heatmap.customdata, dtype=float)
    # 5 maps in rows of 2 → 3 rows of 2-pixel maps with 1-pixel gaps: 3·3 − 1 by 2·4 − 1.
    assert mosaic.shape == (8, 7)
    np.testing.assert_array_equal(mosaic[0:2, 0:3], maps[:, :, 0])
    np.testing.assert_array_equal(mosaic[3:5, 4:7], maps[:, :, 3])
    assert np.isnan(mosaic[2]).all() and np.isnan(mosaic[:, 3]).all()  # the gaps
    assert numbers[3, 4] == 3 and np.isnan(mosaic[6, 4])  # no sixth map: a gap, no hover
    assert numbers.max() == 4 and heatmap.hoverongaps is False
    assert (heatmap.zmin, heatmap.zmax) == (0.0, 29.0)
    assert figure.layout.title.text == "C1 (2 × 3 × 5)"
    with pytest.raises(ValueError, match=r"\(H, W, C\)"):
        draw_charts.feature_maps(np.ones((4, 4)))


def test_feature_maps_of_a_constant_layer_still_draw():
    figure = draw_charts.feature_maps(np.zeros((2, 2, 3)))
    assert figure.data[0].zmax > figure.data[0].zmin


def test_filter_grid_is_symmetric_about_zero():
    kernels = np.array([[[1.0, -3.0]], [[0.5, 2.0]]])  # (2 filters, 1, 2)
    figure = draw_charts.filter_grid(kernels, "C1")
    heatmap = figure.data[0]
    assert (heatmap.zmin, heatmap.zmax) == (-3.0, 3.0)
    assert figure.layout.title.text == "C1 (2 filters of 1 × 2)"
    np.testing.assert_array_equal(np.array(heatmap.z, dtype=float), [[1.0, -3.0, np.nan, 0.5, 2.0]])


@pytest.mark.parametrize(
    ("values", "expected"),
    [([-0.4, 0.9], (-0.9, 0.9)), ([-1.0, 0.2], (-1.0, 1.0)), ([0.0, 4.0], (0.0, 4.0))],
)
def test_zero_keeps_its_grey_and_the_legend_says_which(values, expected):
    maps = np.array(values, dtype=float).reshape(1, 2, 1)
    figure = draw_charts.feature_maps(maps)
    heatmap = figure.data[0]
    assert (heatmap.zmin, heatmap.zmax) == expected
    assert heatmap.showscale  # the colour bar shows the scale
    legend = draw_charts.feature_map_legend(maps)
    if expected[0] < 0:
        # 0 sits exactly half-way: mid-grey.
        assert (0 - heatmap.zmin) / (heatmap.zmax - heatmap.zmin) == 0.5
        assert legend.startswith("Mid-grey is 0") and f"+{expected[1]:.2g}" in legend
    else:
        assert heatmap.zmin == 0 and legend.startswith("Black is 0")
        assert f"white is {expected[1]:.2g}" in legend


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


def test_snapshot_mosaics_keep_one_colour_range_when_asked():
    kernels = np.array([[[0.1, -0.2], [0.0, 0.05]]])
    assert draw_charts.filter_grid(kernels).data[0].zmax == pytest.approx(0.2)
    assert draw_charts.filter_grid(kernels, limit=0.8).data[0].zmin == pytest.approx(-0.8)
    maps = np.arange(8.0).reshape(2, 2, 2)
    figure = draw_charts.feature_maps(maps, value_range=(-1.0, 20.0))
    assert (figure.data[0].zmin, figure.data[0].zmax) == (-1.0, 20.0)
