"""Plotly figure builders: data in, ``plotly.graph_objects.Figure`` out.

Pages only place these figures; nothing here draws on screen or imports streamlit, so every
builder is tested without a browser.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

# plotly imports pandas lazily on the first figure; with thirty sessions drawing their first
# figure at once, one thread could see a half-initialised pandas. Import it here, once.
import pandas  # noqa: F401
import plotly.graph_objects as go
from PIL import Image
from plotly.subplots import make_subplots

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


# --- Training charts (the Live training page) -------------------------------------------------

TRAIN_COLOR = "#1f77b4"  # plotly blue: the training set
VALIDATION_COLOR = "#ff7f0e"  # plotly orange: the held-out test set used for validation
CONFUSION_COLORSCALE = "Blues"
GALLERY_CAPTION_HEIGHT = 12  # pixel rows above each gallery digit that hold its caption
GALLERY_GAP = 3  # empty pixel columns between gallery digits


def _as_series(name: str, values: Sequence[float | None]) -> np.ndarray:
    """``values`` as a float array with ``None`` turned into NaN (plotly leaves a gap there)."""
    series = np.array([np.nan if value is None else value for value in values], dtype=float)
    if series.ndim != 1:
        raise ValueError(f"{name} must be a flat sequence of numbers, got shape {series.shape}.")
    return series


def batch_curves(
    steps: Sequence[int],
    loss: Sequence[float],
    accuracy: Sequence[float],
    *,
    title: str = "",
    batches_per_epoch: int | None = None,
    height: int = 420,
) -> go.Figure:
    """Training loss (top) and accuracy (bottom) against the batch number, one shared x axis.

    Parameters
    ----------
    steps : sequence of int
        The global batch index of each point (points may be every k batches).
    loss, accuracy : sequence of float
        The values at those batches, as keras logs them: running means over the epoch so far.
    batches_per_epoch : int, optional
        Draw a dotted line where each new epoch starts.

    Raises
    ------
    ValueError
        If the three sequences differ in length.
    """
    steps_array = _as_series("steps", steps)
    loss_array = _as_series("loss", loss)
    accuracy_array = _as_series("accuracy", accuracy)
    if not len(steps_array) == len(loss_array) == len(accuracy_array):
        raise ValueError(
            f"steps, loss and accuracy must have one value per point, got {len(steps_array)}, "
            f"{len(loss_array)} and {len(accuracy_array)}."
        )
    figure = make_subplots(
        rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1, subplot_titles=("Loss", "Accuracy")
    )
    figure.add_trace(
        go.Scatter(x=steps_array, y=loss_array, mode="lines", name="loss", line_color=TRAIN_COLOR),
        row=1,
        col=1,
    )
    figure.add_trace(
        go.Scatter(
            x=steps_array,
            y=accuracy_array,
            mode="lines",
            name="accuracy",
            line_color=TRAIN_COLOR,
            hovertemplate="batch %{x}: %{y:.2%}<extra></extra>",
        ),
        row=2,
        col=1,
    )
    if batches_per_epoch is not None:
        if batches_per_epoch < 1:
            raise ValueError(f"batches_per_epoch must be at least 1, got {batches_per_epoch}.")
        last_step = np.nanmax(steps_array) if len(steps_array) else 0
        for epoch_start in range(batches_per_epoch, int(last_step) + 1, batches_per_epoch):
            figure.add_vline(x=epoch_start, line_dash="dot", line_color="grey", opacity=0.6)
    figure.update_layout(
        title=title, height=height, margin={**CHART_MARGIN, "t": 60}, showlegend=False
    )
    figure.update_xaxes(title_text="batch", row=2, col=1)
    figure.update_yaxes(tickformat=".0%", row=2, col=1)
    return figure


def epoch_curves(records: Sequence[Any], *, title: str = "", height: int = 420) -> go.Figure:
    """Training vs validation loss (top) and accuracy (bottom), one point per epoch.

    A gap between the two curves that keeps widening is the picture of overfitting.

    Parameters
    ----------
    records : sequence of epoch records
        Objects with the attributes ``epoch``, ``loss``, ``accuracy``, ``val_loss`` and
        ``val_accuracy`` (``cnnviz.training.EpochRecord``). A validation value of ``None`` (an
        epoch stopped before validation) leaves a gap in its curve.
    """
    series = {
        name: _as_series(name, [getattr(record, name) for record in records])
        for name in ("epoch", "loss", "val_loss", "accuracy", "val_accuracy")
    }
    figure = make_subplots(
        rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1, subplot_titles=("Loss", "Accuracy")
    )
    for row, metric, value_format in ((1, "loss", ".4f"), (2, "accuracy", ".2%")):
        for prefix, label, color in (
            ("", "train", TRAIN_COLOR),
            ("val_", "validation", VALIDATION_COLOR),
        ):
            figure.add_trace(
                go.Scatter(
                    x=series["epoch"],
                    y=series[prefix + metric],
                    mode="lines+markers",
                    name=label,
                    legendgroup=label,
                    showlegend=row == 1,
                    line_color=color,
                    hovertemplate=f"epoch %{{x}}, {label}: %{{y:{value_format}}}<extra></extra>",
                ),
                row=row,
                col=1,
            )
    figure.update_layout(
        title=title,
        height=height,
        margin={**CHART_MARGIN, "t": 60},
        # Below the plot: above it the legend would collide with the title in a narrow column.
        legend={"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0},
    )
    figure.update_xaxes(title_text="epoch", dtick=1, row=2, col=1)
    figure.update_yaxes(tickformat=".0%", row=2, col=1)
    return figure


def confusion_matrix(
    confusion: np.ndarray, *, title: str = "Confusion matrix", height: int = 420
) -> go.Figure:
    """A confusion matrix as a heatmap: rows the true digit, columns the predicted one.

    Every cell is annotated with its count. The colour follows log(1 + count), so a handful of
    mistakes still shows beside the ~1,000 correct answers on the diagonal.

    Parameters
    ----------
    confusion : ndarray, shape (n_classes, n_classes)
        Non-negative counts; ``confusion[t, p]`` test images of digit t were predicted as p.

    Raises
    ------
    ValueError
        If ``confusion`` is not a square matrix of non-negative whole numbers.
    """
    counts = np.asarray(confusion)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] == 0:
        raise ValueError(f"A confusion matrix must be square, got shape {counts.shape}.")
    if not np.issubdtype(counts.dtype, np.integer):
        if not np.all(np.isfinite(counts)) or not np.array_equal(counts, np.round(counts)):
            raise ValueError("A confusion matrix holds whole-number counts.")
        counts = counts.astype(np.int64)
    if counts.min() < 0:
        raise ValueError("A confusion matrix cannot hold negative counts.")
    labels = [str(index) for index in range(counts.shape[0])]
    figure = go.Figure(
        go.Heatmap(
            z=np.log1p(counts),
            x=labels,
            y=labels,
            text=counts,
            texttemplate="%{text}",
            colorscale=CONFUSION_COLORSCALE,
            showscale=False,
            hovertemplate="true %{y}, predicted %{x}: %{text} images<extra></extra>",
        )
    )
    figure.update_layout(title=title, height=height, margin={**CHART_MARGIN, "l": 60, "b": 50})
    figure.update_xaxes(
        title_text="predicted digit", side="bottom", type="category", constrain="domain"
    )
    figure.update_yaxes(
        title_text="true digit",
        autorange="reversed",
        type="category",
        scaleanchor="x",
        constrain="domain",
    )
    return figure


def misclassified_indices(
    true_labels: np.ndarray,
    probabilities: np.ndarray,
    *,
    true_class: int | None = None,
    predicted_class: int | None = None,
) -> np.ndarray:
    """Indices of the wrongly classified images, most confident mistakes first.

    Parameters
    ----------
    true_labels : ndarray, shape (N,)
        The correct digit of each image.
    probabilities : ndarray, shape (N, n_classes)
        The model's class probabilities; its prediction is the arg-max.
    true_class, predicted_class : int, optional
        Keep only mistakes on this true digit and/or predicted as this digit.

    Examples
    --------
    >>> probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    >>> misclassified_indices(np.array([0, 0, 1, 1]), probabilities).tolist()  # 80% before 60%
    [1, 2]
    """
    labels = np.asarray(true_labels)
    scores = np.asarray(probabilities)
    if scores.ndim != 2 or labels.shape != scores.shape[:1]:
        raise ValueError(
            f"Expected labels (N,) and probabilities (N, classes), got {labels.shape} and "
            f"{scores.shape}."
        )
    predicted = scores.argmax(axis=1)
    keep = predicted != labels
    if true_class is not None:
        keep &= labels == true_class
    if predicted_class is not None:
        keep &= predicted == predicted_class
    indices = np.flatnonzero(keep)
    confidence = scores[indices, predicted[indices]]
    # Stable sort, so equally confident mistakes keep the test set's order.
    return indices[np.argsort(-confidence, kind="stable")]


def misclassified_gallery(
    images: np.ndarray,
    true_labels: np.ndarray,
    probabilities: np.ndarray,
    *,
    columns: int = 4,
    title: str = "",
) -> go.Figure:
    """Digits in a grid, each captioned "true → predicted" with the model's probabilities.

    The digits are tiled into one mosaic (a single heatmap draws fast even with dozens of them);
    each caption reads e.g. "7 → 2 (91%)" and, below, the probability the model gave the true
    digit, "p(7) = 6%".

    Parameters
    ----------
    images : ndarray, shape (N, H, W)
        The digits, uint8 in [0, 255] (white ink on black, as MNIST stores them).
    true_labels : ndarray, shape (N,)
    probabilities : ndarray, shape (N, n_classes)
        The model's probabilities for these images.
    columns : int
        Digits per row.
    """
    digits = np.asarray(images)
    labels = np.asarray(true_labels)
    scores = np.asarray(probabilities)
    if digits.ndim != 3 or scores.ndim != 2 or not len(digits) == len(labels) == len(scores):
        raise ValueError(
            f"Expected images (N, H, W), labels (N,) and probabilities (N, classes), got "
            f"{digits.shape}, {labels.shape} and {scores.shape}."
        )
    if columns < 1:
        raise ValueError(f"columns must be at least 1, got {columns}.")
    figure = go.Figure()
    figure.update_layout(title=title, margin={**CHART_MARGIN, "t": 40 if title else 10})
    figure.update_xaxes(visible=False)
    # Square pixels; spare height goes below the mosaic, not above it.
    figure.update_yaxes(
        visible=False,
        autorange="reversed",
        scaleanchor="x",
        constrain="domain",
        constraintoward="top",
    )
    if len(digits) == 0:
        figure.add_annotation(text="No misclassified digits here.", showarrow=False)
        figure.update_layout(height=120)
        return figure
    rows = -(-len(digits) // columns)  # ceiling division
    digit_height, digit_width = digits.shape[1:]
    cell_height = GALLERY_CAPTION_HEIGHT + digit_height + GALLERY_GAP
    cell_width = digit_width + GALLERY_GAP
    # NaN cells are drawn transparent: the gaps and caption strips between digits.
    mosaic = np.full((rows * cell_height, columns * cell_width), np.nan)
    predicted = scores.argmax(axis=1)
    for index, digit in enumerate(digits):
        row, column = divmod(index, columns)
        top = row * cell_height + GALLERY_CAPTION_HEIGHT
        left = column * cell_width
        mosaic[top : top + digit_height, left : left + digit_width] = digit
        true_digit, guess = int(labels[index]), int(predicted[index])
        figure.add_annotation(
            x=left + (digit_width - 1) / 2,
            y=top - 1,
            yanchor="bottom",
            text=(
                f"<b>{true_digit} → {guess}</b> ({scores[index, guess]:.0%})"
                f"<br>p({true_digit}) = {scores[index, true_digit]:.0%}"
            ),
            showarrow=False,
            font={"size": 11},
        )
    figure.add_trace(
        go.Heatmap(
            z=mosaic,
            colorscale=IMAGE_COLORSCALE,
            zmin=0,
            zmax=255,
            showscale=False,
            hoverinfo="skip",
        )
    )
    figure.update_layout(height=40 + rows * 120)
    return figure


# --- Pooling & padding charts (the Pooling & padding page) ------------------------------------

PADDING_FILL = "rgba(255, 165, 0, 0.35)"  # orange wash over padded cells
PADDING_LINE = "orange"
WINDOW_LINE = "#e4002b"  # red: the window being pooled and the output cell it fills
IMAGE_ROW_MAX_SIDE = 256  # side-by-side panels are drawn at most this many pixels per side
CHANGE_COLORS = ("#7f7f7f", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b")


def _cell_texts(values: np.ndarray, value_format: str) -> list[list[str]]:
    """Each cell's value as text, blank where the value is NaN (padding, cells not yet computed)."""
    return [
        ["" if np.isnan(value) else format(value, value_format) for value in row] for row in values
    ]


