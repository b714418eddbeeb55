"""Charts of the Draw a digit page: the probabilities, the feature maps, the filters.

The preprocessing steps are drawn with ``cnnviz.charts.base.image_row``.
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
    SIGNED_COLORSCALE,
    cell_box,
    figure_from_spec,
    image_axes,
    image_row,
    title_below_toolbar,
)

PROBABILITY_COLOR = "#9fb7d3"  # pale blue: the classes the model did not pick
PREDICTION_COLOR = BLUE  # the predicted class
FIELD_LINE = {"color": RED, "width": 3}  # the part of the input one unit sees
MOSAIC_GAP = 1  # empty pixels between the maps of a mosaic
MOSAIC_COLUMNS = 16  # maps per row in a mosaic at most
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


def _mosaic(stack: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """Tile (N, H, W) maps into one image, NaN between them; also each cell's map number.

    Both in the smallest types that hold them (float32 values, small unsigned map numbers; 0 in
    the gaps, which hover skips): a stroke redraws every layer's mosaic, and they are its bytes.
    """
    count, height, width = stack.shape
    rows = -(-count // columns)  # ceiling division
    cell_height, cell_width = height + MOSAIC_GAP, width + MOSAIC_GAP
    shape = (rows * cell_height - MOSAIC_GAP, columns * cell_width - MOSAIC_GAP)
    mosaic = np.full(shape, np.nan, dtype=np.float32)
    numbers = np.zeros(shape, dtype=np.min_scalar_type(count - 1))
    for index, image in enumerate(stack):
        row, column = divmod(index, columns)
        top, left = row * cell_height, column * cell_width
        mosaic[top : top + height, left : left + width] = image
        numbers[top : top + height, left : left + width] = index
    return mosaic, numbers


def _mosaic_figure(
    stack: np.ndarray,
    title: str,
    *,
    zmin: float,
    zmax: float,
    colorscale: str,
    columns: int | None,
    label: str,
) -> go.Figure:
    """A mosaic of maps as one heatmap (fast to draw even for hundreds of maps)."""
    columns = min(len(stack), MOSAIC_COLUMNS) if columns is None else columns
    if columns < 1:
        raise ValueError(f"columns must be at least 1, got {columns}.")
    mosaic, numbers = _mosaic(stack, columns)
    figure = go.Figure(
        go.Heatmap(
            z=mosaic,
            customdata=numbers,
            zmin=zmin,
            zmax=zmax,
            colorscale=colorscale,
            showscale=False,
            hoverongaps=False,
            hovertemplate=label + " %{customdata}: %{z:.3f}<extra></extra>",
        )
    )
    # Height follows the mosaic's aspect ratio so the maps are neither squeezed nor lost.
    aspect = mosaic.shape[0] / mosaic.shape[1]
    figure.update_layout(
        **title_below_toolbar(title), height=int(min(700, max(140, 60 + 620 * aspect)))
    )
    return image_axes(figure, visible=False)


def feature_map_range(maps: np.ndarray) -> tuple[float, float]:
    """The grey scale of one layer's maps: symmetric about 0 when any value is negative (tanh:
    mid-grey is 0), from 0 up otherwise (ReLU, or pooling after it: black is 0).

    Examples
    --------
    >>> feature_map_range(np.array([[-0.5, 0.25]])), feature_map_range(np.array([[0.0, 3.0]]))
    ((-0.5, 0.5), (0.0, 3.0))
    """
    values = np.asarray(maps, dtype=float)
    low, high = float(values.min()), float(values.max())
    if low < 0:
        limit = max(-low, high)
        return -limit, limit
    return 0.0, high if high > 0 else 1.0


def feature_map_legend(maps: np.ndarray) -> str:
    """What the greys of :func:`feature_maps` mean for these maps, in one sentence.

    Examples
    --------
    >>> feature_map_legend(np.array([[-0.9, 0.5]]))
    'Mid-grey is 0; white is +0.9 and black −0.9 (this layer outputs negative values too).'
    >>> feature_map_legend(np.array([[0.0, 2.5]]))
    'Black is 0 (nothing negative comes out of this layer); white is 2.5.'
    """
    low, high = feature_map_range(maps)
    if low < 0:
        return (
            f"Mid-grey is 0; white is +{high:.2g} and black −{high:.2g} "
            "(this layer outputs negative values too)."
        )
    return f"Black is 0 (nothing negative comes out of this layer); white is {high:.2g}."


def feature_maps(
    maps: np.ndarray,
    title: str = "",
    *,
    columns: int | None = None,
    value_range: tuple[float, float] | None = None,
) -> go.Figure:
    """One layer's feature maps for one image, tiled in a grid on the layer's shared grey scale.

    All maps share one colour range, so a map that stays dark really responds less than a
    bright one, and 0 always has the same grey (:func:`feature_map_range`: mid-grey for layers
    with negative outputs, black for the others); a colour bar shows the scale, and hovering
    names the map and its value.

    Parameters
    ----------
    maps : ndarray, shape (H, W, C)
        The layer's output for one image, channels last (as keras gives it).
    title : str
        Followed by the shape, e.g. "C1 — Conv2D (32 × 32 × 6)".
    columns : int, optional
        Maps per row; by default up to 16.
    value_range : (float, float), optional
        The grey scale's (low, high); by default :func:`feature_map_range` of these maps.
        Pass one range for a series of snapshots, so a map brightening over training is seen to.
    """
    maps = np.asarray(maps, dtype=float)
    if maps.ndim != 3 or min(maps.shape) < 1:
        raise ValueError(f"Expected feature maps of shape (H, W, C), got {maps.shape}.")
    stack = np.moveaxis(maps, -1, 0)  # (C, H, W)
    low, high = feature_map_range(maps) if value_range is None else value_range
    shape_text = " × ".join(str(size) for size in maps.shape)
    figure = _mosaic_figure(
        stack,
        f"{title} ({shape_text})" if title else shape_text,
        zmin=low,
        zmax=high,
        colorscale=IMAGE_COLORSCALE,
        columns=columns,
        label="map",
    )
    figure.update_traces(showscale=True, colorbar={"thickness": 12, "len": 0.9})
    return figure


def filter_grid(
    kernels: np.ndarray,
    title: str = "",
    *,
    columns: int | None = None,
    limit: float | None = None,
) -> go.Figure:
    """Convolution filters as small signed images: blue positive weights, red negative.

    The colour range is symmetric about zero, so white means a weight of 0.

    Parameters
    ----------
    kernels : ndarray, shape (N, kernel height, kernel width)
        One 2-D kernel per filter.
    limit : float, optional
        The largest weight the colours tell apart (±limit); by default these filters' largest.
        Pass one limit for a series of snapshots, so growing weights are seen to grow.
    """
    kernels = np.asarray(kernels, dtype=float)
    if kernels.ndim != 3 or min(kernels.shape) < 1:
        raise ValueError(f"Expected filters of shape (N, height, width), got {kernels.shape}.")
    limit = (float(np.abs(kernels).max()) if limit is None else float(limit)) or 1.0
    count, height, width = kernels.shape
    shape_text = f"{count} filters of {height} × {width}"
    return _mosaic_figure(
        kernels,
        f"{title} ({shape_text})" if title else shape_text,
        zmin=-limit,
        zmax=limit,
        colorscale=SIGNED_COLORSCALE,
        columns=columns,
        label="filter",
    )


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
