"""The class's drawings in numbers: how often a model read the digit meant, and its confusions.

Pure functions on the drawings of :meth:`cnnviz.classroom.ClassroomStore.drawings`, for the
teacher's projected accuracy and confusion matrix.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cnnviz.classroom.records import ClassDrawing

__all__ = ["class_accuracy", "class_confusion", "drawings_in_cell"]


def class_confusion(drawings: Sequence[ClassDrawing], model: str) -> np.ndarray:
    """(10, 10) counts of the class's drawings: rows the digit meant, columns ``model``'s reading.

    Drawings the model did not read are left out.
    """
    confusion = np.zeros((10, 10), dtype=np.int64)
    for drawing in drawings:
        if model in drawing.predictions:
            confusion[drawing.label, drawing.predictions[model]] += 1
    return confusion


def class_accuracy(drawings: Sequence[ClassDrawing], model: str) -> float | None:
    """The share of the class's drawings ``model`` read as the digit meant (None: none read)."""
    confusion = class_confusion(drawings, model)
    total = int(confusion.sum())
    return None if total == 0 else float(np.trace(confusion)) / total


def drawings_in_cell(
    drawings: Sequence[ClassDrawing], model: str, label: int, predicted: int
) -> list[ClassDrawing]:
    """The drawings meant as ``label`` that ``model`` read as ``predicted`` (a confusion cell)."""
    return [
        drawing
        for drawing in drawings
        if drawing.label == label and drawing.predictions.get(model) == predicted
    ]