def _padding_shapes(
    shape: tuple[int, int], padding: tuple[int, int, int, int], xref: str = "x", yref: str = "y"
) -> list[dict[str, Any]]:
    """Orange strips over the padded border of an image of ``shape`` (padded size) and an
    outline around the real image inside it. Cell (r, c) spans r ± 0.5, c ± 0.5."""
    top, bottom, left, right = padding
    rows, cols = shape
    strips = [
        (-0.5, -0.5, cols - 0.5, top - 0.5),  # (x0, y0, x1, y1): top
        (-0.5, rows - bottom - 0.5, cols - 0.5, rows - 0.5),  # bottom
        (-0.5, top - 0.5, left - 0.5, rows - bottom - 0.5),  # left
        (cols - right - 0.5, top - 0.5, cols - 0.5, rows - bottom - 0.5),  # right
    ]
    shapes = [
        {
            "type": "rect",
            "xref": xref,
            "yref": yref,
            "x0": x0,
            "y0": y0,
            "x1": x1,
            "y1": y1,
            "fillcolor": PADDING_FILL,
            "line": {"width": 0},
        }
        for x0, y0, x1, y1 in strips
        if x1 > x0 and y1 > y0
    ]
    if any(padding):
        shapes.append(
            {
                "type": "rect",
                "xref": xref,
                "yref": yref,
                "x0": left - 0.5,
                "y0": top - 0.5,
                "x1": cols - right - 0.5,
                "y1": rows - bottom - 0.5,
                "line": {"color": PADDING_LINE, "width": 3},
            }
        )
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
    figure.update_layout(shapes=_padding_shapes(padded.shape, padding))
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
    layout = _panel_layout(
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
        *_padding_shapes(padded_input.shape, padding, "x", "y"),
        {
            "type": "rect",
            "xref": "x",
            "yref": "y",
            "x0": window_cols.start - 0.5,
            "x1": window_cols.stop - 0.5,
            "y0": window_rows.start - 0.5,
            "y1": window_rows.stop - 0.5,
            "line": window_line,
        },
        {
            "type": "rect",
            "xref": "x2",
            "yref": "y2",
            "x0": col - 0.5,
            "x1": col + 0.5,
            "y0": row - 0.5,
            "y1": row + 0.5,
            "line": window_line,
        },
    ]
    for axis in ("xaxis", "yaxis", "xaxis2", "yaxis2"):
        layout[axis]["dtick"] = 1
    layout.update(height=height, plot_bgcolor="white")
    return go.Figure(data=traces, layout=layout)


