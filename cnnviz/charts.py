"""Plotly figure builders: data in, ``plotly.graph_objects.Figure`` out.

Pages only place these figures; nothing here draws on screen or imports streamlit, so every
builder is tested without a browser.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

# One look for every image in the app: grey for intensities, a diverging scale for signed maps.
IMAGE_COLORSCALE = "gray"
SIGNED_COLORSCALE = "RdBu"
CHART_MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}


def heatmap(
    image: np.ndarray,
    title: str = "",
    *,
    zmin: float | None = None,
    zmax: float | None = None,
    colorscale: str = IMAGE_COLORSCALE,
    show_values: bool = False,
    value_format: str = ".2f",
    height: int = 320,
) -> go.Figure:
    """A 2-D array as a heatmap with row 0 at the top, square pixels, and the shape in the title.

    Parameters
    ----------
    image : ndarray, shape (H, W)
        The values to show.
    title : str
        Shown above the map, followed by the array's shape, e.g. "Output (14 × 14)".
    zmin, zmax : float, optional
        Fix the colour range (so an input and its pooled output share one scale).
    show_values : bool
        Write each cell's value in it; only sensible for small grids (the step-through).
    """
    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"heatmap needs a 2-D array, got shape {image.shape}.")
    trace = go.Heatmap(
        z=image,
        zmin=zmin,
        zmax=zmax,
        colorscale=colorscale,
        showscale=False,
        hovertemplate="row %{y}, col %{x}: %{z:" + value_format + "}<extra></extra>",
    )
    if show_values:
        trace.update(texttemplate="%{z:" + value_format + "}", textfont={"size": 11})
    figure = go.Figure(trace)
    shape_text = f"{image.shape[0]} × {image.shape[1]}"
    figure.update_layout(
        title=f"{title} ({shape_text})" if title else shape_text,
        height=height,
        margin=CHART_MARGIN,
    )
    figure.update_yaxes(autorange="reversed", scaleanchor="x", constrain="domain")
    figure.update_xaxes(constrain="domain")
    return figure
