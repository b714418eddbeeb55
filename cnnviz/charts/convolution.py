"""Charts of the Convolution page: outputs on a fitting colour scale, kernels, the step-through.

Large images go through ``cnnviz.charts.base.heatmap`` (a picture above
``NUMBER_GRID_MAX_CELLS`` cells); the kernel and the step-through's grid are number heatmaps
with every value written in its cell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from cnnviz.charts.base import (
    IMAGE_COLORSCALE,
    SIGNED_COLORSCALE,
    cell_box,
    cell_ticks,
    figure_from_spec,
    heatmap,
    image_frame,
    panel_layout,
)
from cnnviz.charts.pictures import explicit_colorscale
from cnnviz.charts.pooling import PADDING_FILL, WINDOW_LINE
from cnnviz.ops import ConvStep, format_number

HULL_LINE = {"color": WINDOW_LINE, "width": 1, "dash": "dot"}  # the span of a dilated window
TAP_LINE = {"color": WINDOW_LINE, "width": 3}  # each cell a weight sits on


def colour_range(values: np.ndarray) -> tuple[str, float, float]:
    """(colour scale, zmin, zmax) for a convolution output: grey from 0 when nothing is
    negative, else a diverging scale centred on 0 (blue positive, red negative).

    Examples
    --------
    >>> colour_range(np.array([0.0, 2.0]))
    ('gray', 0.0, 2.0)
    >>> colour_range(np.array([-1.0, 3.0]))
    ('RdBu', -3.0, 3.0)
    """
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return IMAGE_COLORSCALE, 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    if low >= 0:
        return IMAGE_COLORSCALE, 0.0, high if high > 0 else 1.0
    bound = max(abs(low), abs(high))
    return SIGNED_COLORSCALE, -bound, bound


def output_map(output: np.ndarray, title: str, *, height: int = 360) -> go.Figure:
    """A convolution's output: grey when it has no negative values, else blue/red around 0."""
    colorscale, zmin, zmax = colour_range(output)
    return heatmap(output, title, zmin=zmin, zmax=zmax, colorscale=colorscale, height=height)


def _texts(values: np.ndarray) -> list[list[str]]:
    return [["" if np.isnan(value) else format_number(value) for value in row] for row in values]


def cells_outline(
    rows: Sequence[int], cols: Sequence[int], *, line: Mapping[str, Any]
) -> dict[str, Any]:
    """One plotly path shape outlining the cell at every (row, col) of ``rows`` × ``cols``.

    One shape instead of one rectangle per cell: plotly validates every shape it is given, and
    the 49 rectangles of a 7×7 kernel were a good part of the page's rerun (bench/README.md).

    Examples
    --------
    >>> cells_outline([0], [0, 2], line={"width": 2})["path"]
    'M-0.5,-0.5H0.5V0.5H-0.5Z M1.5,-0.5H2.5V0.5H1.5Z'
    """
    boxes = [
        f"M{col - 0.5},{row - 0.5}H{col + 0.5}V{row + 0.5}H{col - 0.5}Z"
        for row in map(int, rows)
        for col in map(int, cols)
    ]
    if not boxes:
        raise ValueError("An outline needs at least one row and one column.")
    return {"type": "path", "xref": "x", "yref": "y", "path": " ".join(boxes), "line": dict(line)}