def _panel_layout(widths: Sequence[float], titles: Sequence[str], gap: float) -> dict[str, Any]:
    """A layout for images side by side, panel i on axes x{i}/y{i} ("x", "x2", ...).

    Each panel's width share follows ``widths``; row 0 is at the top and pixels are square.
    Built as one plain dict: plotly's make_subplots plus per-axis updates cost ~20 ms a figure,
    which every rerun of the pooling page would pay several times.
    """
    usable = 1.0 - gap * (len(widths) - 1)
    total = float(sum(widths))
    layout: dict[str, Any] = {"margin": dict(CHART_MARGIN), "annotations": []}
    left = 0.0
    for index, (width, title) in enumerate(zip(widths, titles, strict=True), start=1):
        suffix = "" if index == 1 else str(index)
        right = min(1.0, left + usable * width / total)
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
        }
        layout["annotations"].append(
            {
                "text": title,
                "xref": "paper",
                "yref": "paper",
                "x": (left + right) / 2,
                "y": 1.0,
                "xanchor": "center",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 14},
            }
        )
        left = right + gap
    return layout


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
    if max_display_side is not None:
        arrays = {name: _shrink(image, max_display_side) for name, image in arrays.items()}
    layout = _panel_layout([1] * len(arrays), titles, gap=0.04)
    largest_rows = max(image.shape[0] for image in arrays.values())
    largest_cols = max(image.shape[1] for image in arrays.values())
    traces = []
    for index, image in enumerate(arrays.values(), start=1):
        suffix = "" if index == 1 else str(index)
        # Centre smaller images in the frame of the largest, one pixel per unit.
        offset_rows = (largest_rows - image.shape[0]) / 2 if same_scale else 0
        offset_cols = (largest_cols - image.shape[1]) / 2 if same_scale else 0
        traces.append(
            go.Heatmap(
                z=image,
                x0=offset_cols,
                y0=offset_rows,
                zmin=zmin,
                zmax=zmax,
                colorscale=colorscale,
                showscale=False,
                hovertemplate="value %{z:.3f}<extra></extra>",
                xaxis=f"x{suffix}",
                yaxis=f"y{suffix}",
            )
        )
        if same_scale:
            layout[f"xaxis{suffix}"]["range"] = [-0.5, largest_cols - 0.5]
            layout[f"yaxis{suffix}"]["range"] = [largest_rows - 0.5, -0.5]
            layout[f"yaxis{suffix}"].pop("autorange")
    layout["height"] = height
    return go.Figure(data=traces, layout=layout)


