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
