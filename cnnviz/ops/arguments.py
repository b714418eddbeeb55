"""The arguments every op shares, read and checked in one place: sizes, paddings, images.

A size, a stride or a dilation is an int or a ``(rows, cols)`` pair (:func:`as_pair`); the
checks raise the ``ValueError`` a student reads on the page. Only :func:`as_pair` and the
constants are part of :mod:`cnnviz.ops`; the checks serve its modules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

PoolMode = Literal["max", "min", "avg"]
Padding = Literal["valid", "same", "full"]
SizeArg = int | Sequence[int]

POOL_MODES: tuple[str, ...] = ("max", "min", "avg")
POOL_PADDINGS: tuple[str, ...] = ("valid", "same")
CONV_PADDINGS: tuple[str, ...] = ("valid", "same", "full")
# Why a size must be at least 1, said in the error message (a dilation has its own reason).
STEP_WHY = "a window or a step of zero (or less) pixels does not move across the image."
DILATION_WHY = "a dilation of 1 puts the weights next to each other, and less is not possible."


def as_pair(value: SizeArg, name: str, why: str = STEP_WHY) -> tuple[int, int]:
    """``value`` as a (rows, cols) pair of positive ints; a single int means a square.

    Parameters
    ----------
    value : int or (int, int)
        A window size, a stride or a dilation, as Keras takes it.
    name : str
        How the error message names it ("The pool size").
    why : str
        Why it must be at least 1, for the error message.

    Raises
    ------
    ValueError
        For anything but a whole number or a pair of them, or a value below 1.

    Examples
    --------
    >>> as_pair(2, "The pool size"), as_pair((3, 1), "The stride")
    ((2, 2), (3, 1))
    >>> as_pair((3, 1, 1), "The stride")
    Traceback (most recent call last):
    ...
    ValueError: The stride must be a whole number or a pair (rows, cols), got (3, 1, 1).
    """
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        pair = (int(value), int(value))
    else:
        try:
            pair = tuple(int(item) for item in value)  # type: ignore[union-attr]
        except TypeError:
            raise ValueError(
                f"{name} must be a whole number or a pair (rows, cols), got {value!r}."
            ) from None
        if len(pair) != 2:
            raise ValueError(
                f"{name} must be a whole number or a pair (rows, cols), got {value!r}."
            )
    if min(pair) < 1:
        raise ValueError(
            f"{name} must be at least 1 in each direction, got {size_text(pair)}: {why}"
        )
    return pair  # type: ignore[return-value]


def size_text(pair: Sequence[int]) -> str:
    """(5, 3) -> "5×3", the way the page writes sizes."""
    return f"{pair[0]}×{pair[1]}"


def check_padding(padding: str, allowed: tuple[str, ...]) -> None:
    """Raise a ``ValueError`` that lists the choices when ``padding`` is not one of ``allowed``."""
    if padding not in allowed:
        choices = ", ".join(f"'{choice}'" for choice in allowed)
        raise ValueError(f"Unknown padding '{padding}'; choose one of {choices}.")


def check_image(x: np.ndarray, what: str = "image") -> np.ndarray:
    """``x`` as a 2-D or 3-D float array (float64 for integer input), or a ``ValueError``."""
    array = np.asarray(x)
    if array.ndim not in (2, 3):
        raise ValueError(
            f"The {what} must be 2-D (height, width) or 3-D (height, width, channels), "
            f"got an array of shape {array.shape}."
        )
    if array.shape[0] < 1 or array.shape[1] < 1:
        raise ValueError(f"The {what} is empty (shape {array.shape}).")
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    return array


def check_fits(
    input_shape: tuple[int, int],
    window: tuple[int, int],
    what: str,
    dilation: tuple[int, int] = (1, 1),
) -> None:
    """Raise the student-friendly error when a 'valid' window is larger than the image."""
    span = tuple(step * (size - 1) + 1 for size, step in zip(window, dilation, strict=True))
    if span[0] > input_shape[0] or span[1] > input_shape[1]:
        if dilation == (1, 1):
            name, smaller = f"{size_text(window)} {what}", f"a smaller {what}"
        else:
            name = (
                f"{size_text(window)} {what} dilated by {size_text(dilation)} "
                f"(it spans {size_text(span)})"
            )
            smaller = f"a smaller {what} or dilation"
        raise ValueError(
            f"The {name} does not fit in a {size_text(input_shape)} image with 'valid' "
            f"padding, so there is no output; choose {smaller} or 'same' padding."
        )
