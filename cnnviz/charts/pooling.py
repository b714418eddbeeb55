"""Charts of the Pooling & padding page: padded images, the step-through, shift bars and curves.

The input and output images themselves are ``cnnviz.charts.base.heatmap`` and ``image_row``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from cnnviz.charts.base import (
    BLUE,
    BROWN,
    GREEN,
    GREY,
    IMAGE_COLORSCALE,
    ORANGE,
    PURPLE,
    cell_box,
    heatmap,
    image_frame,
    panel_layout,
    title_below_toolbar,
)

PADDING_FILL = "rgba(255, 165, 0, 0.35)"  # orange wash over padded cells
PADDING_LINE = "orange"
WINDOW_LINE = "#e4002b"  # red: the window being pooled and the output cell it fills
CHANGE_COLORS = (GREY, BLUE, GREEN, PURPLE, BROWN)  # the input first, then each pooling mode
SHIFT_CURVE_COLORS = (BLUE, ORANGE)  # one per shipped model


def _cell_texts(values: np.ndarray, value_format: str) -> list[list[str]]:
    """Each cell's value as text, blank where the value is NaN (padding, cells not yet computed)."""
    return [
        ["" if np.isnan(value) else format(value, value_format) for value in row] for row in values
    ]


def _padding_shapes(
    shape: tuple[int, int], padding: tuple[int, int, int, int], axes: tuple[str, str] = ("x", "y")
) -> list[dict[str, Any]]:
    """Orange strips over the padded border of an image of ``shape`` (padded size) and an
    outline around the real image inside it."""
    top, bottom, left, right = padding
    rows, cols = shape
    inner_rows = (top, rows - bottom)
    strips = [
        ((0, top), (0, cols)),  # (rows, cols): top
        ((rows - bottom, rows), (0, cols)),  # bottom
        (inner_rows, (0, left)),  # left
        (inner_rows, (cols - right, cols)),  # right
    ]
    shapes = [
        cell_box(strip_rows, strip_cols, axes=axes, fillcolor=PADDING_FILL)
        for strip_rows, strip_cols in strips
        if strip_rows[1] > strip_rows[0] and strip_cols[1] > strip_cols[0]
    ]
    if any(padding):
        outline = {"color": PADDING_LINE, "width": 3}
        shapes.append(cell_box(inner_rows, (left, cols - right), axes=axes, line=outline))
    return shapes


def padded_heatmap(
    padded: np.ndarray,
    padding: tuple[int, int, int, int],
    title: str = "Padded input",
    *,
    zmin: float | None = 0.0,
    zmax: float | None = 1.0,
    show_values: bool = False,
    value_format: str = ".2f",
    height: int = 360,
) -> go.Figure:
    """A padded image with its border of padding cells washed orange and the real image outlined.

    Parameters
    ----------
    padded : ndarray, shape (H + top + bottom, W + left + right)
        The image after padding (e.g. ``cnnviz.ops.pad2d``).
    padding : (top, bottom, left, right)
        How many rows/columns of ``padded`` are padding on each side.

    Raises
    ------
    ValueError
        If the padding is negative or leaves no real image.
    """
    padded = np.asarray(padded, dtype=float)
    top, bottom, left, right = padding
    if min(padding) < 0 or top + bottom >= padded.shape[0] or left + right >= padded.shape[1]:
        raise ValueError(f"Padding {padding} does not fit an image of shape {padded.shape}.")
    figure = heatmap(
        padded,
        title,
        zmin=zmin,
        zmax=zmax,
        show_values=show_values,
        value_format=value_format,
        height=height,
    )
    for shape in _padding_shapes(padded.shape, padding):
        figure.add_shape(shape)
    return figure


