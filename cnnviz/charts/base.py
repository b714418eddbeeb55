"""The drawing base every page's charts share: margins, colours, heatmaps, rows of images.

A chart builder is a function from data to a ``plotly.graph_objects.Figure``; nothing in
``cnnviz.charts`` draws on screen or imports streamlit, so every builder is tested without a
browser. Images follow one convention throughout: a heatmap's row 0 is at the top and cell
(r, c) is centred on (x=c, y=r), so it spans c ± 0.5 and r ± 0.5 (``cell_box`` draws around
cells in those coordinates).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

# plotly imports pandas lazily on the first figure; with thirty sessions drawing their first
# figure at once, one thread could see a half-initialised pandas. Import it here, once.
import pandas  # noqa: F401
import plotly.graph_objects as go
from PIL import Image

from cnnviz.charts.pictures import IMAGE_COLORSCALE, picture_source

# One look for every image in the app: grey for intensities (IMAGE_COLORSCALE, from pictures.py),
# a diverging scale for signed maps.
SIGNED_COLORSCALE = "RdBu"
CHART_MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}
IMAGE_ROW_MAX_SIDE = 256  # side-by-side panels are drawn at most this many pixels per side
# Up to this many cells an image is sent as its numbers (hovering reads each value); a bigger one
# as a picture, a few bytes a pixel instead of about six, since its numbers are too many to read
# one by one anyway (the step-through shows them).
NUMBER_GRID_MAX_CELLS = 64 * 64
# What every chart is drawn with (``st.plotly_chart(..., config=CHART_CONFIG)``): without
# plotly's toolbar, which floats over the top right of a chart and, on a touch screen, always
# shows, over the titles and tick labels of a phone's narrow charts. Zooming stays (drag;
# a double-click or a double tap zooms back out).
CHART_CONFIG = {"displayModeBar": False}
# Image titles, which end with the shape, start TOOLBAR_HEIGHT below a chart's top, where the
# toolbar was, and wrap to fit a phone.
TOOLBAR_HEIGHT = 30  # px
PHONE_CHART_WIDTH = 330  # px a full-width chart has on a 360-390 px wide phone
TITLE_CHAR_WIDTH = 7.0  # px, a character of a chart title (Streamlit's theme, in Chromium)
TITLE_LINE_HEIGHT = 20  # px
PANEL_TITLE_SIZE = 14  # px, the font of the panel titles of up to three images side by side
PANEL_TITLE_SIZE_MANY = 12  # px, of four or more
# Up to this many cells along an axis, its ticks are whole cells, one each: plotly's own choice
# there numbers cell boundaries and fractions (a 1 × 1 image got -0.4, -0.2, 0, 0.2).
WHOLE_TICKS_MAX_CELLS = 10
# A thin frame around every image, so one that is all white (or all the page's colour) still
# shows where it is.
FRAME_LINE = {"color": "#a0a0a0", "width": 1}

# Plotly's default colours, named once; each page's module gives them their roles.
BLUE = "#1f77b4"
ORANGE = "#ff7f0e"
GREEN = "#2ca02c"
RED = "#d62728"
PURPLE = "#9467bd"
BROWN = "#8c564b"
GREY = "#7f7f7f"


def cell_box(
    rows: tuple[int, int],
    cols: tuple[int, int],
    *,
    axes: tuple[str, str] = ("x", "y"),
    line: Mapping[str, Any] | None = None,
    fillcolor: str | None = None,
) -> dict[str, Any]:
    """A plotly rectangle shape around whole cells of a heatmap drawn in image coordinates.

    Parameters
    ----------
    rows, cols : (int, int)
        The first cell and one past the last, like a slice: ``rows=(1, 3)`` covers rows 1 and 2.
    axes : (str, str)
        The x and y axis the heatmap is on, e.g. ``("x2", "y2")`` for the second panel.
    line : mapping, optional
        The outline (plotly ``line``: colour, width); by default none.
    fillcolor : str, optional
        A colour to wash the cells with; by default they stay clear.

    Examples
    --------
    >>> box = cell_box((1, 3), (0, 2), line={"color": "red", "width": 2})
    >>> [box[key] for key in ("x0", "x1", "y0", "y1")]
    [-0.5, 1.5, 0.5, 2.5]
    """
    (top, bottom), (left, right) = rows, cols
    if bottom < top or right < left:
        raise ValueError(f"A box needs start <= stop, got rows {rows} and columns {cols}.")
    shape: dict[str, Any] = {
        "type": "rect",
        "xref": axes[0],
        "yref": axes[1],
        "x0": left - 0.5,
        "x1": right - 0.5,
        "y0": top - 0.5,
        "y1": bottom - 0.5,
        "line": dict(line) if line is not None else {"width": 0},
    }
    if fillcolor is not None:
        shape["fillcolor"] = fillcolor
    return shape


def image_frame(
    rows: float, cols: float, *, axes: tuple[str, str] = ("x", "y"), top: float = 0, left: float = 0
) -> dict[str, Any]:
    """A thin grey frame around an image of ``rows`` × ``cols`` cells whose first cell is at
    (``top``, ``left``) (``FRAME_LINE``)."""
    frame = cell_box((0, rows), (0, cols), axes=axes, line=FRAME_LINE)
    for key, shift in (("x0", left), ("x1", left), ("y0", top), ("y1", top)):
        frame[key] += shift
    return frame


def image_trace(
    image: np.ndarray,
    *,
    zmin: float | None = None,
    zmax: float | None = None,
    colorscale: str = IMAGE_COLORSCALE,
    axes: tuple[str, str] = ("x", "y"),
    x0: float = 0.0,
    y0: float = 0.0,
    dx: float = 1.0,
    dy: float = 1.0,
    value_format: str = ".3f",
    as_numbers: bool | None = None,
) -> go.Heatmap | go.Image:
    """One image as a plotly trace: its numbers if it is small, else a picture of it.

    Up to ``NUMBER_GRID_MAX_CELLS`` cells it is a heatmap whose hover gives each cell's row,
    column and value; a bigger image becomes an image trace of ``picture_source`` (hover gives the
    row and column). Both draw cell (r, c) of ``image`` centred on (x0 + c·dx, y0 + r·dy).
    ``as_numbers`` forces one or the other.
    """
    image = np.asarray(image, dtype=np.float32)
    placement = {"x0": x0, "y0": y0, "dx": dx, "dy": dy, "xaxis": axes[0], "yaxis": axes[1]}
    if as_numbers if as_numbers is not None else image.size <= NUMBER_GRID_MAX_CELLS:
        return go.Heatmap(
            z=image,
            zmin=zmin,
            zmax=zmax,
            colorscale=colorscale,
            showscale=False,
            hovertemplate="row %{y:.0f}, col %{x:.0f}: %{z:" + value_format + "}<extra></extra>",
            **placement,
        )
    finite = image[np.isfinite(image)]
    low = zmin if zmin is not None else float(finite.min()) if finite.size else 0.0
    high = zmax if zmax is not None else float(finite.max()) if finite.size else 1.0
    return go.Image(
        source=picture_source(image, zmin=low, zmax=high, colorscale=colorscale),
        hovertemplate="row %{y:.0f}, col %{x:.0f}<extra></extra>",
        **placement,
    )


def wrap_title(text: str, max_chars: int) -> list[str]:
    """``text`` in lines of at most ``max_chars`` characters, broken at spaces; a part in
    parentheses (a shape such as "(150 × 225)"), a shape ("3 × 3") and a longer word are never
    broken.

    Examples
    --------
    >>> wrap_title("Max pooling, 2×2, stride 2, valid (150 × 225)", 20)
    ['Max pooling, 2×2,', 'stride 2, valid', '(150 × 225)']
    >>> wrap_title("Kernel 3 × 3", 8)
    ['Kernel', '3 × 3']
    """
    lines: list[str] = []
    for word in re.findall(r"\([^)]*\)|\d+ × \d+|[^\s(]+", text):
        if lines and len(lines[-1]) + 1 + len(word) <= max_chars:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def figure_from_spec(spec: Mapping[str, Any]) -> go.Figure:
    """A figure from a plain ``{"data": [...], "layout": {...}}`` spec, built without plotly's
    property-by-property validation.

    For charts redrawn on every slider move: building one from ``go.Scatter``, ``add_hline``
    and ``update_layout`` costs tens of milliseconds of validation (most of a move's server
    time on the Draw page, bench/README.md), this a few. The spec must be what plotly's
    validation would send: a misspelt property is rejected there, and a name validation
    resolves (a colour scale's) must be spelt out here (``explicit_colorscale``), since the
    browser reads names its own way. The tests compare every figure built this way with its
    validated copy (``plotly.io.to_json(figure, validate=True)``).

    >>> spec = {"data": [{"type": "bar", "y": [1, 2]}], "layout": {"height": 200}}
    >>> figure = figure_from_spec(spec)
    >>> figure.data[0].type, figure.layout.height
    ('bar', 200)
    """
    return go.Figure(dict(spec), _validate=False)


def title_below_toolbar(text: str, **margin: int) -> dict[str, Any]:
    """Layout settings for a chart's title: wrapped to fit a phone's width, just above the plot
    (an image's y axis hugs the top), and below plotly's toolbar; ``margin`` sets the other
    sides (``l=60``), the top one follows from the title's lines.

    Examples
    --------
    >>> settings = title_below_toolbar("Output (14 × 14)", l=60)
    >>> settings["title"]["text"], settings["margin"]["l"]
    ('Output (14 × 14)', 60)
    >>> settings["margin"]["t"] == TOOLBAR_HEIGHT + TITLE_LINE_HEIGHT + 12  # one line
    True
    >>> two_lines = title_below_toolbar("Accuracy on MNIST test digits shifted up, down, left")
    >>> two_lines["title"]["text"].count("<br>"), two_lines["title"]["pad"]["b"] - TITLE_LINE_HEIGHT
    (1, 12)
    """
    lines = wrap_title(text, int(PHONE_CHART_WIDTH / TITLE_CHAR_WIDTH))
    top = TOOLBAR_HEIGHT + (TITLE_LINE_HEIGHT * len(lines) + 12 if lines else 0)
    return {
        "title": {
            "text": "<br>".join(lines),
            "yref": "paper",
            "y": 1.0,
            "yanchor": "bottom",
            # Clear of the top tick label. Plotly anchors a title of several lines by its
            # first line, the others hang below it: lift it by their height too.
            "pad": {"b": 12 + TITLE_LINE_HEIGHT * max(len(lines) - 1, 0)},
        },
        "margin": {**CHART_MARGIN, **margin, "t": top},
    }


def cell_ticks(cells: int) -> dict[str, Any]:
    """Axis settings numbering every cell of an axis ``cells`` long when it is short
    (``WHOLE_TICKS_MAX_CELLS``); none (plotly's own ticks) for a longer one.

    Examples
    --------
    >>> cell_ticks(1)
    {'tickmode': 'linear', 'tick0': 0, 'dtick': 1}
    >>> cell_ticks(28)
    {}
    """
    if cells > WHOLE_TICKS_MAX_CELLS:
        return {}
    return {"tickmode": "linear", "tick0": 0, "dtick": 1}


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
    """A 2-D array as an image with row 0 at the top, square pixels, a frame and the shape in the
    title: its numbers when it is small, a picture when it is big (``image_trace``).

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
    trace = image_trace(
        image,
        zmin=zmin,
        zmax=zmax,
        colorscale=colorscale,
        value_format=value_format,
        as_numbers=True if show_values else None,
    )
    if show_values:
        trace.update(texttemplate="%{z:" + value_format + "}", textfont={"size": 11})
    figure = go.Figure(trace)
    shape_text = f"{image.shape[0]} × {image.shape[1]}"
    figure.update_layout(
        **title_below_toolbar(f"{title} ({shape_text})" if title else shape_text),
        height=height,
        shapes=[image_frame(*image.shape)],
    )
    image_axes(figure)
    rows, cols = image.shape
    # A strip: drawn a quarter as high as long at least, and no numbers across its short side.
    figure.update_xaxes(showticklabels=cols * STRIP_RATIO > rows, **cell_ticks(cols))
    figure.update_yaxes(
        showticklabels=rows * STRIP_RATIO > cols,
        scaleratio=strip_scale(rows, cols),
        **cell_ticks(rows),
    )
    return figure


def image_axes(figure: go.Figure, *, visible: bool = True) -> go.Figure:
    """Give ``figure``'s one pair of axes the image convention: row 0 at the top, square cells,
    the image right under its title (spare height goes below it); ``visible=False`` hides the
    ticks (mosaics, whose coordinates mean nothing)."""
    figure.update_xaxes(visible=visible, constrain="domain")
    figure.update_yaxes(
        visible=visible,
        autorange="reversed",
        scaleanchor="x",
        constrain="domain",
        constraintoward="top",
    )
    return figure


def panel_layout(widths: Sequence[float], titles: Sequence[str], gap: float) -> dict[str, Any]:
    """A layout for images side by side, panel i on axes x{i}/y{i} ("x", "x2", ...).

    Each panel's width share follows ``widths``; row 0 is at the top and pixels are square.
    Each title sits right above its image, wrapped to the panel's width on a phone, and the
    titles start below plotly's toolbar.
    Built as one plain dict: plotly's make_subplots plus per-axis updates cost more than the
    rest of a figure, and every rerun of the pooling page would pay it several times.
    """
    usable = 1.0 - gap * (len(widths) - 1)
    total = float(sum(widths))
    font_size = PANEL_TITLE_SIZE if len(widths) <= 3 else PANEL_TITLE_SIZE_MANY
    layout: dict[str, Any] = {"annotations": []}
    tallest = 1
    left = 0.0
    for index, (width, title) in enumerate(zip(widths, titles, strict=True), start=1):
        suffix = "" if index == 1 else str(index)
        right = min(1.0, left + usable * width / total)
        # An average character is about half the font size wide.
        lines = wrap_title(title, max(6, int(PHONE_CHART_WIDTH * (right - left) / (font_size / 2))))
        tallest = max(tallest, len(lines))
        layout[f"xaxis{suffix}"] = {
            "domain": [left, right],
            "anchor": f"y{suffix}",
            "constrain": "domain",
        }
        layout[f"yaxis{suffix}"] = {
            "domain": [0.0, 1.0],
            "anchor": f"x{suffix}",
            "autorange": "reversed",
            "scaleanchor": f"x{suffix}",
            "constrain": "domain",
            "constraintoward": "top",
        }
        layout["annotations"].append(
            {
                "text": "<br>".join(lines),
                "xref": "paper",
                "yref": "paper",
                "x": (left + right) / 2,
                "y": 1.0,
                "xanchor": "center",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": font_size},
            }
        )
        left = right + gap
    title_height = round(tallest * font_size * 1.3) + 4
    layout["margin"] = {**CHART_MARGIN, "t": TOOLBAR_HEIGHT + title_height}
    return layout


STRIP_RATIO = 4  # an image this many times longer than wide is a strip: no numbers across it


def strip_scale(rows: int, cols: int) -> float:
    """How much taller than wide to draw a cell of a ``rows`` × ``cols`` image (plotly's
    ``scaleratio``): 1 (square cells) unless it is longer than ``STRIP_RATIO`` times its width,
    which is then drawn as if it were exactly that long, so that its short side keeps a few
    pixels on screen (a 3 × 1000 strip with square cells is about 1 px high in a panel).

    Examples
    --------
    >>> strip_scale(28, 28), strip_scale(3, 1000), strip_scale(1000, 3)
    (1.0, 83.33333333333333, 0.012)
    """
    if rows < 1 or cols < 1:
        raise ValueError(f"An image needs at least one row and one column, got {rows} × {cols}.")
    aspect = cols / rows
    if aspect > STRIP_RATIO:
        return aspect / STRIP_RATIO
    if aspect < 1 / STRIP_RATIO:
        return aspect * STRIP_RATIO
    return 1.0


def image_row(
    images: Mapping[str, np.ndarray],
    *,
    zmin: float | None = None,
    zmax: float | None = None,
    colorscale: str = IMAGE_COLORSCALE,
    same_scale: bool = False,
    max_display_side: int | None = IMAGE_ROW_MAX_SIDE,
    height: int = 320,
) -> go.Figure:
    """Several images side by side, each titled with its name and shape, on one colour scale.

    Parameters
    ----------
    images : mapping of str to ndarray (H, W)
        Title → image, shown left to right (e.g. max, min and average pooling of one image).
    zmin, zmax : float, optional
        The shared colour range; by default the range over all images.
    same_scale : bool
        Draw every image at the same pixel size, centred in a frame as big as the largest one,
        so that differences in size show (e.g. valid vs same vs full convolution).
    max_display_side : int, optional
        Bigger images are drawn area-averaged down to this many pixels per side (each panel is
        only a few hundred pixels wide on screen anyway, and it keeps reruns fast); the title
        still gives the real shape. ``None`` draws every pixel.

    Raises
    ------
    ValueError
        If there are no images or one is not 2-D.
    """
    arrays = {name: np.asarray(image, dtype=np.float32) for name, image in images.items()}
    if not arrays:
        raise ValueError("image_row needs at least one image.")
    for name, image in arrays.items():
        if image.ndim != 2:
            raise ValueError(f"'{name}' must be a 2-D image, got shape {image.shape}.")
    finite = [image[np.isfinite(image)] for image in arrays.values()]
    finite = [values for values in finite if values.size]
    if zmin is None:
        zmin = min(float(values.min()) for values in finite) if finite else 0.0
    if zmax is None:
        zmax = max(float(values.max()) for values in finite) if finite else 1.0
    titles = [f"{name} ({image.shape[0]} × {image.shape[1]})" for name, image in arrays.items()]
    real_shapes = {name: image.shape for name, image in arrays.items()}
    if max_display_side is not None:
        arrays = {name: _shrink(image, max_display_side) for name, image in arrays.items()}
    layout = panel_layout([1] * len(arrays), titles, gap=0.04)
    # Every panel is drawn in the real image's cell coordinates, however much it was shrunk.
    largest_rows = max(rows for rows, _ in real_shapes.values())
    largest_cols = max(cols for _, cols in real_shapes.values())
    traces, frames = [], []
    for index, (name, image) in enumerate(arrays.items(), start=1):
        suffix = "" if index == 1 else str(index)
        axes = (f"x{suffix}", f"y{suffix}")
        rows, cols = real_shapes[name]
        # Centre smaller images in the frame of the largest, one cell per unit.
        top = (largest_rows - rows) / 2 if same_scale else 0
        left = (largest_cols - cols) / 2 if same_scale else 0
        dy, dx = rows / image.shape[0], cols / image.shape[1]
        traces.append(
            image_trace(
                image,
                zmin=zmin,
                zmax=zmax,
                colorscale=colorscale,
                axes=axes,
                x0=left + (dx - 1) / 2,  # the centre of the first shown pixel
                y0=top + (dy - 1) / 2,
                dx=dx,
                dy=dy,
            )
        )
        frames.append(image_frame(rows, cols, axes=axes, top=top, left=left))
        if same_scale:
            layout[f"xaxis{suffix}"]["range"] = [-0.5, largest_cols - 0.5]
            layout[f"yaxis{suffix}"]["range"] = [largest_rows - 0.5, -0.5]
            layout[f"yaxis{suffix}"].pop("autorange")
    for index, (rows, cols) in enumerate(real_shapes.values(), start=1):
        suffix = "" if index == 1 else str(index)
        layout[f"xaxis{suffix}"].update(cell_ticks(largest_cols if same_scale else cols))
        layout[f"yaxis{suffix}"].update(cell_ticks(largest_rows if same_scale else rows))
        # A strip's short side has no room for its numbers (they overprint each other in a
        # panel a few pixels wide); its title gives the size.
        if cols * STRIP_RATIO <= rows:
            layout[f"xaxis{suffix}"]["showticklabels"] = False
        if rows * STRIP_RATIO <= cols:
            layout[f"yaxis{suffix}"]["showticklabels"] = False
        if not same_scale:
            layout[f"yaxis{suffix}"]["scaleratio"] = strip_scale(rows, cols)
    if not same_scale and len({rows for rows, _ in real_shapes.values()}) == 1:
        # As many rows in every panel: the first one's row numbers serve them all, and the
        # others' would sit on the previous image in a narrow row of panels.
        for index in range(2, len(arrays) + 1):
            layout[f"yaxis{index}"]["showticklabels"] = False
    layout["height"] = height
    layout["shapes"] = frames
    return go.Figure(data=traces, layout=layout)


def _shrink(image: np.ndarray, max_side: int) -> np.ndarray:
    """``image`` area-averaged so its longer side is at most ``max_side`` (NaN-free images)."""
    if max(image.shape) <= max_side or not np.all(np.isfinite(image)):
        return image
    scale = max_side / max(image.shape)
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return np.asarray(Image.fromarray(image, mode="F").resize(size, Image.Resampling.BOX))
