"""Charts of the Class page: the answers' histogram, the class's confusion matrix and gallery."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from cnnviz.charts.base import BLUE, CHART_MARGIN, GREEN, GREY, image_row
from cnnviz.charts.training import confusion_matrix

__all__ = ["answer_histogram", "class_confusion_matrix", "drawing_gallery"]

GALLERY_MAX = 12  # drawings per gallery row: beyond that each one is too small to read


def answer_histogram(
    choices: Sequence[str], counts: Sequence[int], correct_index: int | None = None
) -> go.Figure:
    """How many students chose each answer; after the reveal the right one is green.

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
    figure = go.Figure(
        go.Bar(
            x=list(choices),
            y=counts,
            marker_color=colours,
            text=counts,
            textposition="outside",
            hovertemplate="%{x}: %{y} students<extra></extra>",
        )
    )
    total = sum(counts)
    figure.update_layout(
        title=f"{total} answer{'s' if total != 1 else ''}",
        height=320,
        margin=CHART_MARGIN,
        yaxis={"title": "students", "rangemode": "tozero", "dtick": max(1, total // 8 or 1)},
        xaxis={"type": "category"},
    )
    return figure


def class_confusion_matrix(confusion: np.ndarray, model_label: str) -> go.Figure:
    """The class's drawings: the digit each student meant (rows) against the model's reading."""
    total = int(np.asarray(confusion).sum())
    return confusion_matrix(
        confusion, title=f"{model_label} on the class's {total} drawings", height=440
    )


def drawing_gallery(drawings: Sequence[np.ndarray], titles: Sequence[str]) -> go.Figure:
    """Up to :data:`GALLERY_MAX` class drawings (28×28 in [0, 1]) in a row, each titled."""
    if len(drawings) != len(titles):
        raise ValueError(f"{len(drawings)} drawings but {len(titles)} titles.")
    if not drawings:
        raise ValueError("No drawings to show.")
    shown = dict(zip(titles[:GALLERY_MAX], drawings[:GALLERY_MAX], strict=True))
    return image_row(shown, zmin=0, zmax=1, height=200)
