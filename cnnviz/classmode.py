"""Class mode's teaching logic: what a following student takes over, the questions, the statistics.

Pure functions on top of :mod:`cnnviz.classroom` (the store) and :mod:`cnnviz.ops` (the maths):
which page settings the teacher publishes and which values a student's page may accept, the
predict-then-reveal questions with answers computed from the live settings, and the class's
accuracy and confusion matrix for its drawings. Nothing here imports streamlit.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

import numpy as np

from cnnviz import images, ops
from cnnviz.classroom import ClassDrawing, TrainingPermission

__all__ = [
    "FOLLOWED_SETTINGS",
    "POOLING_MODE_NAMES",
    "STUDENT_SUBSET_MAX",
    "GeneratedQuestion",
    "StudentTraining",
    "class_accuracy",
    "class_confusion",
    "drawings_in_cell",
    "join_link",
    "output_size_question",
    "page_name",
    "pooled_value_question",
    "qr_png",
    "settings_to_apply",
    "student_training",
    "thin_line_question",
]

POOLING_MODE_NAMES = {"max": "Max", "min": "Min", "avg": "Average"}
# Class mode's URL parameter: a link ".../pooling?class=K7RW3M" joins class K7RW3M on that page.
CLASS_QUERY_PARAMETER = "class"
# A student's id rides in their own address (".../pooling?class=K7RW3M&student=…"), so a reload
# keeps them the same student. It is a random 144-bit token the store checks against the class.
STUDENT_QUERY_PARAMETER = "student"
# Following students poll the class's version this often (seconds): "within about 2 s". A poll
# waits half of it on average before the student's rerun starts; the cost per following student
# is in bench/README.md. CNNVIZ_FOLLOW_POLL_S changes it for a server (e.g. a slower poll for a
# big class on a small machine).
FOLLOW_POLL_S = 1.0
FOLLOW_POLL_ENV_VAR = "CNNVIZ_FOLLOW_POLL_S"
FOLLOW_POLL_RANGE_S = (0.1, 10.0)  # faster only burns CPU; slower is no longer "following"
# In a class with training "small subsets only", a student's run uses at most this many images:
# LeNet-5 trains an epoch of them in seconds, so a queue of thirty students stays short.
STUDENT_SUBSET_MAX = 2000
MAX_POOL_WIDGET = 8  # the pooling page's sliders for pool size and stride go from 1 to 8


def _pooling_settings() -> dict[str, tuple[Any, ...]]:
    window = tuple(range(1, MAX_POOL_WIDGET + 1))
    return {
        "sample": tuple(images.sample_names(include_mnist=True)),
        "mode": ops.POOL_MODES,
        "pool_size": window,
        "stride": window,
        "padding": ops.POOL_PADDINGS,
    }


# Page name (the script's stem) → the widget keys the teacher publishes and their allowed values.
FOLLOWED_SETTINGS: dict[str, dict[str, tuple[Any, ...]]] = {"pooling": _pooling_settings()}


def follow_poll_s(environ: Mapping[str, str] | None = None) -> float:
    """The follow poll's period: ``CNNVIZ_FOLLOW_POLL_S`` if set and in range, else the default.

    >>> follow_poll_s({"CNNVIZ_FOLLOW_POLL_S": "0.25"}), follow_poll_s({}) == FOLLOW_POLL_S
    (0.25, True)
    """
    raw = (os.environ if environ is None else environ).get(FOLLOW_POLL_ENV_VAR, "")
    try:
        value = float(raw)
    except ValueError:
        return FOLLOW_POLL_S
    low, high = FOLLOW_POLL_RANGE_S
    return value if low <= value <= high else FOLLOW_POLL_S


def page_name(path: str) -> str:
    """A page's name in the store: its script's stem.

    >>> page_name("pages/pooling.py")
    'pooling'
    """
    return PurePosixPath(path).stem


def settings_to_apply(page: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The published settings a student's page may take over: known keys with allowed values.

    Whatever the database holds, only values the page's own widgets offer get through, so a
    following student's widget never receives a value it would refuse.

    >>> settings_to_apply("pooling", {"pool_size": 3, "stride": 99, "evil": "x"})
    {'pool_size': 3}
    """
    allowed = FOLLOWED_SETTINGS.get(page, {})
    return {
        key: value
        for key, value in settings.items()
        if key in allowed and not isinstance(value, bool) and value in allowed[key]
    }


