"""The pooling page's chart builders (cnnviz.charts.pooling), checked without a browser."""

import numpy as np
import pytest

from cnnviz import ops
from cnnviz.charts import pooling as pooling_charts


def rects(figure):
    return [shape for shape in figure.layout.shapes if shape.type == "rect"]


def test_padded_heatmap_washes_the_border_and_outlines_the_real_image():
    image = np.arange(16.0).reshape(4, 4) / 15
    padding = (1, 2, 0, 1)  # (top, bottom, left, right)
    figure = pooling_charts.padded_heatmap(ops.pad2d(image, *padding), padding)
    frame, *strips, outline = rects(figure)
    # The frame of the whole padded image, three non-empty strips (top, bottom, right; left is
    # 0 wide) and the outline of the real image.
    assert (frame.x0, frame.x1, frame.y0, frame.y1) == (-0.5, 4.5, -0.5, 6.5)
    assert len(strips) == 3 and all(
        strip.fillcolor == pooling_charts.PADDING_FILL for strip in strips
    )
    assert (outline.x0, outline.x1, outline.y0, outline.y1) == (-0.5, 3.5, 0.5, 4.5)
    assert figure.layout.title.text == "Padded input (7 × 5)"
    with pytest.raises(ValueError, match="does not fit"):
        pooling_charts.padded_heatmap(np.zeros((3, 3)), (2, 1, 0, 0))


def test_padded_heatmap_without_padding_draws_only_the_frame():
    (frame,) = rects(pooling_charts.padded_heatmap(np.zeros((3, 3)), (0, 0, 0, 0)))
    assert frame.fillcolor is None and frame.line.color != pooling_charts.PADDING_LINE


def test_step_through_outlines_the_window_and_hides_cells_not_yet_computed():
    grid = np.arange(16.0).reshape(4, 4) / 15
    output = ops.pool2d(grid, 2, 1)  # 3 × 3
    window = ops.window_for_output(1, 0, 2, 1, "valid", grid.shape)
    figure = pooling_charts.step_through(
        grid, window.padded_rows, window.padded_cols, output, (1, 0)
    )
    input_trace, output_trace = figure.data
    np.testing.assert_array_equal(np.asarray(input_trace.z, dtype=float), grid)
    shown = np.array(output_trace.z, dtype=float)
    assert np.isnan(shown).sum() == 5  # cells (0,0), (0,1), (0,2), (1,0) computed
    assert output_trace.text[1][0] == f"{output[1, 0]:.2f}" and output_trace.text[2][2] == ""
    input_frame, output_frame, window_box, cell_box = rects(figure)
    assert (input_frame.x1, input_frame.yref, output_frame.x1, output_frame.yref) == (
        3.5,
        "y",
        2.5,
        "y2",
    )
    assert (window_box.x0, window_box.x1, window_box.y0, window_box.y1) == (-0.5, 1.5, 0.5, 2.5)
    assert (cell_box.x0, cell_box.y0) == (-0.5, 0.5) and cell_box.xref == "x2"
    with pytest.raises(ValueError, match="outside"):
        pooling_charts.step_through(grid, window.padded_rows, window.padded_cols, output, (3, 0))


def test_change_bars():
    figure = pooling_charts.change_bars({"input": 0.25, "Max pooled": 0.05}, title="shift")
    (bars,) = figure.data
    assert list(bars.x) == ["input", "Max pooled"] and list(bars.y) == [0.25, 0.05]
    assert list(bars.text) == ["0.250", "0.050"]
    with pytest.raises(ValueError, match="non-negative"):
        pooling_charts.change_bars({"input": -1.0})
    with pytest.raises(ValueError, match="at least one"):
        pooling_charts.change_bars({})


def test_shift_accuracy_curves_draw_percentages_per_model():
    figure = pooling_charts.shift_accuracy_curves(
        {"LeNet-5": ([0, 1, 2], [0.99, 0.98, 0.5]), "AlexNet": ([0, 1, 2], [0.98, 0.9, 0.2])}
    )
    lenet, alexnet = figure.data
    assert lenet.name == "LeNet-5" and list(lenet.x) == [0, 1, 2]
    np.testing.assert_allclose(lenet.y, [99.0, 98.0, 50.0])
    np.testing.assert_allclose(alexnet.y, [98.0, 90.0, 20.0])
    assert lenet.line.color != alexnet.line.color
    with pytest.raises(ValueError, match="at least one"):
        pooling_charts.shift_accuracy_curves({})
    with pytest.raises(ValueError, match="2 shifts but 1"):
        pooling_charts.shift_accuracy_curves({"x": ([0, 1], [0.5])})
