"""A class's work as files: the drawings in MNIST's ``.npz`` layout and as CSV, the answers as CSV.

One concept: how the class's records become the files a teacher keeps (the Class page's downloads
and ``python -m cnnviz.classroom export``). Pure functions of the store's records; students are
named by number, never by nickname. Nothing here touches the database.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Sequence

import numpy as np

from cnnviz.classroom.records import AnswerRecord, ClassDrawing

NO_ROUND = -1  # the .npz's round_id of a drawing sent while no round was open


def utc_time(seconds: float) -> str:
    """An ISO 8601 UTC timestamp, to the second.

    >>> utc_time(0)
    '1970-01-01T00:00:00Z'
    """
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _models(drawings: Sequence[ClassDrawing]) -> list[str]:
    return sorted({name for drawing in drawings for name in drawing.predictions})


def drawings_npz(drawings: Sequence[ClassDrawing]) -> bytes:
    """The drawings as an ``.npz`` in MNIST's layout (keras' ``mnist.npz``), with their ids.

    ``x_test``: (N, 28, 28) uint8 in 0–255; ``y_test``: (N,) uint8 labels;
    ``prediction_<model>``: (N,) int8, the digit each model read (-1 where it did not run);
    ``drawing_id``, ``round_id`` (-1: no round) and ``student_number``: (N,) int64, the CSV's
    ``drawing``, ``round`` and ``student`` columns, row for row.
    """
    images = np.stack([d.image28 for d in drawings]) if drawings else np.zeros((0, 28, 28))
    arrays = {
        "x_test": np.rint(images * 255).astype(np.uint8),
        "y_test": np.array([d.label for d in drawings], dtype=np.uint8),
        "drawing_id": np.array([d.drawing_id for d in drawings], dtype=np.int64),
        "round_id": np.array(
            [NO_ROUND if d.round_id is None else d.round_id for d in drawings], dtype=np.int64
        ),
        "student_number": np.array([d.student_number for d in drawings], dtype=np.int64),
    }
    for model in _models(drawings):
        arrays[f"prediction_{model}"] = np.array(
            [d.predictions.get(model, -1) for d in drawings], dtype=np.int8
        )
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def drawings_csv(drawings: Sequence[ClassDrawing]) -> str:
    """The drawings as CSV: one row per drawing, oldest first."""
    models = _models(drawings)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["drawing", "round", "student", "label", *[f"prediction_{m}" for m in models], "time"]
    )
    for d in drawings:
        writer.writerow(
            [
                d.drawing_id,
                "" if d.round_id is None else d.round_id,
                d.student_number,
                d.label,
                *[d.predictions.get(m, "") for m in models],
                utc_time(d.created_at),
            ]
        )
    return out.getvalue()


def answers_csv(answers: Sequence[AnswerRecord]) -> str:
    """Every answer to every question as CSV: the question (id and text), the choice, whether
    it is right (``yes``/``no``, empty for a poll), the student's number and the time."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["question", "prompt", "choice", "right", "student", "time"])
    for a in answers:
        right = "" if a.correct is None else ("yes" if a.correct else "no")
        writer.writerow(
            [a.question_id, a.prompt, a.choice, right, a.student_number, utc_time(a.answered_at)]
        )
    return out.getvalue()