def step_through(
    padded_input: np.ndarray,
    window_rows: slice,
    window_cols: slice,
    output: np.ndarray,
    cell: tuple[int, int],
    *,
    padding: tuple[int, int, int, int] = (0, 0, 0, 0),
    value_format: str = ".2f",
    zmin: float | None = 0.0,
    zmax: float | None = 1.0,
    height: int = 380,
) -> go.Figure:
    """One step of pooling: the input with the window outlined, the output filled so far.

    Parameters
    ----------
    padded_input : ndarray, shape (H', W')
        The input after padding; NaN cells (padding that pooling ignores) are drawn empty.
    window_rows, window_cols : slice
        The window in ``padded_input``'s coordinates (``cnnviz.ops.window_for_output``).
    output : ndarray, shape (out_H, out_W)
        The whole pooled output; cells after ``cell`` (row by row) are hidden, not yet computed.
    cell : (int, int)
        The output cell this window produces; outlined.
    padding : (top, bottom, left, right)
        The padded border of ``padded_input``, washed orange.
    """
    padded_input = np.asarray(padded_input, dtype=float)
    output = np.asarray(output, dtype=float)
    row, col = cell
    if not (0 <= row < output.shape[0] and 0 <= col < output.shape[1]):
        raise ValueError(f"Cell {cell} is outside the {output.shape[0]}×{output.shape[1]} output.")
    computed = np.arange(output.size).reshape(output.shape) <= row * output.shape[1] + col
    shown_output = np.where(computed, output, np.nan)
    input_title = f"Input {padded_input.shape[0]} × {padded_input.shape[1]}" + (
        " (with padding)" if any(padding) else ""
    )
    layout = panel_layout(
        [padded_input.shape[1], output.shape[1]],
        [input_title, f"Output {output.shape[0]} × {output.shape[1]}"],
        gap=0.08,
    )
    traces = [
        go.Heatmap(
            z=values,
            text=_cell_texts(values, value_format),
            texttemplate="%{text}",
            textfont={"size": 12},
            zmin=zmin,
            zmax=zmax,
            colorscale=IMAGE_COLORSCALE,
            showscale=False,
            hovertemplate="row %{y}, col %{x}: %{text}<extra></extra>",
            xaxis=axis_x,
            yaxis=axis_y,
        )
        for values, (axis_x, axis_y) in ((padded_input, ("x", "y")), (shown_output, ("x2", "y2")))
    ]
    window_line = {"color": WINDOW_LINE, "width": 4}
    layout["shapes"] = [
        image_frame(*padded_input.shape),
        image_frame(*output.shape, axes=("x2", "y2")),
        *_padding_shapes(padded_input.shape, padding),
        cell_box(
            (window_rows.start, window_rows.stop),
            (window_cols.start, window_cols.stop),
            line=window_line,
        ),
        cell_box((row, row + 1), (col, col + 1), axes=("x2", "y2"), line=window_line),
    ]
    for axis in ("xaxis", "yaxis", "xaxis2", "yaxis2"):
        layout[axis]["dtick"] = 1
    layout.update(height=height, plot_bgcolor="white")
    return go.Figure(data=traces, layout=layout)


def change_bars(
    changes: Mapping[str, float],
    *,
    title: str = "",
    axis_title: str = "mean absolute change",
    value_format: str = ".3f",
    height: int = 300,
) -> go.Figure:
    """A bar per label: how much each picture changed (e.g. the input vs its pooled versions).

    Raises
    ------
    ValueError
        If ``changes`` is empty or holds a negative or non-finite value.
    """
    if not changes:
        raise ValueError("change_bars needs at least one value.")
    values = [float(value) for value in changes.values()]
    if not all(np.isfinite(value) and value >= 0 for value in values):
        raise ValueError(f"Changes must be finite and non-negative, got {values}.")
    labels = list(changes)
    figure = go.Figure(
        go.Bar(
            x=labels,
            y=values,
            text=[format(value, value_format) for value in values],
            textposition="outside",
            marker_color=[
                CHANGE_COLORS[index % len(CHANGE_COLORS)] for index in range(len(labels))
            ],
            hovertemplate="%{x}: %{y:" + value_format + "}<extra></extra>",
        )
    )
    figure.update_layout(
        **title_below_toolbar(title, l=60),
        height=height,
        yaxis_title=axis_title,
        yaxis_range=[0, max(values) * 1.2 or 1.0],
        yaxis_tickformat=".0%" if value_format.endswith("%") else None,
    )
    return figure


def shift_accuracy_curves(
    curves: Mapping[str, tuple[Sequence[int], Sequence[float]]],
    *,
    title: str = "",
    height: int = 340,
) -> go.Figure:
    """One line per model: its accuracy (y, in %) on test digits shifted by x pixels.

    ``curves`` maps a label to ``(shifts, accuracies)`` with accuracies in [0, 1].

    Raises
    ------
    ValueError
        If ``curves`` is empty or a curve's two lists differ in length.
    """
    if not curves:
        raise ValueError("shift_accuracy_curves needs at least one curve.")
    figure = go.Figure()
    for index, (label, (shifts, accuracies)) in enumerate(curves.items()):
        if len(shifts) != len(accuracies):
            raise ValueError(f"{label}: {len(shifts)} shifts but {len(accuracies)} accuracies.")
        figure.add_trace(
            go.Scatter(
                x=list(shifts),
                y=[100 * value for value in accuracies],
                mode="lines+markers",
                name=label,
                line={"color": SHIFT_CURVE_COLORS[index % len(SHIFT_CURVE_COLORS)]},
                hovertemplate="%{x} px: %{y:.1f}%<extra>" + label + "</extra>",
            )
        )
    figure.update_layout(
        **title_below_toolbar(title, l=60, b=50),
        height=height,
        xaxis={"title": "shift (pixels of the 28 × 28 digit)", "dtick": 1},
        yaxis={"title": "test accuracy (%)", "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.25},
    )
    return figure