@dataclass(frozen=True)
class StudentTraining:
    """What a student's Start may do under the class's training permission.

    ``allowed`` False: nothing starts and ``message`` says why. Otherwise the run trains on
    ``subset`` images (perhaps fewer than asked for: then ``message`` says so).
    """

    allowed: bool
    subset: int
    message: str | None


def student_training(permission: TrainingPermission | str, subset: int) -> StudentTraining:
    """Apply the teacher's training permission to a student's Start with ``subset`` images.

    "Small subsets only" clamps a larger request to :data:`STUDENT_SUBSET_MAX` images (and says
    so) rather than refusing it: the student's run starts at once, on the allowed size.

    >>> student_training("subsets", 60000).subset
    2000
    >>> student_training("off", 500).allowed
    False
    >>> student_training("on", 60000).message is None
    True
    """
    permission = TrainingPermission(permission)
    if not isinstance(subset, int) or isinstance(subset, bool) or subset < 1:
        raise ValueError(f"subset must be a positive number of images, got {subset!r}.")
    if permission is TrainingPermission.OFF:
        return StudentTraining(
            allowed=False,
            subset=subset,
            message=(
                "Your teacher has turned training off for students in this class: watch the "
                "teacher's run on the projector. Your teacher can switch it back on."
            ),
        )
    if permission is TrainingPermission.SUBSETS and subset > STUDENT_SUBSET_MAX:
        return StudentTraining(
            allowed=True,
            subset=STUDENT_SUBSET_MAX,
            message=(
                f"Your teacher allows small subsets only in this class, so this run trains on "
                f"{STUDENT_SUBSET_MAX:,} images instead of the {subset:,} you asked for."
            ),
        )
    return StudentTraining(allowed=True, subset=subset, message=None)


def student_training_rule(permission: TrainingPermission | str) -> str:
    """The class's training rule in a sentence or two, for a student's training page.

    >>> student_training_rule("subsets").split(".")[0]
    'In this class the teacher lets students train on small subsets only (at most 2,000 images)'
    """
    allowance = {
        TrainingPermission.OFF: "has turned training off for students",
        TrainingPermission.SUBSETS: (
            f"lets students train on small subsets only (at most {STUDENT_SUBSET_MAX:,} images)"
        ),
        TrainingPermission.ON: "lets students train with any settings",
    }[TrainingPermission(permission)]
    return f"In this class the teacher {allowance}. {TEACHER_FIRST}"


# Why the queue is not first come, first served in a class (shown to students and teachers).
TEACHER_FIRST = (
    "The teacher's runs go ahead of every waiting student's run, so the demo the class watches "
    "never waits; a run that is already training is never interrupted."
)


def join_link(base_url: str, code: str, page: str = "") -> str:
    """The link students open to join: the app's address with ``?class=CODE``.

    >>> join_link("http://10.0.0.5:8501/", "K7RW3M")
    'http://10.0.0.5:8501/?class=K7RW3M'
    """
    path = f"/{quote(page)}" if page else "/"
    return f"{base_url.rstrip('/')}{path}?{CLASS_QUERY_PARAMETER}={quote(code)}"


def qr_png(text: str, scale: int = 8) -> bytes:
    """A QR code of ``text`` as PNG bytes (segno: pure Python), dark on white, to project."""
    import segno  # only the teacher's view draws one

    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()


@dataclass(frozen=True)
class GeneratedQuestion:
    """A question with its answer computed by cnnviz; ``explanation`` is shown at the reveal."""

    prompt: str
    choices: tuple[str, ...]
    correct_index: int
    explanation: str


def _with_distractors(correct: str, candidates: Sequence[str], count: int) -> tuple[list, int]:
    """``correct`` and up to ``count - 1`` different candidates, in a fixed, sorted order."""
    choices = [correct]
    for candidate in candidates:
        if candidate not in choices and len(choices) < count:
            choices.append(candidate)
    ordered = sorted(choices, key=_natural_key)
    return ordered, ordered.index(correct)


