"""Charts of a network's layers: feature maps and filters, tiled into one mosaic each.

Shared by the Draw a digit page (a drawing's maps, layer by layer) and the Live training page
(the first layer's filters and maps while it trains). A mosaic is one heatmap: it draws fast
even for hundreds of maps, and a stroke on the Draw page redraws every layer's.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from cnnviz.charts.base import IMAGE_COLORSCALE, SIGNED_COLORSCALE, image_axes, title_below_toolbar

MOSAIC_GAP = 1  # empty pixels between the maps of a mosaic
MOSAIC_COLUMNS = 16  # maps per row in a mosaic at most


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
