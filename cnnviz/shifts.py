"""Shifts: how much moving the input by a pixel or two changes what convolution and pooling see.

A convolution is *equivariant*: shift its input and, away from the border, its output shifts by
the same amount. Pooling is only *partly invariant*: a feature that moves without leaving its
window leaves that window's maximum (or average) as it was, one that crosses a window border
moves to the next output cell. This module measures both honestly, with numbers the pooling
page shows and its sentences are built from:

* :func:`measure_translation` — the relative change ``‖f(shifted) − f(x)‖ / ‖f(x)‖`` of the
  input, of plain stride-``s`` subsampling (no pooling: the baseline every pooling is compared
  with) and of max, min and average pooling. The share of cells that changed is *not* used: an
  average spreads any change over every window it touches, so after average pooling more cells
  change than in the input even though they change by less.
* :func:`bright_pixel_moves` — where one bright pixel's maximum lands after a shift: the same
  cell (a shift within the window) or the next one (a shift across a window border).
* :func:`conv_equivariance` — how far ``conv(shift(x))`` is from ``shift(conv(x))`` inside the
  border; :func:`stride_sentence` — why the stride decides what pooling makes of a shift.

Numpy only (the pooling page never imports TensorFlow). A trained network's accuracy on shifted
digits, the real test, is :mod:`cnnviz.shift_accuracy`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from cnnviz import ops

# The shifts the pooling page offers, as a unit (rows, cols) step; the slider sets the length.
SHIFT_DIRECTIONS: dict[str, tuple[int, int]] = {
    "right": (0, 1),
    "down": (1, 0),
    "diagonally": (1, 1),
}
# Two relative changes closer than this (in relative terms) are "about the same" in a sentence.
SAME_CHANGE_TOLERANCE = 0.02
POOL_MODE_NAMES = {"max": "max", "min": "min", "avg": "average"}


# --- the measure --------------------------------------------------------------------------------


def relative_change(before: np.ndarray, after: np.ndarray) -> float:
    """``‖after − before‖ / ‖before‖`` (Frobenius norms): how much a picture changed, relative
    to its own size.

    Raises
    ------
    ValueError
        If the shapes differ or ``before`` is all zeros (nothing to compare with).

    Examples
    --------
    >>> relative_change(np.array([[3.0, 4.0]]), np.array([[3.0, 0.0]]))
    0.8
    """
    before, after = np.asarray(before, dtype=np.float64), np.asarray(after, dtype=np.float64)
    if before.shape != after.shape:
        raise ValueError(f"Cannot compare shapes {before.shape} and {after.shape}.")
    size = float(np.linalg.norm(before))
    if size == 0.0:
        raise ValueError(
            "The picture is black everywhere, so a relative change is not defined: choose an "
            "image with something in it."
        )
    return float(np.linalg.norm(after - before)) / size


def subsample(x: np.ndarray, strides: ops.SizeArg, shape: tuple[int, int]) -> np.ndarray:
    """Every ``stride``-th pixel, cut to ``shape``: the pooled map's size without pooling.

    It keeps the first pixel of each window and throws the rest away, so it shrinks an image
    exactly as much as the pooling it is compared with.

    Examples
    --------
    >>> subsample(np.arange(16.0).reshape(4, 4), 2, (2, 2))
    array([[ 0.,  2.],
           [ 8., 10.]])
    """
    step_rows, step_cols = ops.as_pair(strides, "The stride")
    image = np.asarray(x)
    return image[: shape[0] * step_rows : step_rows, : shape[1] * step_cols : step_cols]


def _relative_or_none(before: np.ndarray, after: np.ndarray) -> float | None:
    """:func:`relative_change`, or ``None`` when ``before`` is black everywhere."""
    if not np.any(before):
        return None
    return relative_change(before, after)


@dataclass(frozen=True)
class TranslationMeasure:
    """Relative changes after one shift: the input, plain subsampling, each pooling mode.

    A change is ``None`` where the picture before the shift is black everywhere (nothing to
    compare with): subsampling can miss a thin or tiny shape entirely, and min pooling leaves
    nothing of one.
    """

    shift: tuple[int, int]  # (rows down, cols right)
    strides: tuple[int, int]  # the pooling's (and the subsampling's) step
    input_change: float
    subsampled_change: float | None
    pooled_change: Mapping[str, float | None]  # "max" | "min" | "avg" -> relative change
    pooled: np.ndarray  # the chosen mode's pool(x)
    pooled_shifted: np.ndarray  # the chosen mode's pool(shift(x))


def measure_translation(
    x: np.ndarray,
    shift: tuple[int, int],
    pool_size: ops.SizeArg = 2,
    strides: ops.SizeArg | None = None,
    padding: str = "valid",
    mode: str = "max",
) -> TranslationMeasure:
    """Shift ``x`` by ``shift = (rows, cols)`` and measure the relative change of the input, of
    stride-``s`` subsampling and of max, min and average pooling.

    The shifted image repeats its edge pixels (:func:`cnnviz.ops.shift_image`), so the shift
    adds no new content. ``mode`` picks which pooled maps are kept for display.

    Raises
    ------
    ValueError
        For bad pooling arguments, a shift that moves the image out of view, or an image that
        is black everywhere.

    Examples
    --------
    One bright pixel moved by one inside its 2×2 window: the max-pooled map does not change.

    >>> image = np.zeros((4, 4))
    >>> image[1, 2] = 1.0
    >>> measure = measure_translation(image, (0, 1))
    >>> round(measure.input_change, 3), measure.pooled_change["max"]
    (1.414, 0.0)
    """
    if mode not in ops.POOL_MODES:
        raise ValueError(f"Unknown pooling mode '{mode}'; choose 'max', 'min' or 'avg'.")
    image = np.asarray(x, dtype=np.float64)
    shifted = ops.shift_image(image, *shift)
    input_change = relative_change(image, shifted)  # raises for a black image
    pooled_change, shown = {}, {}
    for each in ops.POOL_MODES:
        before = ops.pool2d(image, pool_size, strides, padding, each)
        after = ops.pool2d(shifted, pool_size, strides, padding, each)
        pooled_change[each] = _relative_or_none(before, after)
        shown[each] = (before, after)
    step = ops.as_pair(pool_size if strides is None else strides, "The stride")
    shape = shown[mode][0].shape[:2]
    return TranslationMeasure(
        shift=(int(shift[0]), int(shift[1])),
        strides=step,
        input_change=input_change,
        subsampled_change=_relative_or_none(
            subsample(image, step, shape), subsample(shifted, step, shape)
        ),
        pooled_change=pooled_change,
        pooled=shown[mode][0],
        pooled_shifted=shown[mode][1],
    )


def _compare(value: float, reference: float) -> str:
    """'less than', 'about as much as' or 'more than', from the two numbers."""
    if reference == 0.0:
        return "about as much as" if value == 0.0 else "more than"
    ratio = value / reference
    if abs(ratio - 1.0) <= SAME_CHANGE_TOLERANCE:
        return "about as much as"
    return "less than" if ratio < 1.0 else "more than"


def nth(number: int) -> str:
    """1st, 2nd, 3rd, 4th, …, 11th, 12th, 13th, 21st.

    Examples
    --------
    >>> [nth(n) for n in (1, 2, 3, 4, 11, 12, 13, 21)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st']
    """
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th') }"


def subsampling_text(strides: tuple[int, int]) -> str:
    """What plain subsampling keeps, e.g. "every 2nd pixel of every 2nd row".

    Examples
    --------
    >>> subsampling_text((2, 2)), subsampling_text((1, 1)), subsampling_text((1, 3))
    ('every 2nd pixel of every 2nd row', 'every pixel', 'every 3rd pixel of every row')
    """
    rows, cols = strides
    if rows == cols == 1:
        return "every pixel"
    pixel = "every pixel" if cols == 1 else f"every {nth(cols)} pixel"
    row = "every row" if rows == 1 else f"every {nth(rows)} row"
    return f"{pixel} of {row}"


def translation_sentence(measure: TranslationMeasure, mode: str, shift_text: str) -> str:
    """What the numbers of ``measure`` say about ``mode`` pooling, as one paragraph.

    Every comparison word is chosen from the numbers, so the sentence holds whatever the
    image and the controls.

    Examples
    --------
    >>> measure = TranslationMeasure((0, 1), (2, 2), 0.61, 0.60,
    ...                              {"max": 0.48, "min": 0.81, "avg": 0.49},
    ...                              np.zeros(1), np.zeros(1))
    >>> text = translation_sentence(measure, "max", "1 pixel right")
    >>> print(text)  # doctest: +NORMALIZE_WHITESPACE
    After a shift of 1 pixel right, the input changed by 61% of its size and plain
    subsampling (every 2nd pixel of every 2nd row, no pooling) by 60%. Max pooling changed
    by 48%: less than subsampling, so here it damped the shift by 20%.
    """
    if mode not in ops.POOL_MODES:
        raise ValueError(f"Unknown pooling mode '{mode}'; choose 'max', 'min' or 'avg'.")
    name = POOL_MODE_NAMES[mode].capitalize()
    pooled = measure.pooled_change[mode]
    baseline = measure.subsampled_change
    kept = subsampling_text(measure.strides)
    opening = (
        f"After a shift of {shift_text}, the input changed by {measure.input_change:.0%} "
        "of its size"
    )
    if baseline is None:
        opening += (
            f". Plain subsampling ({kept}, no pooling) keeps only black pixels of this image, "
            "so it shows nothing to compare with"
        )
        reference, reference_name = measure.input_change, "the input"
    else:
        opening += f" and plain subsampling ({kept}, no pooling) by {baseline:.0%}"
        reference, reference_name = baseline, "subsampling"
    if pooled is None:
        return (
            f"{opening}. {name} pooling leaves a black map of this image: there is nothing "
            "left to change."
        )
    comparison = _compare(pooled, reference)
    text = f"{opening}. {name} pooling changed by {pooled:.0%}: {comparison} {reference_name}"
    if pooled == 0.0:
        return text + ", so here it hid the shift completely."
    if comparison == "less than":
        return text + f", so here it damped the shift by {1 - pooled / reference:.0%}."
    if comparison == "more than" and reference == 0.0:
        return (
            text + f", which did not change at all: here {name.lower()} pooling showed a shift "
            f"that {reference_name} hid."
        )
    if comparison == "more than":
        return text + f", so here it amplified the shift by {pooled / reference - 1:.0%}."
    return text + ", so here it neither damped nor amplified the shift."


def shift_text(distance: int, direction: str) -> str:
    """'1 pixel right', '2 pixels down', '3 pixels diagonally'.

    Examples
    --------
    >>> shift_text(1, "right"), shift_text(2, "diagonally")
    ('1 pixel right', '2 pixels diagonally')
    """
    return f"{distance} pixel{'s' if distance != 1 else ''} {direction}"


# --- the survey: 300 MNIST digits, measured once ---------------------------------------------


@dataclass(frozen=True)
class DigitShiftSurvey:
    """What a 1-pixel shift right does to the first 300 MNIST test digits (2×2 windows at
    stride 2, valid), measured once with :func:`measure_translation` and kept here so that Home,
    which must appear at once, can quote it without MNIST; tests/test_shifts.py measures it
    again. The thin-lines pattern is the counterexample: a shift can change max pooling more."""

    digits: int
    median_change: Mapping[str, float]  # "input" | "subsampling" | "max" | "avg" | "min"
    less_than_subsampling: Mapping[str, int]  # per mode: digits it changed less than that
    median_damping: Mapping[str, float]  # per mode: median of 1 − pooled / subsampled change
    thin_lines_shift: int  # pixels right, for the thin-lines counterexample
    thin_lines_max: float  # max pooling's relative change there…
    thin_lines_subsampled: float  # …and plain subsampling's


DIGIT_SHIFT_SURVEY = DigitShiftSurvey(
    digits=300,
    median_change={"input": 0.61, "subsampling": 0.60, "max": 0.48, "min": 0.81, "avg": 0.49},
    less_than_subsampling={"max": 287, "min": 24, "avg": 288},
    median_damping={"max": 0.21, "min": -0.32, "avg": 0.20},
    thin_lines_shift=3,
    thin_lines_max=1.055,
    thin_lines_subsampled=0.855,
)


def survey_summary(survey: DigitShiftSurvey = DIGIT_SHIFT_SURVEY) -> str:
    """Home's short version of the survey: how often pooling changed less, and that not always.

    >>> print(survey_summary())  # doctest: +NORMALIZE_WHITESPACE
    less than plain subsampling for 287 of the 300 test digits with max pooling and 288 with
    average, typically by a fifth, but not always
    """
    less = survey.less_than_subsampling
    return (
        f"less than plain subsampling for {less['max']} of the {survey.digits} test digits "
        f"with max pooling and {less['avg']} with average, typically by a fifth, but not always"
    )


def survey_sentence(survey: DigitShiftSurvey = DIGIT_SHIFT_SURVEY) -> str:
    """The pooling page's paragraph on the survey: medians, how often, by how much, and when not.

    >>> print(survey_sentence())  # doctest: +NORMALIZE_WHITESPACE
    Over 300 MNIST test digits (a 1-pixel shift right, 2×2 windows at stride 2) the median
    changes are: input 61%, subsampling 60%, max pooling 48%, average 49%, min 81%. Max pooling
    changed less than subsampling for 287 of the 300 digits and average pooling for 288,
    typically damping the shift by about a fifth (median 21% and 20%), but not always: on the
    thin-lines pattern shifted 3 pixels right, max pooling changes by 105.5% and subsampling
    by 85.5%. Min pooling amplifies a shift (more than subsampling for 276 of the 300 digits): it
    keeps a window bright only where all of it is ink, so little of a thin stroke is left, and
    a shift changes much of what is.
    """
    median, less = survey.median_change, survey.less_than_subsampling
    damping = survey.median_damping
    return (
        f"Over {survey.digits} MNIST test digits (a 1-pixel shift right, 2×2 windows at stride "
        f"2) the median changes are: input {median['input']:.0%}, subsampling "
        f"{median['subsampling']:.0%}, max pooling {median['max']:.0%}, average "
        f"{median['avg']:.0%}, min {median['min']:.0%}. Max pooling changed less than "
        f"subsampling for {less['max']} of the {survey.digits} digits and average pooling for "
        f"{less['avg']}, typically damping the shift by about a fifth (median "
        f"{damping['max']:.0%} and {damping['avg']:.0%}), but not always: on the thin-lines "
        f"pattern shifted {survey.thin_lines_shift} pixels right, max pooling changes by "
        f"{survey.thin_lines_max:.1%} and subsampling by {survey.thin_lines_subsampled:.1%}. "
        f"Min pooling amplifies a shift (more than subsampling for "
        f"{survey.digits - less['min']} of the {survey.digits} digits): it keeps a window "
        "bright only where all of it is ink, so little of a thin stroke is left, and a shift "
        "changes much of what is."
    )


# --- within a window or across its border --------------------------------------------------------


@dataclass(frozen=True)
class BrightPixelMove:
    """Where a lone bright pixel, and the max-pooled cells it lights, go after one shift.

    A pixel that no window covers lights no cell (``cells_before`` or ``cells_after`` empty):
    with a stride larger than the window, or past the last window that fits ("valid").
    """

    direction: str
    pixel_before: tuple[int, int]
    pixel_after: tuple[int, int]
    cells_before: tuple[tuple[int, int], ...]  # the max-pooled cells that show the pixel
    cells_after: tuple[tuple[int, int], ...]
    pool_size: tuple[int, int] = (2, 2)  # the window and the stride, (rows, cols), for the why
    strides: tuple[int, int] = (2, 2)
    padding: str = "valid"

    @property
    def unchanged(self) -> bool:
        """Whether the max-pooled map is the same before and after the shift."""
        return self.cells_before == self.cells_after


def _lit_cells(pooled: np.ndarray) -> tuple[tuple[int, int], ...]:
    """The cells of a max-pooled lone pixel that hold it (the map's nonzero cells)."""
    return tuple((int(row), int(col)) for row, col in zip(*np.nonzero(pooled), strict=True))


def bright_pixel_moves(
    image: np.ndarray,
    distance: int,
    pool_size: ops.SizeArg = 2,
    strides: ops.SizeArg | None = None,
    padding: str = "valid",
    directions: Mapping[str, tuple[int, int]] = SHIFT_DIRECTIONS,
) -> list[BrightPixelMove]:
    """Shift an image holding one bright pixel by ``distance`` in each direction, and max-pool.

    Raises
    ------
    ValueError
        If ``image`` does not hold exactly one nonzero pixel, or for bad pooling arguments.

    Examples
    --------
    A pixel in row 1, column 2 with 2×2 windows: one step right stays in its window (columns
    2–3), one step down crosses into the next row of windows.

    >>> image = np.zeros((6, 6))
    >>> image[1, 2] = 1.0
    >>> [(move.direction, move.unchanged) for move in bright_pixel_moves(image, 1)]
    [('right', True), ('down', False), ('diagonally', False)]
    """
    picture = np.asarray(image, dtype=np.float64)
    lit = np.argwhere(picture != 0)
    if len(lit) != 1:
        raise ValueError(f"Expected an image with one bright pixel, found {len(lit)}.")
    pixel = (int(lit[0][0]), int(lit[0][1]))
    window = ops.as_pair(pool_size, "The window size")
    step = ops.as_pair(pool_size if strides is None else strides, "The stride")
    before = _lit_cells(ops.pool2d(picture, window, step, padding, "max"))
    moves = []
    for direction, (rows, cols) in directions.items():
        shift = (rows * distance, cols * distance)
        shifted = ops.shift_image(picture, *shift)
        if np.count_nonzero(shifted) != 1:
            raise ValueError(
                f"A shift of {distance} pixels {direction} moves the pixel out of view."
            )
        after = _lit_cells(ops.pool2d(shifted, window, step, padding, "max"))
        moved = (pixel[0] + shift[0], pixel[1] + shift[1])
        moves.append(BrightPixelMove(direction, pixel, moved, before, after, window, step, padding))
    return moves


def _cells_text(cells: Sequence[tuple[int, int]]) -> str:
    return ", ".join(f"({row}, {col})" for row, col in cells)


def _no_window_reason(move: BrightPixelMove) -> str:
    """Why a pixel lights no cell: gaps between the windows, or (valid) past the last one."""
    if any(step > size for step, size in zip(move.strides, move.pool_size, strict=True)):
        if move.strides[0] == move.strides[1] and move.pool_size[0] == move.pool_size[1]:
            between = f"with stride {move.strides[0]} > pool size {move.pool_size[0]}"
        else:
            between = (
                f"with strides {move.strides[0]}×{move.strides[1]} and a "
                f"{move.pool_size[0]}×{move.pool_size[1]} window, a stride larger than the window"
            )
        return f"{between}, some pixels fall in no window and never reach the output"
    return (
        "valid padding keeps only the windows that fit, so the last pixels of a row or column "
        "fall in no window and never reach the output"
    )


def bright_pixel_sentence(move: BrightPixelMove, distance: int) -> str:
    """One sentence per direction, from the pooled cells themselves.

    Examples
    --------
    >>> move = BrightPixelMove("right", (21, 26), (21, 27), ((10, 13),), ((10, 13),))
    >>> print(bright_pixel_sentence(move, 1))  # doctest: +NORMALIZE_WHITESPACE
    1 pixel right, from (21, 26) to (21, 27): it stays inside its window, and the max-pooled
    map does not change at all (the bright output stays at (10, 13)).

    With 2×2 windows at stride 3, column 26 lies between two windows:

    >>> move = BrightPixelMove("right", (21, 26), (21, 27), (), ((7, 9),), (2, 2), (3, 3))
    >>> print(bright_pixel_sentence(move, 1))  # doctest: +NORMALIZE_WHITESPACE
    1 pixel right, from (21, 26) to (21, 27): with stride 3 > pool size 2, some pixels fall
    in no window and never reach the output: this one is skipped, and the shift moves it into
    a window, so the bright output appears at (7, 9).
    """
    where = (
        f"{shift_text(distance, move.direction)}, from {_cells_text([move.pixel_before])} "
        f"to {_cells_text([move.pixel_after])}"
    )
    before, after = move.cells_before, move.cells_after
    if not before and not after:
        return (
            f"{where}: {_no_window_reason(move)}: this one is skipped before and after the "
            "shift, so the max-pooled map stays black and does not change."
        )
    if not before:
        return (
            f"{where}: {_no_window_reason(move)}: this one is skipped, and the shift moves it "
            f"into a window, so the bright output appears at {_cells_text(after)}."
        )
    if not after:
        return (
            f"{where}: the shift moves it out of every window ({_no_window_reason(move)}), so "
            f"the bright output at {_cells_text(before)} goes dark and the map is black."
        )
    if move.unchanged and len(before) == 1:
        return (
            f"{where}: it stays inside its window, and the max-pooled map does not change at "
            f"all (the bright output stays at {_cells_text(before)})."
        )
    if move.unchanged:
        return (
            f"{where}: it stays inside the same {len(before)} overlapping windows, and the "
            f"max-pooled map does not change at all (the bright outputs stay at "
            f"{_cells_text(before)})."
        )
    return (
        f"{where}: it crosses a window border, and the bright output moves from "
        f"{_cells_text(before)} to {_cells_text(after)}."
    )


# --- convolution moves with its input ------------------------------------------------------------


def conv_equivariance(image: np.ndarray, kernel: np.ndarray, shift: tuple[int, int]) -> float:
    """The largest difference between ``conv(shift(x))`` and ``conv(x)`` moved by the shift,
    over the output cells whose window lies inside the image both times ("valid" convolution).

    Zero (up to rounding) for every image and kernel: a convolution is equivariant, it moves
    with its input.

    Examples
    --------
    >>> image = np.random.default_rng(0).random((8, 8))
    >>> conv_equivariance(image, np.ones((3, 3)), (1, 2)) < 1e-12
    True
    """
    picture = np.asarray(image, dtype=np.float64)
    rows, cols = int(shift[0]), int(shift[1])
    before = ops.conv2d(picture, kernel)
    after = ops.conv2d(ops.shift_image(picture, rows, cols), kernel)
    height, width = before.shape
    if abs(rows) >= height or abs(cols) >= width:
        raise ValueError(f"A shift of ({rows}, {cols}) moves the whole {height}×{width} output.")
    # Output (i, j) after the shift is output (i − rows, j − cols) before it.
    moved = before[max(-rows, 0) : height - max(rows, 0), max(-cols, 0) : width - max(cols, 0)]
    kept = after[max(rows, 0) : height - max(-rows, 0), max(cols, 0) : width - max(-cols, 0)]
    return float(np.abs(kept - moved).max())


def stride_sentence(distance: int, stride: int) -> str:
    """What a shift of ``distance`` pixels does to pooling at ``stride``: the stride, not the
    window, decides whether pooling can move along with its input.

    Examples
    --------
    >>> print(stride_sentence(1, 2))  # doctest: +NORMALIZE_WHITESPACE
    Pooling at stride 2 moves its output only by whole cells of 2 pixels, so a shift of 1 pixel
    changes the pooled values instead.
    >>> print(stride_sentence(2, 2))  # doctest: +NORMALIZE_WHITESPACE
    Pooling at stride 2 moves its output by whole cells of 2 pixels: a shift of 2 pixels, a
    multiple of the stride, moves the pooled map by 1 cell (away from the border).
    """
    if stride < 1 or distance < 1:
        raise ValueError(f"The stride and the shift must be at least 1, got {stride}, {distance}.")
    pixels = f"{distance} pixel{'s' if distance != 1 else ''}"
    if stride == 1:
        return (
            "Pooling at stride 1 is equivariant too (away from the border): it is the stride "
            "that makes pooling only partly invariant."
        )
    if distance % stride == 0:
        cells = distance // stride
        return (
            f"Pooling at stride {stride} moves its output by whole cells of {stride} pixels: a "
            f"shift of {pixels}, a multiple of the stride, moves the pooled map by {cells} "
            f"cell{'s' if cells != 1 else ''} (away from the border)."
        )
    return (
        f"Pooling at stride {stride} moves its output only by whole cells of {stride} pixels, "
        f"so a shift of {pixels} changes the pooled values instead."
    )