def _natural_key(text: str) -> tuple:
    parts = text.replace("×", " ").split()
    return (*(int(p) if p.isdigit() else 10**9 for p in parts), text)


def output_size_question(
    image_shape: tuple[int, int], pool_size: int, stride: int, padding: str
) -> GeneratedQuestion:
    """ "What size is the output?" for this image and pooling, answered by ``ops.output_size``.

    The wrong choices are the classic slips: the other padding, forgetting the ``+ 1``,
    dividing by the window instead of the stride, forgetting the stride.

    >>> question = output_size_question((28, 28), 3, 2, "valid")
    >>> question.choices[question.correct_index], question.explanation
    ('13 × 13', 'Each side: ⌊(28 − 3) / 2⌋ + 1 = 13.')
    >>> output_size_question((300, 451), 2, 2, "same").explanation
    'Rows: ⌈300 / 2⌉ = 150; columns: ⌈451 / 2⌉ = 226.'
    """
    height, width = image_shape

    def size(rows: int, cols: int) -> str:
        return f"{rows} × {cols}"

    def shaped(padding_used: str) -> tuple[int, int]:
        return (
            ops.output_size(height, pool_size, stride, padding_used),
            ops.output_size(width, pool_size, stride, padding_used),
        )

    correct_shape = shaped(padding)
    if min(correct_shape) < 1:
        raise ValueError(
            f"A {pool_size} × {pool_size} window does not fit in {height} × {width} with "
            f"{padding} padding: there is no output to ask about."
        )
    other = "same" if padding == "valid" else "valid"
    candidates = []
    other_shape = shaped(other)
    if min(other_shape) >= 1:
        candidates.append(size(*other_shape))
    candidates += [
        size(max(correct_shape[0] - 1, 1), max(correct_shape[1] - 1, 1)),
        size(correct_shape[0] + 1, correct_shape[1] + 1),
        size(max(height // pool_size, 1), max(width // pool_size, 1)),
        size(max(height - pool_size + 1, 1), max(width - pool_size + 1, 1)),  # stride forgotten
    ]
    choices, correct_index = _with_distractors(size(*correct_shape), candidates, 4)
    if height == width:
        explanation = f"Each side: {ops.output_size_formula(height, pool_size, stride, padding)}."
    else:  # two sizes, two sums: "each side" with one of them would hide the other
        explanation = (
            f"Rows: {ops.output_size_formula(height, pool_size, stride, padding)}; "
            f"columns: {ops.output_size_formula(width, pool_size, stride, padding)}."
        )
    return GeneratedQuestion(
        prompt=(
            f"The input is {height} × {width}. {POOLING_MODE_NAMES['max']}-, min- or average-"
            f"pooling with a {pool_size} × {pool_size} window, stride {stride} and {padding} "
            "padding: how big is the output?"
        ),
        choices=tuple(choices),
        correct_index=correct_index,
        explanation=explanation,
    )


THIN_LINE_ALL = "All three keep it"
THIN_LINE_NONE = "None of them"
# A mode "keeps" the line when the line's brightest pooled value is still this share of its own.
KEEPS_LINE_SHARE = 0.99


def thin_line_question(pool_size: int, stride: int, padding: str) -> GeneratedQuestion:
    """ "Which pooling keeps the thin bright line?" on the thin-lines pattern, computed.

    The pattern (:func:`cnnviz.images.thin_lines`) is pooled with each mode; a mode keeps the
    lines when the brightest pooled value is still at least 99% of the brightest input value.

    >>> question = thin_line_question(2, 2, "valid")
    >>> question.choices[question.correct_index]
    'Max'
    """
    pattern = images.thin_lines()
    brightest = float(pattern.max())
    keeps = [
        mode
        for mode in ops.POOL_MODES
        if float(ops.pool2d(pattern, pool_size, stride, padding, mode).max())
        >= KEEPS_LINE_SHARE * brightest
    ]
    choices = (
        *(POOLING_MODE_NAMES[mode] for mode in ops.POOL_MODES),
        THIN_LINE_ALL,
        THIN_LINE_NONE,
    )
    if len(keeps) == len(ops.POOL_MODES):
        correct = THIN_LINE_ALL
    elif len(keeps) == 1:
        correct = POOLING_MODE_NAMES[keeps[0]]
    elif not keeps:
        correct = THIN_LINE_NONE
    else:  # two of three: no single choice is right, so offer exactly that pair
        correct = " and ".join(POOLING_MODE_NAMES[mode] for mode in keeps)
        choices = (*choices, correct)
    kept = ", ".join(POOLING_MODE_NAMES[m] for m in keeps) or "none"
    return GeneratedQuestion(
        prompt=(
            f"The 'thin lines' pattern has bright lines one pixel wide on a dark background. "
            f"Pooled with a {pool_size} × {pool_size} window, stride {stride}, {padding} "
            "padding: which pooling keeps the lines as bright as they were?"
        ),
        choices=choices,
        correct_index=choices.index(correct),
        explanation=(
            f"Kept at full brightness by: {kept}. Max pooling keeps a window's brightest pixel; "
            "min pooling its darkest (the background); average pooling dilutes a thin line "
            "with the background around it."
        ),
    )


MAX_ASKED_WINDOW = 3  # a window's values are listed in the question: at most 3 × 3 of them


def pooled_value_question(
    image: np.ndarray, pool_size: int, stride: int, mode: str
) -> GeneratedQuestion | None:
    """ "What does this window pool to?" for the image's most varied window, values listed.

    The window's values are rounded to two decimals and listed in the question, and the choices
    are computed from those listed values (so a student can check by hand): their max, min and
    average; the right one is ``mode``'s. None when the window is bigger than 3 × 3 (too many
    values to read) or every window is uniform (the three modes would agree).

    >>> image = np.array([[0.0, 0.5], [1.0, 0.25]])
    >>> question = pooled_value_question(image, 2, 2, "avg")
    >>> question.choices, question.choices[question.correct_index]
    (('0.00', '0.44', '1.00'), '0.44')
    """
    if mode not in POOLING_MODE_NAMES:
        raise ValueError(
            f"Unknown pooling mode {mode!r}; choose one of {list(POOLING_MODE_NAMES)}."
        )
    image = np.asarray(image, dtype=np.float64)
    if pool_size > MAX_ASKED_WINDOW or min(image.shape) < pool_size:
        return None
    windows = np.lib.stride_tricks.sliding_window_view(image, (pool_size, pool_size))
    windows = windows[::stride, ::stride]  # (rows, cols, k, k): the valid windows
    spread = windows.max(axis=(2, 3)) - windows.min(axis=(2, 3))
    row, col = np.unravel_index(int(np.argmax(spread)), spread.shape)
    window = np.round(windows[row, col], 2)
    values = {
        "max": f"{window.max():.2f}",
        "min": f"{window.min():.2f}",
        "avg": f"{window.mean():.2f}",
    }
    if len(set(values.values())) < len(values):
        return None
    listed = " / ".join(", ".join(f"{v:.2f}" for v in window_row) for window_row in window)
    choices = tuple(sorted(values.values(), key=float))
    return GeneratedQuestion(
        prompt=(
            f"A {pool_size} × {pool_size} window of the image holds (row by row) {listed}. "
            f"What does {POOLING_MODE_NAMES[mode].lower()} pooling make of it?"
        ),
        choices=choices,
        correct_index=choices.index(values[mode]),
        explanation=(
            f"Max {values['max']}, min {values['min']}, average {values['avg']} "
            f"(the sum of the {pool_size * pool_size} values divided by {pool_size * pool_size})."
        ),
    )


def digit_question(drawing: ClassDrawing, model: str, model_label: str) -> GeneratedQuestion:
    """ "Which digit will the network read?" for a class drawing, answered by its stored reading."""
    if model not in drawing.predictions:
        raise ValueError(f"{model_label} did not read drawing #{drawing.drawing_id}.")
    choices = tuple(str(digit) for digit in range(10))
    predicted = drawing.predictions[model]
    return GeneratedQuestion(
        prompt=(
            f"Look at drawing #{drawing.drawing_id} on the projector (meant as a "
            f"{drawing.label}). Which digit does {model_label} read?"
        ),
        choices=choices,
        correct_index=predicted,
        explanation=f"{model_label} reads it as a {predicted}.",
    )


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
