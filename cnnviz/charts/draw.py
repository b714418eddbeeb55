"""Charts of the Draw a digit page: the probabilities, the sweeps, the receptive field.

The preprocessing steps are drawn with ``cnnviz.charts.base.image_row``, the feature maps and
the filters with ``cnnviz.charts.network`` (the Live training page shows them too).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from cnnviz.charts.base import (
    BLUE,
    BROWN,
    GREEN,
    GREY,
    IMAGE_COLORSCALE,
    PURPLE,
    RED,
    cell_box,
    figure_from_spec,
    image_axes,
    image_row,
    title_below_toolbar,
)
from cnnviz.charts.network import feature_map_range

PROBABILITY_COLOR = "#9fb7d3"  # pale blue: the classes the model did not pick
PREDICTION_COLOR = BLUE  # the predicted class
FIELD_LINE = {"color": RED, "width": 3}  # the part of the input one unit sees
SWEEP_COLORS = (BLUE, GREEN, PURPLE, BROWN)  # one per model, in the order given
SWEEP_AXIS_TITLES = {
    "shift_x": "shift to the right (pixels; negative: to the left)",
    "shift_y": "shift down (pixels; negative: up)",
    "rotation": "rotation (degrees anticlockwise; negative: clockwise)",
}


def probability_bars(probabilities: np.ndarray, *, title: str = "", height: int = 300) -> go.Figure:
    """The ten class probabilities as bars, the predicted digit highlighted, each bar labelled.

    Parameters
    ----------
    probabilities : ndarray, shape (n_classes,)
        One probability per digit, e.g. a softmax output; bar ``k`` is digit ``k``.

    Raises
    ------
    ValueError
        If ``probabilities`` is not a non-empty 1-D array.
    """
    values = np.asarray(probabilities, dtype=float)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"Expected one probability per class (1-D), got shape {values.shape}.")
    predicted = int(values.argmax())
    colors = [PREDICTION_COLOR if k == predicted else PROBABILITY_COLOR for k in range(values.size)]
    figure = go.Figure(
        go.Bar(
            x=[str(k) for k in range(values.size)],
            y=values,
            marker_color=colors,
            text=[f"{value:.0%}" for value in values],
            textposition="outside",
            hovertemplate="digit %{x}: %{y:.2%}<extra></extra>",
        )
    )
    figure.update_layout(
        **title_below_toolbar(title, l=50),
        height=height,
        xaxis_title="digit",
        xaxis_type="category",  # every digit labelled, not a numeric axis ticked 0, 5
        yaxis_title="probability",
        yaxis_range=[0, 1.15],  # room for the labels above a bar at 100 %
        yaxis_tickformat=".0%",
    )
    return figure


def compared_probability_bars(
    probabilities: Mapping[str, np.ndarray], *, title: str = "", height: int = 300
) -> go.Figure:
    """Several models' ten probabilities as grouped bars, one colour per model (its legend).

    One figure for all the models (cheaper to build and send than one each), in the colours
    of :func:`sweep_chart`, so a model keeps its colour across the two charts.

    Parameters
    ----------
    probabilities : mapping of str to ndarray of shape (n_classes,)
        Model label → its probability for each digit.
    """
    if not 1 <= len(probabilities) <= len(SWEEP_COLORS):
        raise ValueError(f"Draw one to {len(SWEEP_COLORS)} models, got {len(probabilities)}.")
    traces = []
    for (label, values), color in zip(probabilities.items(), SWEEP_COLORS, strict=False):
        values = np.asarray(values, dtype=float)
        if values.ndim != 1 or values.size == 0:
            raise ValueError(f"'{label}' needs one probability per class, got {values.shape}.")
        traces.append(
            {
                "type": "bar",
                "x": [str(k) for k in range(values.size)],
                "y": values,
                "name": label,
                "marker": {"color": color},
                "hovertemplate": f"{label}, digit %{{x}}: %{{y:.2%}}<extra></extra>",
            }
        )
    # Redrawn on every slider move: built from a spec, without plotly's validation (the tests
    # validate it).
    layout = {
        **title_below_toolbar(title, l=50),
        "height": height,
        "barmode": "group",
        "xaxis": {"title": {"text": "digit"}, "type": "category"},
        "yaxis": {"range": [0, 1.02], "tickformat": ".0%"},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
    }
    return figure_from_spec({"data": traces, "layout": layout})


def sweep_chart(
    values: Sequence[float],
    probabilities: Mapping[str, Sequence[float]],
    *,
    axis: str,
    digit: int,
    current: float | None = None,
    height: int = 340,
) -> go.Figure:
    """Each model's probability for one digit over a setting's whole range, one line per model.

    A dotted line at 50% marks where a model is no longer more sure of the digit than of all
    the others together; a red line marks where the slider stands now.

    Parameters
    ----------
    values : sequence of float
        The settings swept (the x axis).
    probabilities : mapping of str to sequence of float
        Model label → its probability of ``digit`` at each setting.
    axis : str
        "shift_x", "shift_y" or "rotation" (names the x axis).
    """
    if axis not in SWEEP_AXIS_TITLES:
        raise ValueError(f"Unknown sweep axis '{axis}'; choose one of {sorted(SWEEP_AXIS_TITLES)}.")
    if not 1 <= len(probabilities) <= len(SWEEP_COLORS):
        raise ValueError(f"Draw one to {len(SWEEP_COLORS)} models, got {len(probabilities)}.")
    x = np.asarray(values, dtype=float)
    traces = []
    for (label, series), color in zip(probabilities.items(), SWEEP_COLORS, strict=False):
        y = np.asarray(series, dtype=float)
        if y.shape != x.shape:
            raise ValueError(f"'{label}' has {y.size} probabilities for {x.size} settings.")
        traces.append(
            {
                "type": "scatter",
                "x": x,
                "y": y,
                "mode": "lines+markers",
                "name": label,
                "line": {"color": color},
                "hovertemplate": f"{label}: %{{x:g}} → p({digit}) = %{{y:.1%}}<extra></extra>",
            }
        )
    # The 50% line across the plot, and the slider's setting from bottom to top (what
    # add_hline and add_vline draw, without their cost: this chart is redrawn on every move).
    shapes = [
        {
            "type": "line",
            "xref": "x domain",
            "x0": 0,
            "x1": 1,
            "yref": "y",
            "y0": 0.5,
            "y1": 0.5,
            "line": {"dash": "dot", "color": GREY},
        }
    ]
    if current is not None:
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "x0": current,
                "x1": current,
                "yref": "y domain",
                "y0": 0,
                "y1": 1,
                "line": {"color": RED, "width": 2},
            }
        )
    layout = {
        **title_below_toolbar(f"Probability of {digit} over the whole range"),
        "height": height,
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.25, "x": 0},
        "xaxis": {"title": {"text": SWEEP_AXIS_TITLES[axis]}},
        "yaxis": {"range": [0, 1.02], "tickformat": ".0%"},
        "shapes": shapes,
    }
    return figure_from_spec({"data": traces, "layout": layout})


def receptive_field_view(
    images: dict[str, np.ndarray],
    regions: dict[str, tuple[int, int, int, int]],
    *,
    height: int = 300,
) -> go.Figure:
    """Images side by side (the network's input, the digit), each with one unit's region outlined.

    Parameters
    ----------
    images : mapping of str to ndarray (H, W)
        Title → image, left to right, values in [0, 1].
    regions : mapping of str to (top, left, bottom, right)
        The same titles → the box to outline (bottom and right exclusive).
    """
    if set(regions) != set(images):
        raise ValueError("Every image needs its region, and every region its image.")
    figure = image_row(images, zmin=0, zmax=1, height=height)
    for index, name in enumerate(images, start=1):
        suffix = "" if index == 1 else str(index)
        top, left, bottom, right = regions[name]
        figure.add_shape(
            cell_box(
                (top, bottom), (left, right), axes=(f"x{suffix}", f"y{suffix}"), line=FIELD_LINE
            )
        )
    return figure


def unit_picker(
    maps: np.ndarray, title: str, unit: tuple[int, int], *, height: int = 300
) -> go.Figure:
    """One layer's units to click on: at each position the largest of the layer's maps there,
    the chosen unit outlined, and an invisible marker on every cell that a click selects.

    A heatmap cannot be selected in plotly (only scatter-like traces can), so the clicks land on
    a transparent square marker per cell; :func:`clicked_unit` reads the unit back from the
    selection Streamlit returns.

    Parameters
    ----------
    maps : ndarray, shape (H, W, C)
        The layer's output for one image, channels last.
    title : str
        Followed by the map's shape.
    unit : (int, int)
        The (row, col) of the chosen unit, outlined.
    """
    maps = np.asarray(maps, dtype=float)
    if maps.ndim != 3 or min(maps.shape) < 1:
        raise ValueError(f"Expected feature maps of shape (H, W, C), got {maps.shape}.")
    rows, cols = maps.shape[:2]
    if not (0 <= unit[0] < rows and 0 <= unit[1] < cols):
        raise ValueError(f"Unit {unit} is outside the {rows} × {cols} map.")
    strongest = maps.max(axis=-1)  # (H, W): how strongly any of the layer's filters responds
    low, high = feature_map_range(strongest)
    row_index, col_index = np.mgrid[0:rows, 0:cols]
    # About one cell wide (the map is height − margins ≈ 240 px tall): a click anywhere on a
    # cell is nearest its own marker.
    marker_size = int(np.clip(240 / max(rows, cols), 6, 40))
    figure = go.Figure(
        [
            go.Heatmap(
                z=strongest,
                zmin=low,
                zmax=high,
                colorscale=IMAGE_COLORSCALE,
                showscale=False,
                hoverinfo="skip",  # the markers above answer the hover and the click
            ),
            go.Scatter(
                x=col_index.ravel(),
                y=row_index.ravel(),
                customdata=strongest.ravel(),
                mode="markers",
                marker={"symbol": "square", "size": marker_size, "opacity": 0},
                selected={"marker": {"opacity": 0}},
                unselected={"marker": {"opacity": 0}},
                hovertemplate="unit (row %{y}, col %{x}): %{customdata:.2f}<extra></extra>",
                showlegend=False,
            ),
        ]
    )
    figure.update_layout(
        **title_below_toolbar(f"{title} ({rows} × {cols})"),
        height=height,
        hovermode="closest",
        shapes=[
            cell_box((unit[0], unit[0] + 1), (unit[1], unit[1] + 1), line=FIELD_LINE),
        ],
    )
    image_axes(figure)
    # The map's own extent: the markers would otherwise pad the axes past the map's edges.
    figure.update_xaxes(range=[-0.5, cols - 0.5])
    figure.update_yaxes(range=[rows - 0.5, -0.5], autorange=False)
    return figure


def clicked_unit(points: Sequence[Mapping], shape: tuple[int, int]) -> tuple[int, int] | None:
    """The (row, col) of the unit clicked on a :func:`unit_picker` chart, or None.

    ``points`` is Streamlit's ``selection.points`` for that chart: each a mapping with the
    marker's ``x`` (column) and ``y`` (row). An empty selection (a click that deselected) or a
    point outside ``shape`` picks nothing.

    Examples
    --------
    >>> clicked_unit([{"x": 3, "y": 1, "curve_number": 1}], (5, 5))
    (1, 3)
    >>> clicked_unit([], (5, 5)) is None
    True
    """
    for point in points:
        x, y = point.get("x"), point.get("y")
        if x is None or y is None:
            continue
        row, col = round(float(y)), round(float(x))
        if 0 <= row < shape[0] and 0 <= col < shape[1]:
            return row, col
    return None