def step_through(
    grid: np.ndarray,
    step: ConvStep,
    output: np.ndarray,
    cell: tuple[int, int],
    *,
    height: int = 380,
) -> go.Figure:
    """One output cell of a convolution: the padded grid with each weight's cell outlined (a
    dilated kernel's gaps show), the kernel, and the output filled up to this cell.

    Parameters
    ----------
    grid : ndarray, shape (H, W)
        The input, unpadded.
    step : ConvStep
        ``cnnviz.ops.conv_step`` of ``cell``: where the weights sit and the padding.
    output : ndarray, shape (out_H, out_W)
        The whole output; cells after ``cell`` (row by row) are left empty, not yet computed.
    cell : (int, int)
        The output cell being computed; outlined.
    """
    grid = np.asarray(grid, dtype=float)
    output = np.asarray(output, dtype=float)
    row, col = cell
    if not (0 <= row < output.shape[0] and 0 <= col < output.shape[1]):
        raise ValueError(f"Cell {cell} is outside the {output.shape[0]}×{output.shape[1]} output.")
    top, bottom, left, right = step.padding
    padded = np.pad(grid, [(top, bottom), (left, right)])
    computed = np.arange(output.size).reshape(output.shape) <= row * output.shape[1] + col
    shown_output = np.where(computed, output, np.nan)
    weights = np.asarray(step.weights, dtype=float)
    input_title = f"Input {grid.shape[0]} × {grid.shape[1]}" + (
        f", padded to {padded.shape[0]} × {padded.shape[1]}" if any(step.padding) else ""
    )
    layout = panel_layout(
        [padded.shape[1], weights.shape[1], output.shape[1]],
        [
            input_title,
            f"Kernel {weights.shape[0]} × {weights.shape[1]}",
            f"Output {output.shape[0]} × {output.shape[1]}",
        ],
        gap=0.06,
    )
    bound = float(np.abs(weights).max()) or 1.0
    _, out_low, out_high = colour_range(output)
    panels = [
        (padded, ("x", "y"), IMAGE_COLORSCALE, float(np.nanmin(padded)), float(np.nanmax(padded))),
        (weights, ("x2", "y2"), SIGNED_COLORSCALE, -bound, bound),
        (shown_output, ("x3", "y3"), colour_range(output)[0], out_low, out_high),
    ]
    # Plain dicts, not go.Heatmap: the chart redraws on every move of the cell slider, and
    # plotly's property-by-property validation was most of its cost (see figure_from_spec).
    # The colour scales go spelt out, as validation would send them.
    traces = [
        {
            "type": "heatmap",
            "z": values,
            "text": _texts(values),
            "texttemplate": "%{text}",
            "textfont": {"size": 12},
            "zmin": zmin,
            "zmax": zmax if zmax > zmin else zmin + 1,
            "colorscale": explicit_colorscale(colorscale),
            "showscale": False,
            "hovertemplate": "row %{y}, col %{x}: %{text}<extra></extra>",
            "xaxis": axes[0],
            "yaxis": axes[1],
        }
        for values, axes, colorscale, zmin, zmax in panels
    ]
    shapes = [
        image_frame(*padded.shape),
        image_frame(*weights.shape, axes=("x2", "y2")),
        image_frame(*output.shape, axes=("x3", "y3")),
    ]
    # The padding, washed orange (its cells hold the zeros the sum multiplies).
    strips = [
        ((0, top), (0, padded.shape[1])),
        ((padded.shape[0] - bottom, padded.shape[0]), (0, padded.shape[1])),
        ((top, padded.shape[0] - bottom), (0, left)),
        ((top, padded.shape[0] - bottom), (padded.shape[1] - right, padded.shape[1])),
    ]
    shapes += [
        cell_box(rows, cols, fillcolor=PADDING_FILL)
        for rows, cols in strips
        if rows[1] > rows[0] and cols[1] > cols[0]
    ]
    tap_rows, tap_cols = step.rows + top, step.cols + left  # in the padded grid
    if len(tap_rows) > 1 or len(tap_cols) > 1:
        shapes.append(
            cell_box(
                (int(tap_rows[0]), int(tap_rows[-1]) + 1),
                (int(tap_cols[0]), int(tap_cols[-1]) + 1),
                line=HULL_LINE,
            )
        )
    shapes.append(cells_outline(tap_rows, tap_cols, line=TAP_LINE))
    shapes.append(cell_box((row, row + 1), (col, col + 1), axes=("x3", "y3"), line=TAP_LINE))
    layout["shapes"] = shapes
    # Every cell numbered on a small grid; on a big one (a dilated kernel's full padding) plotly
    # picks fewer ticks, since one a cell would pile up in a panel a phone draws 100 px wide.
    for suffix, (rows, cols) in zip(
        ("", "2", "3"), (padded.shape, weights.shape, output.shape), strict=True
    ):
        layout[f"xaxis{suffix}"].update(cell_ticks(cols))
        layout[f"yaxis{suffix}"].update(cell_ticks(rows))
    layout.update(height=height, plot_bgcolor="white")
    return figure_from_spec({"data": traces, "layout": layout})
