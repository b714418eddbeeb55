"""Charts of the Live training page: learning curves, the confusion matrix, the mistakes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cnnviz.charts.base import (
    BLUE,
    CHART_MARGIN,
    GREEN,
    IMAGE_COLORSCALE,
    ORANGE,
    RED,
    image_axes,
    title_below_toolbar,
)

TRAIN_COLOR = BLUE  # the training set
VALIDATION_COLOR = ORANGE  # the held-out test set used for validation
CONFUSION_COLORSCALE = "Blues"
GALLERY_CAPTION_HEIGHT = 12  # pixel rows above each gallery digit that hold its caption
GALLERY_GAP = 3  # empty pixel columns between gallery digits
MARKER_COLOR = RED  # the moment on a curve that the snapshot beside it shows
RUN_COLORS = (BLUE, GREEN)  # two runs compared: one colour each (dash tells train from validation)
RUN_LETTERS = ("A", "B")  # the two runs' names inside the small gallery captions
# Learning curves are read from the back of a classroom on a projector: larger type than
# plotly's 12 px, and an accuracy axis that always spans 0–100%, so a run that sits at 10% looks
# as bad as it is and two charts compare at a glance.
CURVE_FONT_SIZE = 15  # px: tick labels, axis titles, legend
CURVE_TITLE_SIZE = 19  # px: the chart's title
CURVE_PANEL_TITLE_SIZE = 17  # px: "Loss" and "Accuracy" above the two panels
ACCURACY_RANGE = (0.0, 1.0)


def readable_curves(figure: go.Figure, accuracy_row: int = 2) -> go.Figure:
    """Projector-sized type, and the accuracy panel fixed to 0–100% (returns ``figure``).

    Every font is set on its element: Streamlit's chart theme sets the tick and legend fonts
    itself, which a layout-wide font size would not override.
    """
    figure.update_layout(
        font={"size": CURVE_FONT_SIZE},
        title_font={"size": CURVE_TITLE_SIZE},
        legend_font={"size": CURVE_FONT_SIZE},
    )
    figure.update_xaxes(tickfont_size=CURVE_FONT_SIZE, title_font_size=CURVE_FONT_SIZE)
    figure.update_yaxes(tickfont_size=CURVE_FONT_SIZE, title_font_size=CURVE_FONT_SIZE)
    figure.update_annotations(font_size=CURVE_PANEL_TITLE_SIZE)  # the subplot titles
    figure.update_yaxes(range=list(ACCURACY_RANGE), row=accuracy_row, col=1)
    return figure


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
    marker_step: int | None = None,
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
    marker_step : int, optional
        Draw a solid line at this batch (the moment a filter snapshot was taken).

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
    if marker_step is not None:
        figure.add_vline(x=marker_step, line_color=MARKER_COLOR, line_width=2)
    figure.update_layout(
        title=title, height=height, margin={**CHART_MARGIN, "t": 60}, showlegend=False
    )
    figure.update_xaxes(title_text="batch", row=2, col=1)
    figure.update_yaxes(tickformat=".0%", row=2, col=1)
    return readable_curves(figure)


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
    styles = {"train": {"color": TRAIN_COLOR}, "validation": {"color": VALIDATION_COLOR}}
    # The legend below the plot: above it, it would collide with the title in a narrow column.
    return _epoch_lines({None: (records, styles)}, title=title, height=height, legend_y=-0.2)


def _epoch_lines(
    runs: Mapping[str | None, tuple[Sequence[Any], Mapping[str, dict]]],
    *,
    title: str,
    height: int,
    legend_y: float,
) -> go.Figure:
    """Loss (top) and accuracy (bottom) per epoch, a training and a validation line per run.

    ``runs`` maps a run's label (None for a lone run: its lines are just "train" and
    "validation") to its epoch records and the line style of each part ("train", "validation").
    """
    figure = make_subplots(
        rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1, subplot_titles=("Loss", "Accuracy")
    )
    for label, (records, styles) in runs.items():
        series = {
            name: _as_series(name, [getattr(record, name) for record in records])
            for name in ("epoch", "loss", "val_loss", "accuracy", "val_accuracy")
        }
        for row, metric, value_format in ((1, "loss", ".4f"), (2, "accuracy", ".2%")):
            for prefix, part in (("", "train"), ("val_", "validation")):
                name = part if label is None else f"{label}, {part}"
                figure.add_trace(
                    go.Scatter(
                        x=series["epoch"],
                        y=series[prefix + metric],
                        mode="lines+markers",
                        name=name,
                        legendgroup=name,
                        showlegend=row == 1,
                        line=styles[part],
                        hovertemplate=f"{name}, epoch %{{x}}: %{{y:{value_format}}}<extra></extra>",
                    ),
                    row=row,
                    col=1,
                )
    figure.update_layout(
        title=title,
        height=height,
        margin={**CHART_MARGIN, "t": 60},
        legend={"orientation": "h", "yanchor": "top", "y": legend_y, "x": 0},
    )
    figure.update_xaxes(title_text="epoch", dtick=1, row=2, col=1)
    figure.update_yaxes(tickformat=".0%", row=2, col=1)
    return readable_curves(figure)


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
    figure.update_layout(**title_below_toolbar(title, l=60, b=50), height=height)
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


def _captioned_mosaic(
    images: np.ndarray,
    captions: Sequence[str],
    *,
    columns: int,
    title: str,
    empty_text: str,
) -> go.Figure:
    """Digits tiled into one mosaic (one heatmap draws fast even with dozens), a caption each."""
    if columns < 1:
        raise ValueError(f"columns must be at least 1, got {columns}.")
    digits = np.asarray(images)
    figure = go.Figure()
    figure.update_layout(title=title, margin={**CHART_MARGIN, "t": 40 if title else 10})
    image_axes(figure, visible=False)
    if len(digits) == 0:
        figure.add_annotation(text=empty_text, showarrow=False)
        figure.update_layout(height=120)
        return figure
    rows = -(-len(digits) // columns)  # ceiling division
    digit_height, digit_width = digits.shape[1:]
    cell_height = GALLERY_CAPTION_HEIGHT + digit_height + GALLERY_GAP
    cell_width = digit_width + GALLERY_GAP
    # NaN cells are drawn transparent: the gaps and caption strips between digits.
    mosaic = np.full((rows * cell_height, columns * cell_width), np.nan)
    for index, (digit, caption) in enumerate(zip(digits, captions, strict=True)):
        row, column = divmod(index, columns)
        top = row * cell_height + GALLERY_CAPTION_HEIGHT
        left = column * cell_width
        mosaic[top : top + digit_height, left : left + digit_width] = digit
        figure.add_annotation(
            x=left + (digit_width - 1) / 2,
            y=top - 1,
            yanchor="bottom",
            text=caption,
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
    predicted = scores.argmax(axis=1)
    captions = [
        f"<b>{int(true)} → {int(guess)}</b> ({row[guess]:.0%})<br>p({int(true)}) = {row[true]:.0%}"
        for true, guess, row in zip(labels, predicted, scores, strict=True)
    ]
    return _captioned_mosaic(
        digits, captions, columns=columns, title=title, empty_text="No misclassified digits here."
    )


def disagreement_gallery(
    images: np.ndarray,
    true_labels: np.ndarray,
    first_probabilities: np.ndarray,
    second_probabilities: np.ndarray,
    *,
    columns: int = 4,
    title: str = "",
) -> go.Figure:
    """Digits two models answer differently, each captioned with the truth and both answers.

    A caption reads "<b>7</b>: A 7 (98%)" over "B 1 (60%)": the true digit, then each model's
    answer with its predicted probability; A and B are the first and second model (say which
    in the page).

    Parameters
    ----------
    images : ndarray, shape (N, H, W)
        uint8 in [0, 255], white ink on black.
    true_labels : ndarray, shape (N,)
    first_probabilities, second_probabilities : ndarray, shape (N, n_classes)
    """
    digits = np.asarray(images)
    labels = np.asarray(true_labels)
    answers = [np.asarray(first_probabilities), np.asarray(second_probabilities)]
    if (
        digits.ndim != 3
        or any(scores.ndim != 2 for scores in answers)
        or not len(digits) == len(labels) == len(answers[0]) == len(answers[1])
    ):
        raise ValueError(
            "Expected images (N, H, W), labels (N,) and two (N, classes) probability arrays, got "
            f"{digits.shape}, {labels.shape}, {answers[0].shape} and {answers[1].shape}."
        )
    captions = []
    for index, true in enumerate(labels):
        parts = []
        for letter, scores in zip(RUN_LETTERS, answers, strict=True):
            guess = int(scores[index].argmax())
            parts.append(f"{letter} {guess} ({scores[index, guess]:.0%})")
        captions.append(f"<b>{int(true)}</b>: {parts[0]}<br>{parts[1]}")
    return _captioned_mosaic(
        digits, captions, columns=columns, title=title, empty_text="They agree on every digit."
    )


def _dashed_training(color: str) -> dict[str, dict]:
    """One run's line styles in a comparison: its colour, training dashed, validation solid."""
    return {
        "train": {"color": color, "dash": "dash"},
        "validation": {"color": color, "dash": "solid"},
    }


def compare_epoch_curves(
    runs: Mapping[str, Sequence[Any]], *, title: str = "", height: int = 460
) -> go.Figure:
    """Two (or more) runs' per-epoch curves on the same axes: loss on top, accuracy below.

    Each run has its colour; training is dashed, validation solid, so "the same colour, the
    lines apart" reads as overfitting and "one colour above the other" as the better run.

    Parameters
    ----------
    runs : mapping of str to sequence of epoch records
        Run label → its epochs (``epoch``, ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``).
    """
    if not 1 <= len(runs) <= len(RUN_COLORS):
        raise ValueError(f"Compare one to {len(RUN_COLORS)} runs, got {len(runs)}.")
    styled = {
        label: (records, _dashed_training(color))
        for (label, records), color in zip(runs.items(), RUN_COLORS, strict=False)
    }
    return _epoch_lines(styled, title=title, height=height, legend_y=-0.15)
