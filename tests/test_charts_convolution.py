"""cnnviz.charts.convolution: the step-through outlines exactly the cells under the weights."""

import re

import numpy as np
import plotly.graph_objects as go
import pytest

from cnnviz import convolution, ops
from cnnviz.charts import convolution as conv_charts


def outlined_cells(path: str) -> set[tuple[int, int]]:
    """(row, col) of every unit box ``M x,y H x V y H x Z`` in a plotly path."""
    boxes = re.findall(r"M(-?[\d.]+),(-?[\d.]+)H(-?[\d.]+)V(-?[\d.]+)H(-?[\d.]+)Z", path)
    cells = set()
    for left, top, right, bottom, back in (tuple(map(float, box)) for box in boxes):
        assert (right - left, bottom - top, back) == (1.0, 1.0, left)  # one whole cell
        cells.add((int(top + 0.5), int(left + 0.5)))
    return cells


@pytest.mark.parametrize(
    ("side", "dilation", "padding", "cell"),
    [
        (3, 1, "valid", (0, 0)),
        (3, 2, "valid", (1, 1)),
        (7, 2, "same", (0, 0)),
        (2, 3, "full", (2, 1)),
    ],
)
def test_the_taps_outlined_are_the_dilated_window_in_the_padded_grid(side, dilation, padding, cell):
    grid = convolution.number_grid()
    kernel = np.ones((side, side))
    output = ops.conv2d(grid, kernel, 1, padding, dilation)
    step = ops.conv_step(grid, kernel, *cell, 1, padding, dilation)
    figure = conv_charts.step_through(grid, step, output, cell)
    (taps,) = [shape for shape in figure.layout.shapes if shape.type == "path"]
    # Independently: output cell (r, c) with stride 1 reads padded cells r + d·i, c + d·j.
    expected = {
        (cell[0] + dilation * i, cell[1] + dilation * j) for i in range(side) for j in range(side)
    }
    assert outlined_cells(taps.path) == expected
    assert len(expected) == side * side
    assert (taps.xref, taps.yref) == ("x", "y")  # on the grid's panel


def test_the_step_through_numbers_every_cell_of_a_small_grid_but_not_of_a_big_one():
    grid = convolution.number_grid()  # 6 × 6
    kernel = np.ones((7, 7))
    small = ops.conv_step(grid, np.ones((3, 3)), 0, 0)
    layout = conv_charts.step_through(grid, small, ops.conv2d(grid, np.ones((3, 3))), (0, 0)).layout
    ticks = [layout[f"{axis}axis{suffix}"].dtick for suffix in ("", "2", "3") for axis in "xy"]
    assert ticks == [1] * 6
    # A 7 × 7 kernel dilated by 4 spans 25 cells: "full" pads the grid to 54 × 54, whose 54
    # numbers a phone would print over each other.
    output = ops.conv2d(grid, kernel, 1, "full", 4)
    big = ops.conv_step(grid, kernel, 0, 0, 1, "full", 4)
    layout = conv_charts.step_through(grid, big, output, (0, 0)).layout
    assert (layout.xaxis.dtick, layout.yaxis.dtick, layout.xaxis.tickmode) == (None, None, None)
    assert layout.xaxis2.dtick == 1  # the kernel's 7 cells still each numbered


def test_an_outline_needs_cells():
    with pytest.raises(ValueError, match="at least one row and one column"):
        conv_charts.cells_outline([], [1], line={"width": 1})


def test_the_step_through_is_a_spec_plotly_itself_accepts():
    # Built without plotly's validation (it redraws on every move of the cell slider): made
    # again with validation, which raises on any property plotly does not know, it keeps every
    # property (the colour scales too: test_charts_base compares the JSON sent).
    grid = np.arange(16, dtype=float).reshape(4, 4)
    weights = np.array([[1.0, -1.0], [0.5, 0.0]])
    output = ops.conv2d(grid, weights, padding="same")
    step = ops.conv_step(grid, weights, 3, 3, 1, "same", 1)
    figure = conv_charts.step_through(grid, step, output, (3, 3))
    validated = go.Figure(figure.to_dict()).to_dict()
    assert validated["layout"] == figure.to_dict()["layout"]
    for spec, checked in zip(figure.to_dict()["data"], validated["data"], strict=True):
        assert spec.keys() == checked.keys()
    assert [trace.type for trace in figure.data] == ["heatmap"] * 3
    np.testing.assert_array_equal(figure.data[2].z, output)  # the last cell: all computed