def _shrink(image: np.ndarray, max_side: int) -> np.ndarray:
    """``image`` area-averaged so its longer side is at most ``max_side`` (NaN-free images)."""
    if max(image.shape) <= max_side or not np.all(np.isfinite(image)):
        return image
    scale = max_side / max(image.shape)
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return np.asarray(Image.fromarray(image, mode="F").resize(size, Image.Resampling.BOX))


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
        title=title,
        height=height,
        margin={**CHART_MARGIN, "l": 60},
        yaxis_title=axis_title,
        yaxis_range=[0, max(values) * 1.2 or 1.0],
    )
    return figure


# --- Draw-a-digit charts (the Draw a digit page) ----------------------------------------------

PROBABILITY_COLOR = "#9fb7d3"  # pale blue: the classes the model did not pick
PREDICTION_COLOR = "#1f77b4"  # plotly blue: the predicted class
MOSAIC_GAP = 1  # empty pixels between the maps of a mosaic
MOSAIC_COLUMNS = 16  # maps per row in a mosaic at most


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
        title=title,
        height=height,
        margin={**CHART_MARGIN, "l": 50, "t": 40 if title else 20},
        xaxis_title="digit",
        xaxis_type="category",  # every digit labelled, not a numeric axis ticked 0, 5
        yaxis_title="probability",
        yaxis_range=[0, 1.15],  # room for the labels above a bar at 100 %
        yaxis_tickformat=".0%",
    )
    return figure


