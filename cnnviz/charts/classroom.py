"""Charts of the Class page: the answers' histogram, the class's confusion matrix and gallery."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from cnnviz.charts.base import BLUE, CHART_MARGIN, GREEN, GREY, image_row
from cnnviz.charts.training import confusion_matrix

__all__ = ["answer_histogram", "class_confusion_matrix", "count_ticks", "drawing_gallery"]

GALLERY_MAX = 12  # drawings per gallery row: beyond that each one is too small to read
# The answers' histogram is projected: its smallest text must read from the back of a classroom
# (a 1280 × 720 projector's 18 px is about the size of a slide's body text).
PROJECTED_FONT_SIZE = 22  # px
CHOICE_LINE_CHARS = 28  # a long choice wraps beside its bar rather than squeezing the bars
HISTOGRAM_BASE_HEIGHT = 140  # px: the title and the axis of counts
HISTOGRAM_LINE_HEIGHT = 60  # px per line of choice labels


def _wrapped(choice: str) -> str:
    """A choice broken into lines of at most :data:`CHOICE_LINE_CHARS` characters."""
    return "<br>".join(textwrap.wrap(choice, CHOICE_LINE_CHARS)) or choice


def answer_histogram(
    choices: Sequence[str], counts: Sequence[int], correct_index: int | None = None
) -> go.Figure:
    """How many students chose each answer, readable from the back of the room.

    Horizontal bars, the first choice at the top, so a choice's label reads level (wrapped
    when long) instead of slanted under a narrow bar; every text is at least
    :data:`PROJECTED_FONT_SIZE` px. After the reveal the right one is green.

    Raises
    ------
    ValueError
        If there is not one non-negative count per choice.
    """
    counts = [int(c) for c in counts]
    if len(counts) != len(choices) or any(c < 0 for c in counts):
        raise ValueError(f"Expected {len(choices)} non-negative counts, got {counts}.")
    colours = [
        GREEN if index == correct_index else (GREY if correct_index is not None else BLUE)
        for index in range(len(choices))
    ]
    labels = [_wrapped(choice) for choice in choices]
    figure = go.Figure(
        go.Bar(
            x=counts,
            y=labels,
            orientation="h",
            marker_color=colours,
            text=counts,
            textposition="outside",
            textfont={"size": PROJECTED_FONT_SIZE + 4},
            customdata=list(choices),
            hovertemplate="%{customdata}: %{x} students<extra></extra>",
        )
    )
    total = sum(counts)
    lines = sum(label.count("<br>") + 1 for label in labels)
    figure.update_layout(
        title={"text": f"{total} answer{'s' if total != 1 else ''}", "font": {"size": 28}},
        height=HISTOGRAM_BASE_HEIGHT + HISTOGRAM_LINE_HEIGHT * max(lines, 2),
        margin={**CHART_MARGIN, "t": 60},
        font={"size": PROJECTED_FONT_SIZE},
        # Room past the longest bar for its count.
        xaxis={
            "title": "students",
            "rangemode": "tozero",
            "range": [0, max(counts, default=0) * 1.15 + 1],
            "dtick": max(1, total // 8 or 1),
            "tickfont": {"size": PROJECTED_FONT_SIZE},
        },
        yaxis={
            "type": "category",
            "autorange": "reversed",
            "tickfont": {"size": PROJECTED_FONT_SIZE + 4},
            "automargin": True,
        },
        bargap=0.25,
    )
    return figure


def count_ticks(largest: int) -> list[int]:
    """Round counts from 0 to ``largest`` for a log-scaled colour bar: 0, 1, 2, 5, 10, 20, …

    >>> count_ticks(0), count_ticks(7), count_ticks(60)
    ([0], [0, 1, 2, 5, 7], [0, 1, 2, 5, 10, 20, 50, 60])
    """
    ticks, step = [0], 1
    while step <= largest:
        ticks += [tick for tick in (step, 2 * step, 5 * step) if tick < largest]
        step *= 10
    return sorted({*ticks, largest})


def class_confusion_matrix(confusion: np.ndarray, model_label: str) -> go.Figure:
    """The class's drawings: the digit each student meant (rows) against the model's reading.

    The cells hold the counts; the colour follows log(1 + count), so its bar is labelled with
    real counts at their log positions: a class reads "how many" off it, not a logarithm.
    """
    counts = np.asarray(confusion)
    total = int(counts.sum())
    figure = confusion_matrix(
        confusion, title=f"{model_label} on the class's {total} drawings", height=440
    )
    ticks = count_ticks(int(counts.max()) if counts.size else 0)
    figure.update_traces(
        showscale=True,
        colorbar={
            "title": {"text": "drawings<br>(log scale)"},
            "tickvals": np.log1p(ticks).tolist(),
            "ticktext": [str(tick) for tick in ticks],
        },
    )
    return figure


def drawing_gallery(drawings: Sequence[np.ndarray], titles: Sequence[str]) -> go.Figure:
    """Up to :data:`GALLERY_MAX` class drawings (28×28 in [0, 1]) in a row, each titled."""
    if len(drawings) != len(titles):
        raise ValueError(f"{len(drawings)} drawings but {len(titles)} titles.")
    if not drawings:
        raise ValueError("No drawings to show.")
    shown = dict(zip(titles[:GALLERY_MAX], drawings[:GALLERY_MAX], strict=True))
    return image_row(shown, zmin=0, zmax=1, height=200)
