"""Predict-then-reveal questions, answered by cnnviz from the teacher's live settings.

Each question is computed, never typed in: its right answer is what :mod:`cnnviz.ops` gives for
the teacher's current pooling settings (:mod:`cnnviz.pooling_settings`), or what the network
read for a class drawing. :data:`QUESTION_KINDS` lists the kinds the Class page offers, each with
how to make it from a :class:`QuestionContext` and what to say when it cannot be asked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np

from cnnviz import images, ops
from cnnviz.classroom.records import ClassDrawing
from cnnviz.pooling_settings import MODE

__all__ = [
    "QUESTION_KINDS",
    "GeneratedQuestion",
    "QuestionContext",
    "QuestionKind",
    "digit_question",
    "output_size_question",
    "pooled_value_question",
    "question_kind",
    "thin_line_question",
]


@dataclass(frozen=True)
class GeneratedQuestion:
    """A question with its answer computed by cnnviz; ``explanation`` is shown at the reveal.

    ``drawing`` is the class drawing the question is about, for the page to show beside it.
    """

    prompt: str
    choices: tuple[str, ...]
    correct_index: int
    explanation: str
    drawing: ClassDrawing | None = None


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
    try:
        candidates.append(size(*shaped(other)))
    except ValueError:  # the window fits only with 'same' padding: no 'valid' slip to offer
        pass
    candidates += [
        size(max(correct_shape[0] - 1, 1), max(correct_shape[1] - 1, 1)),
        size(correct_shape[0] + 1, correct_shape[1] + 1),
        size(max(height // pool_size, 1), max(width // pool_size, 1)),
        size(max(height - pool_size + 1, 1), max(width - pool_size + 1, 1)),  # stride forgotten
        # On a small image the slips above can all coincide: two more off by one keep 3 choices.
        size(correct_shape[0] + 2, correct_shape[1] + 2),
        size(max(correct_shape[0] - 2, 1), max(correct_shape[1] - 2, 1)),
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
            f"The input is {height} × {width}. {MODE.show('max')}-, min- or average-"
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
        for mode in MODE.options
        if float(ops.pool2d(pattern, pool_size, stride, padding, mode).max())
        >= KEEPS_LINE_SHARE * brightest
    ]
    choices = (
        *(MODE.show(mode) for mode in MODE.options),
        THIN_LINE_ALL,
        THIN_LINE_NONE,
    )
    if len(keeps) == len(MODE.options):
        correct = THIN_LINE_ALL
    elif len(keeps) == 1:
        correct = MODE.show(keeps[0])
    elif not keeps:
        correct = THIN_LINE_NONE
    else:  # two of three: no single choice is right, so offer exactly that pair
        correct = " and ".join(MODE.show(mode) for mode in keeps)
        choices = (*choices, correct)
    shares = {
        mode: float(ops.pool2d(pattern, pool_size, stride, padding, mode).max()) / brightest
        for mode in MODE.options
    }
    return GeneratedQuestion(
        prompt=(
            f"The 'thin lines' pattern has bright lines one pixel wide on a dark background. "
            f"Pooled with a {pool_size} × {pool_size} window, stride {stride}, {padding} "
            "padding: which pooling keeps the lines as bright as they were?"
        ),
        choices=choices,
        correct_index=choices.index(correct),
        explanation=_thin_line_explanation(shares, pool_size),
    )


def _thin_line_explanation(shares: Mapping[str, float], pool_size: int) -> str:
    """Each mode's brightest pooled value, and why, for what happened at these settings only.

    >>> print(_thin_line_explanation({"max": 1.0, "min": 0.0, "avg": 0.5}, 2))
    ... # doctest: +NORMALIZE_WHITESPACE
    The brightest pooled value, as a share of the lines' brightness: max 100%, min 0%, average
    50%. Max pooling keeps a window's brightest pixel, so a window that touches a line is as
    bright as the line. Min pooling keeps its darkest: the background beside the line. Average
    pooling mixes the line with the background around it.
    """
    kept = {mode: share >= KEEPS_LINE_SHARE for mode, share in shares.items()}
    text = (
        "The brightest pooled value, as a share of the lines' brightness: "
        + ", ".join(f"{MODE.show(mode).lower()} {share:.0%}" for mode, share in shares.items())
        + "."
    )
    if pool_size == 1:
        return text + (
            " A 1 × 1 window holds a single pixel, so every pooling gives back the pixels it "
            "lands on: max, min and average differ only with a larger window."
        )
    reasons = {
        "max": (
            "Max pooling keeps a window's brightest pixel, so a window that touches a line is "
            "as bright as the line."
            if kept["max"]
            else "Max pooling keeps a window's brightest pixel, but no window here holds a "
            "pixel of a line."
        ),
        "min": (
            "Min pooling keeps its darkest, and here a window lies wholly on a line."
            if kept["min"]
            else "Min pooling keeps its darkest: the background beside the line."
        ),
        "avg": (
            "Average pooling keeps the mean, and here a window lies wholly on a line."
            if kept["avg"]
            else "Average pooling mixes the line with the background around it."
        ),
    }
    return " ".join([text, *(reasons[mode] for mode in shares)])


MAX_ASKED_WINDOW = 3  # a window's values are listed in the question: at most 3 × 3 of them
HUNDREDTH = Decimal("0.01")  # the choices' precision: two decimals, as the values are listed


def pooled_value_question(
    image: np.ndarray, pool_size: int, stride: int, mode: str
) -> GeneratedQuestion | None:
    """ "What does this window pool to?" for the image's most varied window, values listed.

    The window's values are rounded to two decimals and listed in the question, and the choices
    are computed from those listed values (so a student can check by hand), in decimal
    arithmetic: their max, min and average, the average rounded half up as by hand (0.475 gives
    0.48, where a binary float would give 0.47); the right one is ``mode``'s. None when the
    window is bigger than 3 × 3 (too many values to read) or the three choices would coincide.

    >>> image = np.array([[0.0, 0.5], [1.0, 0.25]])
    >>> question = pooled_value_question(image, 2, 2, "avg")
    >>> question.choices, question.choices[question.correct_index]
    (('0.00', '0.44', '1.00'), '0.44')
    >>> question.explanation  # doctest: +NORMALIZE_WHITESPACE
    'Max 1.00, min 0.00; average: the sum of the 4 values, 1.75, divided by 4 is 0.4375,
    rounded half up to 0.44.'
    """
    if mode not in MODE.options:
        raise ValueError(f"Unknown pooling mode {mode!r}; choose one of {list(MODE.options)}.")
    image = np.asarray(image, dtype=np.float64)
    if pool_size > MAX_ASKED_WINDOW or min(image.shape) < pool_size:
        return None
    windows = np.lib.stride_tricks.sliding_window_view(image, (pool_size, pool_size))
    windows = windows[::stride, ::stride]  # (rows, cols, k, k): the valid windows
    spread = windows.max(axis=(2, 3)) - windows.min(axis=(2, 3))
    row, col = np.unravel_index(int(np.argmax(spread)), spread.shape)
    # The values as listed, as exact decimals: the sums below are the student's own.
    window = [[Decimal(f"{value:.2f}") for value in window_row] for window_row in windows[row, col]]
    listed_values = [value for window_row in window for value in window_row]
    count = len(listed_values)
    total = sum(listed_values, Decimal(0))
    mean = total / count
    values = {
        "max": str(max(listed_values)),
        "min": str(min(listed_values)),
        "avg": str(mean.quantize(HUNDREDTH, rounding=ROUND_HALF_UP)),
    }
    if len(set(values.values())) < len(values):
        return None
    listed = " / ".join(", ".join(str(v) for v in window_row) for window_row in window)
    choices = tuple(sorted(values.values(), key=Decimal))
    return GeneratedQuestion(
        prompt=(
            f"A {pool_size} × {pool_size} window of the image holds (row by row) {listed}. "
            f"What does {MODE.show(mode).lower()} pooling make of it?"
        ),
        choices=choices,
        correct_index=choices.index(values[mode]),
        explanation=(
            f"Max {values['max']}, min {values['min']}; average: the sum of the {count} values, "
            f"{total}, divided by {count} is {_decimal_text(mean)}"
            + ("." if mean == Decimal(values["avg"]) else f", rounded half up to {values['avg']}.")
        ),
    )


def _decimal_text(value: Decimal) -> str:
    """``value`` exactly when it has at most 4 decimals (0.4375), else to 4 (≈ 0.4744)."""
    shown = value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    if shown == value:
        return format(value.normalize(), "f")
    return f"≈ {shown}"


def digit_question(drawing: ClassDrawing, model: str, model_label: str) -> GeneratedQuestion:
    """ "Which digit will the network read?" for a class drawing, answered by its stored reading."""
    if model not in drawing.predictions:
        raise ValueError(f"{model_label} did not read drawing #{drawing.drawing_id}.")
    choices = tuple(str(digit) for digit in range(10))
    predicted = drawing.predictions[model]
    return GeneratedQuestion(
        drawing=drawing,
        prompt=(
            f"Look at drawing #{drawing.drawing_id} on the projector (meant as a "
            f"{drawing.label}). Which digit does {model_label} read?"
        ),
        choices=choices,
        correct_index=predicted,
        explanation=f"{model_label} reads it as a {predicted}.",
    )


@dataclass(frozen=True)
class QuestionContext:
    """What a question is made from.

    ``settings`` are the teacher's pooling settings (the keys of
    :data:`cnnviz.pooling_settings.POOLING_SETTINGS`); ``load_image`` gives a sample's pixels by
    name and ``drawings`` the class's drawings, each called only by a kind that needs it;
    ``model`` is the registry name of the network the digit question asks about.
    """

    settings: Mapping[str, Any]
    load_image: Callable[[str], np.ndarray]
    drawings: Callable[[], Sequence[ClassDrawing]]
    model: str
    model_label: str


@dataclass(frozen=True)
class QuestionKind:
    """A kind of generated question: ``make`` returns None when it cannot be asked now, and
    the page then shows ``unavailable``."""

    key: str
    label: str
    make: Callable[[QuestionContext], GeneratedQuestion | None]
    unavailable: str


def _size(context: QuestionContext) -> GeneratedQuestion | None:
    settings = context.settings
    image = context.load_image(settings["sample"])
    try:
        return output_size_question(
            image.shape[:2], settings["pool_size"], settings["stride"], settings["padding"]
        )
    except ValueError:  # the window does not fit: there is no output to ask about
        return None


def _thin(context: QuestionContext) -> GeneratedQuestion | None:
    settings = context.settings
    try:
        return thin_line_question(settings["pool_size"], settings["stride"], settings["padding"])
    except ValueError:  # the window does not fit the pattern: nothing is pooled to compare
        return None


def _value(context: QuestionContext) -> GeneratedQuestion | None:
    settings = context.settings
    image = context.load_image(settings["sample"])
    return pooled_value_question(image, settings["pool_size"], settings["stride"], settings["mode"])


def _digit(context: QuestionContext) -> GeneratedQuestion | None:
    readable = [d for d in context.drawings() if context.model in d.predictions]
    if not readable:
        return None
    # The latest drawing the network got wrong makes the best question; else the latest one.
    wrong = [d for d in readable if d.predictions[context.model] != d.label]
    drawing = (wrong or readable)[-1]
    return digit_question(drawing, context.model, context.model_label)


QUESTION_KINDS: tuple[QuestionKind, ...] = (
    QuestionKind(
        "size",
        "Output size of my pooling",
        _size,
        "The window does not fit in the image: pick a smaller pool size on the Pooling page.",
    ),
    QuestionKind(
        "thin",
        "Which pooling keeps the thin line",
        _thin,
        "The window does not fit in the thin-lines pattern: pick a smaller pool size.",
    ),
    QuestionKind(
        "value",
        "The pooled value of a window",
        _value,
        "Pick a pool size of 3 or less on the Pooling page to ask about a window.",
    ),
    QuestionKind(
        "digit",
        "Which digit the network reads for a class drawing",
        _digit,
        "No class drawing yet: start a drawing round first.",
    ),
)


def question_kind(key: str) -> QuestionKind:
    """The kind with this key.

    >>> question_kind("thin").label
    'Which pooling keeps the thin line'
    """
    for kind in QUESTION_KINDS:
        if kind.key == key:
            return kind
    known = ", ".join(kind.key for kind in QUESTION_KINDS)
    raise ValueError(f"There is no question kind {key!r}; the kinds are {known}.")