def _mosaic(stack: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """Tile (N, H, W) maps into one image, NaN between them; also each cell's map number."""
    count, height, width = stack.shape
    rows = -(-count // columns)  # ceiling division
    cell_height, cell_width = height + MOSAIC_GAP, width + MOSAIC_GAP
    shape = (rows * cell_height - MOSAIC_GAP, columns * cell_width - MOSAIC_GAP)
    mosaic = np.full(shape, np.nan)
    numbers = np.full(shape, np.nan)
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
        title=title,
        height=int(min(700, max(140, 60 + 620 * aspect))),
        margin=CHART_MARGIN,
    )
    figure.update_xaxes(visible=False, constrain="domain")
    figure.update_yaxes(visible=False, autorange="reversed", scaleanchor="x", constrain="domain")
    return figure


def feature_maps(maps: np.ndarray, title: str = "", *, columns: int | None = None) -> go.Figure:
    """One layer's feature maps for one image, tiled in a grid on the layer's shared grey scale.

    All maps share one colour range (the layer's minimum to maximum), so a map that stays dark
    really responds less than a bright one; hovering names the map and its value.

    Parameters
    ----------
    maps : ndarray, shape (H, W, C)
        The layer's output for one image, channels last (as keras gives it).
    title : str
        Followed by the shape, e.g. "C1 — Conv2D (32 × 32 × 6)".
    columns : int, optional
        Maps per row; by default up to 16.
    """
    maps = np.asarray(maps, dtype=float)
    if maps.ndim != 3 or min(maps.shape) < 1:
        raise ValueError(f"Expected feature maps of shape (H, W, C), got {maps.shape}.")
    stack = np.moveaxis(maps, -1, 0)  # (C, H, W)
    low, high = float(maps.min()), float(maps.max())
    shape_text = " × ".join(str(size) for size in maps.shape)
    return _mosaic_figure(
        stack,
        f"{title} ({shape_text})" if title else shape_text,
        zmin=low,
        zmax=high if high > low else low + 1.0,
        colorscale=IMAGE_COLORSCALE,
        columns=columns,
        label="map",
    )


def filter_grid(kernels: np.ndarray, title: str = "", *, columns: int | None = None) -> go.Figure:
    """Convolution filters as small signed images: blue positive weights, red negative.

    The colour range is symmetric about zero, so white means a weight of 0.

    Parameters
    ----------
    kernels : ndarray, shape (N, kernel height, kernel width)
        One 2-D kernel per filter.
    """
    kernels = np.asarray(kernels, dtype=float)
    if kernels.ndim != 3 or min(kernels.shape) < 1:
        raise ValueError(f"Expected filters of shape (N, height, width), got {kernels.shape}.")
    limit = float(np.abs(kernels).max()) or 1.0
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
