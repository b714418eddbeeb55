"""Pooling, padding and convolution in plain numpy, with the exact semantics of Keras/TensorFlow.

Everything here is vectorised (a sliding-window *view* of the padded image, reduced over the
window axes), so the pooling page never loops over pixels in Python and never imports
TensorFlow. ``tests/test_ops.py`` checks every function against the Keras layers.

Conventions, as in Keras:

- an image is ``(H, W)`` or ``(H, W, C)``; a size or a stride is an int or a pair
  ``(rows, cols)``; pooling strides default to the pool size;
- ``padding="valid"`` uses only whole windows that fit inside the image;
- ``padding="same"`` pads so that the output has ``ceil(n / stride)`` cells per axis; when the
  padding is odd, the extra row/column goes to the bottom/right. Pooling *ignores* the padded
  cells (max treats them as −∞, the average divides by the number of real cells), whereas a
  convolution multiplies them as zeros;
- ``padding="full"`` (convolution only) pads ``kernel − 1`` zeros on every side, so every
  position where the kernel touches the image at least once gives an output;
- a convolution's ``dilation`` d spreads its k weights d cells apart, so they span the
  *effective kernel* ``d·(k − 1) + 1`` cells: sizes and padding amounts use that span
  (``dilation_rate`` in Keras).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

PoolMode = Literal["max", "min", "avg"]
Padding = Literal["valid", "same", "full"]
SizeArg = int | Sequence[int]

POOL_MODES: tuple[str, ...] = ("max", "min", "avg")
POOL_PADDINGS: tuple[str, ...] = ("valid", "same")
CONV_PADDINGS: tuple[str, ...] = ("valid", "same", "full")


def _read_only(rows: list[list[float]]) -> np.ndarray:
    """A float32 kernel that nobody can change by accident (it is shared by every session)."""
    kernel = np.array(rows, dtype=np.float32)
    kernel.flags.writeable = False
    return kernel


# Classic hand-made filters, for showing a real convolution shrink (valid) or keep (same) an image.
EXAMPLE_KERNELS: dict[str, np.ndarray] = {
    "Sobel (vertical edges)": _read_only([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]),
    "Sobel (horizontal edges)": _read_only([[-1, -2, -1], [0, 0, 0], [1, 2, 1]]),
    "Laplacian (all edges)": _read_only([[0, 1, 0], [1, -4, 1], [0, 1, 0]]),
    "Box blur 3×3": _read_only([[1 / 9] * 3] * 3),
    "Box blur 5×5": _read_only([[1 / 25] * 5] * 5),
    "Sharpen": _read_only([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
}


# --- argument checks ---------------------------------------------------------------------------


def _pair(
    value: SizeArg,
    name: str,
    why: str = "a window or a step of zero (or less) pixels does not move across the image.",
) -> tuple[int, int]:
    """``value`` as a (rows, cols) pair of positive ints; a single int means a square."""
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
            f"{name} must be at least 1 in each direction, got {_size_text(pair)}: {why}"
        )
    return pair  # type: ignore[return-value]


def _size_text(pair: Sequence[int]) -> str:
    """(5, 3) -> "5×3", the way the page writes sizes."""
    return f"{pair[0]}×{pair[1]}"


def _check_padding(padding: str, allowed: tuple[str, ...]) -> None:
    if padding not in allowed:
        choices = ", ".join(f"'{choice}'" for choice in allowed)
        raise ValueError(f"Unknown padding '{padding}'; choose one of {choices}.")


def _check_image(x: np.ndarray, what: str = "image") -> np.ndarray:
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


def _check_fits(
    input_shape: tuple[int, int],
    window: tuple[int, int],
    what: str,
    dilation: tuple[int, int] = (1, 1),
) -> None:
    """Raise the student-friendly error when a 'valid' window is larger than the image."""
    span = tuple(step * (size - 1) + 1 for size, step in zip(window, dilation, strict=True))
    if span[0] > input_shape[0] or span[1] > input_shape[1]:
        if dilation == (1, 1):
            name, smaller = f"{_size_text(window)} {what}", f"a smaller {what}"
        else:
            name = (
                f"{_size_text(window)} {what} dilated by {_size_text(dilation)} "
                f"(it spans {_size_text(span)})"
            )
            smaller = f"a smaller {what} or dilation"
        raise ValueError(
            f"The {name} does not fit in a {_size_text(input_shape)} image with 'valid' "
            f"padding, so there is no output; choose {smaller} or 'same' padding."
        )


# --- sizes and padding amounts -----------------------------------------------------------------

DILATION_WHY = "a dilation of 1 puts the weights next to each other, and less is not possible."


def effective_kernel(kernel: int, dilation: int = 1) -> int:
    """The cells spanned by ``kernel`` weights placed ``dilation`` cells apart: d·(k − 1) + 1.

    Examples
    --------
    >>> effective_kernel(3), effective_kernel(3, 2), effective_kernel(5, 3)
    (3, 5, 13)
    """
    if kernel < 1:
        raise ValueError(f"The window size must be at least 1, got {kernel}.")
    if dilation < 1:
        raise ValueError(f"The dilation must be at least 1, got {dilation}: {DILATION_WHY}")
    return dilation * (kernel - 1) + 1


def same_padding(n: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """The padding TensorFlow adds before and after one axis for ``padding="same"``.

    TensorFlow pads just enough for ``ceil(n / stride)`` outputs:
    ``total = max((ceil(n / stride) − 1) · stride + kernel − n, 0)``, with
    ``before = total // 2`` and the odd cell, if any, ``after`` (bottom or right). A dilated
    kernel counts with its span, the effective kernel ``d·(k − 1) + 1``.

    Parameters
    ----------
    n : int
        The input length along this axis (height or width).
    kernel : int
        The window length along this axis.
    stride : int
        The step between windows along this axis.
    dilation : int
        The distance between neighbouring weights (1: side by side).

    Returns
    -------
    tuple of int
        ``(before, after)``: cells added at the top/left and at the bottom/right.

    Examples
    --------
    A 4-pixel row, a 3-wide window, stride 1: one cell on each side.

    >>> same_padding(4, 3, 1)
    (1, 1)
    >>> same_padding(4, 2, 1)  # odd total: the extra cell goes after (bottom/right)
    (0, 1)
    >>> same_padding(4, 2, 2)  # 2-wide windows at stride 2 tile 4 cells exactly
    (0, 0)
    >>> same_padding(4, 3, 1, dilation=2)  # the 3 weights span 5 cells
    (2, 2)
    """
    _check_axis_arguments(n, kernel, stride)
    span = effective_kernel(kernel, dilation)
    outputs = -(-n // stride)  # ceil(n / stride)
    total = max((outputs - 1) * stride + span - n, 0)
    return total // 2, total - total // 2


def _check_axis_arguments(n: int, kernel: int, stride: int) -> None:
    if n < 1:
        raise ValueError(f"The input length must be at least 1, got {n}.")
    if kernel < 1:
        raise ValueError(f"The window size must be at least 1, got {kernel}.")
    if stride < 1:
        raise ValueError(f"The stride must be at least 1, got {stride}.")


def axis_padding(
    n: int, kernel: int, stride: int, padding: str, dilation: int = 1
) -> tuple[int, int]:
    """Cells added ``(before, after)`` on one axis for ``"valid"``, ``"same"`` or ``"full"``.

    ``"full"`` adds ``d·(k − 1)`` cells on each side: one fewer than the kernel's span, so the
    first and last windows overlap the image by exactly one cell.

    Examples
    --------
    >>> axis_padding(4, 3, 1, "valid"), axis_padding(4, 3, 1, "same"), axis_padding(4, 3, 1, "full")
    ((0, 0), (1, 1), (2, 2))
    >>> axis_padding(4, 3, 1, "full", dilation=2)
    (4, 4)
    """
    _check_padding(padding, CONV_PADDINGS)
    _check_axis_arguments(n, kernel, stride)
    span = effective_kernel(kernel, dilation)
    if padding == "valid":
        return 0, 0
    if padding == "same":
        return same_padding(n, kernel, stride, dilation)
    return span - 1, span - 1


def padding_amounts(
    input_shape: Sequence[int],
    kernel_size: SizeArg,
    strides: SizeArg,
    padding: str,
    dilation: SizeArg = 1,
) -> tuple[int, int, int, int]:
    """The padding ``(top, bottom, left, right)`` an image of ``input_shape`` receives.

    Examples
    --------
    A 4×4 image, a 2×2 window at stride 1, "same": TensorFlow pads one row at the bottom and
    one column at the right.

    >>> padding_amounts((4, 4), 2, 1, "same")
    (0, 1, 0, 1)
    """
    kernel_rows, kernel_cols = _pair(kernel_size, "The window size")
    stride_rows, stride_cols = _pair(strides, "The stride")
    dilation_rows, dilation_cols = _pair(dilation, "The dilation", DILATION_WHY)
    top, bottom = axis_padding(
        int(input_shape[0]), kernel_rows, stride_rows, padding, dilation_rows
    )
    left, right = axis_padding(
        int(input_shape[1]), kernel_cols, stride_cols, padding, dilation_cols
    )
    return top, bottom, left, right


def _window_words(kernel: int, dilation: int) -> str:
    """ "5 cells", or "3 cells dilated by 2 (they span 5 cells)"."""
    if dilation == 1:
        return f"{kernel} cells"
    span = effective_kernel(kernel, dilation)
    return f"{kernel} cells dilated by {dilation} (they span {span} cells)"


def output_size(n: int, kernel: int, stride: int, padding: str, dilation: int = 1) -> int:
    """How many outputs a window of ``kernel`` cells, moved by ``stride``, gives along ``n`` cells.

    With ``k'`` the effective kernel ``d·(k − 1) + 1`` (``k' = k`` without dilation):

    - ``"valid"``: ⌊(n − k') / stride⌋ + 1 (only windows that fit);
    - ``"same"``: ⌈n / stride⌉ (the window size does not matter);
    - ``"full"``: ⌊(n + k' − 2) / stride⌋ + 1 (``k' − 1`` zeros padded on each side).

    Raises
    ------
    ValueError
        For a ``"valid"`` window longer than the input: there is no output.

    Examples
    --------
    >>> output_size(4, 2, 2, "valid"), output_size(4, 3, 2, "same"), output_size(4, 3, 1, "full")
    (2, 2, 6)
    >>> output_size(28, 2, 2, "valid")
    14
    >>> output_size(28, 3, 1, "valid", dilation=2)  # the 3 weights span 5 cells
    24
    """
    _check_padding(padding, CONV_PADDINGS)
    _check_axis_arguments(n, kernel, stride)
    span = effective_kernel(kernel, dilation)
    if padding == "valid":
        if span > n:
            raise ValueError(
                f"A window of {_window_words(kernel, dilation)} does not fit in {n} cells with "
                "'valid' padding, so there is no output; choose a smaller window or 'same' "
                "padding."
            )
        return (n - span) // stride + 1
    if padding == "same":
        return -(-n // stride)
    return (n + span - 2) // stride + 1


def output_size_formula(n: int, kernel: int, stride: int, padding: str, dilation: int = 1) -> str:
    """The output-size formula for one axis with the real numbers filled in, as text.

    A ``"valid"`` window that does not fit shows its negative or zero result followed by
    "(no output)", so the page can show why nothing comes out. With a dilation the formula
    uses the effective kernel and says how it was computed.

    Examples
    --------
    >>> output_size_formula(28, 2, 2, "valid")
    '⌊(28 − 2) / 2⌋ + 1 = 14'
    >>> output_size_formula(4, 3, 2, "same")
    '⌈4 / 2⌉ = 2'
    >>> output_size_formula(4, 3, 1, "full")
    '⌊(4 + 3 − 2) / 1⌋ + 1 = 6'
    >>> output_size_formula(3, 5, 1, "valid")
    '⌊(3 − 5) / 1⌋ + 1 = -1 (no output)'
    >>> output_size_formula(28, 3, 1, "valid", dilation=2)
    '⌊(28 − 5) / 1⌋ + 1 = 24, with the dilated kernel 2·(3 − 1) + 1 = 5'
    """
    _check_padding(padding, CONV_PADDINGS)
    _check_axis_arguments(n, kernel, stride)
    span = effective_kernel(kernel, dilation)
    if padding == "valid":
        result = (n - span) // stride + 1
        text = f"⌊({n} − {span}) / {stride}⌋ + 1 = {result}"
        if result < 1:
            text += " (no output)"
    elif padding == "same":
        return f"⌈{n} / {stride}⌉ = {output_size(n, kernel, stride, padding, dilation)}"
    else:
        result = output_size(n, kernel, stride, padding, dilation)
        text = f"⌊({n} + {span} − 2) / {stride}⌋ + 1 = {result}"
    if dilation > 1:
        text += f", with the dilated kernel {dilation}·({kernel} − 1) + 1 = {span}"
    return text


def output_shape(
    input_shape: Sequence[int],
    kernel_size: SizeArg,
    strides: SizeArg | None,
    padding: str,
    what: str = "window",
    dilation: SizeArg = 1,
) -> tuple[int, int]:
    """The (rows, cols) of the output for an image of ``input_shape`` (extra axes ignored).

    ``strides=None`` means the kernel size (the pooling default); ``what`` names the window in
    the error message ("pool", "kernel").

    Raises
    ------
    ValueError
        When a ``"valid"`` window does not fit (the message names both sizes).

    Examples
    --------
    >>> output_shape((4, 4), 2, None, "valid")
    (2, 2)
    >>> output_shape((28, 28, 3), (3, 2), (2, 1), "same")
    (14, 28)
    >>> output_shape((9, 9), 3, 1, "valid", dilation=(2, 1))
    (5, 7)
    """
    kernel = _pair(kernel_size, "The window size")
    stride = kernel if strides is None else _pair(strides, "The stride")
    spread = _pair(dilation, "The dilation", DILATION_WHY)
    _check_padding(padding, CONV_PADDINGS)
    shape = (int(input_shape[0]), int(input_shape[1]))
    if padding == "valid":
        _check_fits(shape, kernel, what, spread)
    return (
        output_size(shape[0], kernel[0], stride[0], padding, spread[0]),
        output_size(shape[1], kernel[1], stride[1], padding, spread[1]),
    )


# --- padding, pooling, convolution -------------------------------------------------------------


def pad2d(
    x: np.ndarray,
    pad_top: int,
    pad_bottom: int,
    pad_left: int,
    pad_right: int,
    value: float = 0.0,
) -> np.ndarray:
    """Surround an image with a border of constant cells (zero padding by default).

    Parameters
    ----------
    x : ndarray, shape (H, W) or (H, W, C)
        The image; channels, if any, are padded alike.
    pad_top, pad_bottom, pad_left, pad_right : int
        Rows added above and below, columns added left and right (each ≥ 0).
    value : float
        The value of the new cells.

    Returns
    -------
    ndarray, shape (H + pad_top + pad_bottom, W + pad_left + pad_right[, C])

    Examples
    --------
    >>> pad2d(np.arange(16.0).reshape(4, 4), 1, 0, 0, 1)
    array([[ 0.,  0.,  0.,  0.,  0.],
           [ 0.,  1.,  2.,  3.,  0.],
           [ 4.,  5.,  6.,  7.,  0.],
           [ 8.,  9., 10., 11.,  0.],
           [12., 13., 14., 15.,  0.]])
    """
    image = _check_image(x)
    amounts = (pad_top, pad_bottom, pad_left, pad_right)
    if min(amounts) < 0:
        raise ValueError(f"Padding cannot be negative, got (top, bottom, left, right) = {amounts}.")
    widths = [(pad_top, pad_bottom), (pad_left, pad_right)] + [(0, 0)] * (image.ndim - 2)
    return np.pad(image, widths, mode="constant", constant_values=value)


def pool2d(
    x: np.ndarray,
    pool_size: SizeArg,
    strides: SizeArg | None = None,
    padding: str = "valid",
    mode: str = "max",
) -> np.ndarray:
    """Max, min or average pooling of an image, exactly as Keras' pooling layers compute it.

    Parameters
    ----------
    x : ndarray, shape (H, W) or (H, W, C)
        The image. Each channel is pooled on its own.
    pool_size : int or (int, int)
        The window's (rows, cols).
    strides : int or (int, int), optional
        The step between windows; ``None`` means the pool size (windows side by side, as in
        Keras).
    padding : {"valid", "same"}
        ``"valid"``: only windows that fit. ``"same"``: ⌈H / stride⌉ × ⌈W / stride⌉ outputs;
        the padded cells are ignored (as in TensorFlow), the odd one goes bottom/right.
    mode : {"max", "min", "avg"}
        The largest, smallest or mean value of each window. Keras has no min-pooling layer;
        min pooling equals ``-MaxPooling2D(-x)``.

    Returns
    -------
    ndarray, shape (out_H, out_W) or (out_H, out_W, C)
        Floating point (float64 for integer input).

    Raises
    ------
    ValueError
        For a pool size or stride below 1, an unknown mode or padding, or a ``"valid"`` window
        larger than the image (no output).

    Examples
    --------
    >>> image = np.arange(16.0).reshape(4, 4)
    >>> pool2d(image, 2)
    array([[ 5.,  7.],
           [13., 15.]])
    >>> pool2d(image, 2, mode="min")
    array([[ 0.,  2.],
           [ 8., 10.]])
    >>> pool2d(image, 2, mode="avg")
    array([[ 2.5,  4.5],
           [10.5, 12.5]])

    With "same" padding and stride 1 the output stays 4×4; the last row and column average
    only their real cells (e.g. the corner is the mean of the single cell 15):

    >>> pool2d(image, 2, strides=1, padding="same", mode="avg")
    array([[ 2.5,  3.5,  4.5,  5. ],
           [ 6.5,  7.5,  8.5,  9. ],
           [10.5, 11.5, 12.5, 13. ],
           [12.5, 13.5, 14.5, 15. ]])
    """
    image = _check_image(x)
    if mode not in POOL_MODES:
        raise ValueError(f"Unknown pooling mode '{mode}'; choose 'max', 'min' or 'avg'.")
    _check_padding(padding, POOL_PADDINGS)
    window = _pair(pool_size, "The pool size")
    step = window if strides is None else _pair(strides, "The stride")
    height, width = image.shape[:2]
    out_rows, out_cols = output_shape((height, width), window, step, padding, "pool")
    top, bottom, left, right = padding_amounts((height, width), window, step, padding)

    # Padded cells must never win: −∞ for max, +∞ for min, 0 (not counted) for the average.
    fill = {"max": -np.inf, "min": np.inf, "avg": 0.0}[mode]
    padded = pad2d(image, top, bottom, left, right, value=fill)
    reducer = {"max": np.maximum, "min": np.minimum, "avg": np.add}[mode]
    pooled = _separable_reduce(padded, window, step, (out_rows, out_cols), reducer)
    if mode != "avg":
        return pooled
    # The real cells per window factor into (real rows) × (real cols).
    real_rows = _real_cells(height, out_rows, window[0], step[0], top)
    real_cols = _real_cells(width, out_cols, window[1], step[1], left)
    counts = np.outer(real_rows, real_cols)
    if image.ndim == 3:
        counts = counts[:, :, np.newaxis]
    return (pooled / counts).astype(image.dtype, copy=False)


def _separable_reduce(
    padded: np.ndarray,
    window: tuple[int, int],
    step: tuple[int, int],
    out_shape: tuple[int, int],
    reducer: np.ufunc,
) -> np.ndarray:
    """Reduce every strided window with ``reducer`` (max, min or add), rows first, then columns.

    Max, min and sum of a k × l window equal the reduction over its k rows of the reductions
    over its l columns, so two passes of k and l whole-array operations (a loop over the
    window's offsets, never over pixels) replace k · l operations per output cell.

    Returns shape (out_rows, out_cols[, C]).
    """
    result = padded
    for axis in (0, 1):
        span = (out_shape[axis] - 1) * step[axis] + 1
        total = _along(result, axis, slice(0, span, step[axis])).copy()
        for offset in range(1, window[axis]):
            window_part = _along(result, axis, slice(offset, offset + span, step[axis]))
            reducer(total, window_part, out=total)
        result = total
    return result


def _along(array: np.ndarray, axis: int, part: slice) -> np.ndarray:
    """``array`` sliced by ``part`` along ``axis`` (a view)."""
    index = [slice(None)] * array.ndim
    index[axis] = part
    return array[tuple(index)]


def _strided_windows(
    padded: np.ndarray,
    window: tuple[int, int],
    step: tuple[int, int],
    out_shape: tuple[int, int],
) -> np.ndarray:
    """Every window the stride visits, as a view (nothing copied).

    Returns shape (out_rows, out_cols[, C], window_rows, window_cols).
    """
    windows = sliding_window_view(padded, window, axis=(0, 1))
    return windows[
        : (out_shape[0] - 1) * step[0] + 1 : step[0], : (out_shape[1] - 1) * step[1] + 1 : step[1]
    ]


def _real_cells(n: int, outputs: int, kernel: int, stride: int, before: int) -> np.ndarray:
    """For each output along one axis, how many cells of its window lie inside the image."""
    starts = np.arange(outputs) * stride - before  # window start in image coordinates
    return np.minimum(starts + kernel, n) - np.maximum(starts, 0)


def conv2d(
    x: np.ndarray,
    kernel: np.ndarray,
    stride: SizeArg = 1,
    padding: str = "valid",
    dilation: SizeArg = 1,
) -> np.ndarray:
    """2-D cross-correlation of one filter, what a Keras ``Conv2D`` filter computes (no bias).

    Each output cell is the sum of the window's cells times the kernel's weights (the kernel is
    *not* flipped, as in every deep-learning library). A colour image's filter has one kernel
    per channel, and the channels' sums add up into one output map. Padding adds zeros, and
    unlike pooling the zeros take part in the sums, which is why edges of a "same" convolution
    look darker.

    Parameters
    ----------
    x : ndarray, shape (H, W) or (H, W, C)
        A grey or a C-channel image.
    kernel : ndarray, shape (kH, kW) or (kH, kW, C)
        The filter weights; one (kH, kW) kernel per channel of ``x``.
    stride : int or (int, int)
        The step between windows.
    padding : {"valid", "same", "full"}
        ``"valid"``: no padding, the image shrinks by ``k' − 1``; ``"same"``: TensorFlow's
        padding, ⌈n / stride⌉ outputs; ``"full"``: ``k' − 1`` zeros on each side, the image
        grows by ``k' − 1`` (at stride 1). Here ``k' = d·(k − 1) + 1``, the span of the kernel.
    dilation : int or (int, int)
        The distance between neighbouring weights (Keras' ``dilation_rate``): 1 puts them side
        by side, 2 leaves one cell out between them.

    Returns
    -------
    ndarray, shape (out_H, out_W)
        float32 for float32 input and kernel, float64 otherwise.

    Raises
    ------
    ValueError
        For a kernel that does not match the image's channels, a stride or dilation below 1,
        an unknown padding, or a ``"valid"`` kernel larger than the image.

    Examples
    --------
    >>> image = np.arange(16.0).reshape(4, 4)
    >>> conv2d(image, np.ones((2, 2)))
    array([[10., 14., 18.],
           [26., 30., 34.],
           [42., 46., 50.]])
    >>> conv2d(image, np.ones((3, 3)), padding="same")[0]  # the top row sums only 6 real cells
    array([10., 18., 24., 18.])
    >>> conv2d(image, np.ones((2, 2)), padding="full").shape
    (5, 5)

    Dilation 2 reads the corners of each 3×3 window: 0 + 2 + 8 + 10 and 1 + 3 + 9 + 11, ...

    >>> conv2d(image, np.ones((2, 2)), dilation=2)
    array([[20., 24.],
           [36., 40.]])
    """
    image, weights = _check_conv_arguments(x, kernel)
    _check_padding(padding, CONV_PADDINGS)
    step = _pair(stride, "The stride")
    spread = _pair(dilation, "The dilation", DILATION_WHY)
    kernel_shape = weights.shape[:2]
    out_rows, out_cols = output_shape(image.shape, kernel_shape, step, padding, "kernel", spread)
    top, bottom, left, right = padding_amounts(image.shape, kernel_shape, step, padding, spread)
    padded = pad2d(image, top, bottom, left, right)
    dtype = np.result_type(image.dtype, weights.dtype)
    result = np.zeros((out_rows, out_cols), dtype=dtype)
    row_span = (out_rows - 1) * step[0] + 1
    col_span = (out_cols - 1) * step[1] + 1
    # One whole-image multiply-add per weight (a loop over the kH·kW taps, never over pixels):
    # 3× faster than einsum over a sliding-window view on a 512×512 image, and dilation is
    # only the tap's offset.
    for tap_row, tap_col in np.ndindex(*kernel_shape):
        row, col = tap_row * spread[0], tap_col * spread[1]
        cells = padded[row : row + row_span : step[0], col : col + col_span : step[1]]
        weight = weights[tap_row, tap_col]
        if image.ndim == 3:
            result += cells @ weight  # (out_H, out_W, C) @ (C,): the channels summed
        else:
            result += cells * weight
    return result


def _check_conv_arguments(x: np.ndarray, kernel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The image and the kernel as float arrays, after checking that their channels match."""
    image = _check_image(x)
    weights = np.asarray(kernel)
    if not np.issubdtype(weights.dtype, np.floating):
        weights = weights.astype(np.float64)
    if image.ndim == 2 and weights.ndim != 2:
        raise ValueError(
            f"The kernel must be a 2-D array (rows, cols) for a grey (H, W) image, got shape "
            f"{weights.shape}."
        )
    if image.ndim == 3 and (weights.ndim != 3 or weights.shape[2] != image.shape[2]):
        raise ValueError(
            f"An image with {image.shape[2]} channels needs a kernel of shape (rows, cols, "
            f"{image.shape[2]}), one slice per channel, got shape {weights.shape}."
        )
    if min(weights.shape) < 1:
        raise ValueError(f"The kernel is empty (shape {weights.shape}).")
    return image, weights


@dataclass(frozen=True)
class ConvStep:
    """One output cell of a convolution, with every multiplication that made it.

    Attributes
    ----------
    rows, cols : ndarray of int, shapes (kH,) and (kW,)
        The input row of each kernel row and the input column of each kernel column, in image
        coordinates (negative or past the edge: a padded cell).
    values : ndarray, shape (kH, kW) or (kH, kW, C)
        The cells under the weights, 0 where they fall on the padding.
    weights : ndarray, same shape as ``values``
    inside : ndarray of bool, shape (kH, kW)
        Whether each weight sits on a real cell of the image.
    padding : tuple of int
        ``(top, bottom, left, right)`` added to the image.
    """

    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    weights: np.ndarray
    inside: np.ndarray
    padding: tuple[int, int, int, int]

    @property
    def products(self) -> np.ndarray:
        """Each weight times its cell, shape of ``values``."""
        return self.values * self.weights

    @property
    def total(self) -> float:
        """The sum of the products: the output cell's value."""
        return float(self.products.sum())


def conv_step(
    x: np.ndarray,
    kernel: np.ndarray,
    i: int,
    j: int,
    stride: SizeArg = 1,
    padding: str = "valid",
    dilation: SizeArg = 1,
) -> ConvStep:
    """The cells and weights behind output cell ``(i, j)`` of :func:`conv2d`.

    Examples
    --------
    >>> image = np.arange(16.0).reshape(4, 4)
    >>> step = conv_step(image, np.ones((2, 2)), 0, 1, dilation=2)
    >>> step.rows, step.cols, step.values
    (array([0, 2]), array([1, 3]), array([[ 1.,  3.],
           [ 9., 11.]]))
    >>> step.total
    24.0

    With "same" padding the corner window hangs over the zeros:

    >>> conv_step(image, np.ones((3, 3)), 0, 0, padding="same").inside.sum().item()
    4
    """
    image, weights = _check_conv_arguments(x, kernel)
    _check_padding(padding, CONV_PADDINGS)
    step = _pair(stride, "The stride")
    spread = _pair(dilation, "The dilation", DILATION_WHY)
    kernel_shape = weights.shape[:2]
    out_rows, out_cols = output_shape(image.shape, kernel_shape, step, padding, "kernel", spread)
    if not (0 <= i < out_rows and 0 <= j < out_cols):
        raise ValueError(
            f"Output cell ({i}, {j}) does not exist: the output has {out_rows} rows and "
            f"{out_cols} columns (counting from 0)."
        )
    amounts = padding_amounts(image.shape, kernel_shape, step, padding, spread)
    top, _, left, _ = amounts
    rows = i * step[0] - top + np.arange(kernel_shape[0]) * spread[0]
    cols = j * step[1] - left + np.arange(kernel_shape[1]) * spread[1]
    inside = np.outer((rows >= 0) & (rows < image.shape[0]), (cols >= 0) & (cols < image.shape[1]))
    # Read every tap through the padded image, so a padded cell reads as its zero.
    padded = pad2d(image, *amounts)
    values = padded[np.ix_(rows + top, cols + left)]
    return ConvStep(rows, cols, values, weights, inside, amounts)


def describe_conv_step(step: ConvStep, decimals: int = 2) -> str:
    """The arithmetic of one output cell written out: ``1·0 + (−1)·2 + … = total``.

    Each term is ``weight·cell``; a cell on the padding is written as ``0``. Numbers are
    rounded to ``decimals`` places for reading; the total is the exact sum, rounded alike.

    Examples
    --------
    >>> image = np.arange(16.0).reshape(4, 4)
    >>> describe_conv_step(conv_step(image, np.array([[1.0, -1.0]]), 0, 0))
    '1·0 + (−1)·1 = −1'
    """
    if decimals < 0:
        raise ValueError(f"decimals must be 0 or more, got {decimals}.")
    terms = [
        f"{format_number(weight, decimals, wrap=True)}·{format_number(value, decimals, wrap=True)}"
        for weight, value in zip(step.weights.ravel(), step.values.ravel(), strict=True)
    ]
    return f"{' + '.join(terms)} = {format_number(step.total, decimals)}"


def format_number(value: float, decimals: int = 2, wrap: bool = False) -> str:
    """A number as the page writes it: rounded, no trailing zeros, a real minus sign."""
    rounded = round(float(value), decimals)
    if rounded == 0:
        rounded = 0.0  # no "−0"
    text = f"{rounded:.{decimals}f}".rstrip("0").rstrip(".") if decimals else f"{rounded:.0f}"
    if text.startswith("-"):
        text = "−" + text[1:]
        return f"({text})" if wrap else text
    return text


def parameter_count(kernel_shape: Sequence[int], channels: int, filters: int) -> int:
    """Weights and biases of a ``Conv2D`` layer: (kH·kW·C + 1)·F.

    Every one of the F filters has a kH × kW kernel per input channel and one bias; the count
    does not depend on the image size, the stride or the padding.

    Examples
    --------
    >>> parameter_count((5, 5), 1, 6)  # LeNet-5's C1
    156
    >>> parameter_count((3, 3), 3, 64)
    1792
    """
    rows, cols = _pair(tuple(kernel_shape), "The kernel size")
    if channels < 1 or filters < 1:
        raise ValueError(
            f"A layer needs at least one channel and one filter, got {channels} channels and "
            f"{filters} filters."
        )
    return (rows * cols * channels + 1) * filters


# --- the step-through --------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolWindow:
    """Where the window that produced one output cell lies.

    ``rows``/``cols`` index the real image (clipped to it, so ``x[window.rows, window.cols]``
    are the cells the window actually reads); ``padded_rows``/``padded_cols`` index the padded
    image (``pad2d(x, *padding)``), and may cover padded cells.
    """

    rows: slice
    cols: slice
    padded_rows: slice
    padded_cols: slice
    padding: tuple[int, int, int, int]  # (top, bottom, left, right) added to the image

    @property
    def padded_cells(self) -> int:
        """How many cells of the window fall on the padding."""
        window_cells = (self.padded_rows.stop - self.padded_rows.start) * (
            self.padded_cols.stop - self.padded_cols.start
        )
        real_cells = (self.rows.stop - self.rows.start) * (self.cols.stop - self.cols.start)
        return window_cells - real_cells


def window_for_output(
    i: int,
    j: int,
    pool_size: SizeArg,
    strides: SizeArg | None,
    padding: str,
    input_shape: Sequence[int],
) -> PoolWindow:
    """The input window that produced output cell ``(i, j)`` of a pooling (or convolution).

    Parameters
    ----------
    i, j : int
        Row and column of the output cell.
    pool_size, strides, padding
        As for :func:`pool2d` (``strides=None`` means the pool size); ``padding`` may also be
        ``"full"`` for a convolution.
    input_shape : sequence of int
        The image's shape (only the first two numbers count).

    Examples
    --------
    >>> image = np.arange(16.0).reshape(4, 4)
    >>> window = window_for_output(0, 1, 2, None, "valid", image.shape)
    >>> image[window.rows, window.cols]
    array([[2., 3.],
           [6., 7.]])

    With "same" padding at stride 1, the window of the last cell hangs over the padding:

    >>> window = window_for_output(3, 3, 2, 1, "same", image.shape)
    >>> image[window.rows, window.cols], window.padded_rows, window.padded_cells
    (array([[15.]]), slice(3, 5, None), 3)
    """
    window = _pair(pool_size, "The pool size")
    step = window if strides is None else _pair(strides, "The stride")
    out_rows, out_cols = output_shape(input_shape, window, step, padding)
    if not (0 <= i < out_rows and 0 <= j < out_cols):
        raise ValueError(
            f"Output cell ({i}, {j}) does not exist: the output has {out_rows} rows and "
            f"{out_cols} columns (counting from 0)."
        )
    top, bottom, left, right = padding_amounts(input_shape, window, step, padding)
    height, width = int(input_shape[0]), int(input_shape[1])
    row_start, col_start = i * step[0], j * step[1]  # in padded coordinates
    padded_rows = slice(row_start, row_start + window[0])
    padded_cols = slice(col_start, col_start + window[1])
    rows = slice(max(row_start - top, 0), min(row_start + window[0] - top, height))
    cols = slice(max(col_start - left, 0), min(col_start + window[1] - left, width))
    return PoolWindow(rows, cols, padded_rows, padded_cols, (top, bottom, left, right))


def describe_window(values: np.ndarray, mode: str, padded_cells: int = 0) -> str:
    """The arithmetic of one pooling step written out, e.g. ``max(0, 1, 4, 5) = 5``.

    Examples
    --------
    >>> describe_window(np.array([[0.0, 1.0], [4.0, 5.0]]), "max")
    'max(0, 1, 4, 5) = 5'
    >>> describe_window(np.array([[15.0]]), "avg", padded_cells=3)
    '(15) / 1 = 15   (3 padded cells ignored)'
    """
    if mode not in POOL_MODES:
        raise ValueError(f"Unknown pooling mode '{mode}'; choose 'max', 'min' or 'avg'.")
    cells = np.asarray(values, dtype=float).ravel()
    if cells.size == 0:
        raise ValueError("A pooling window needs at least one real cell.")
    listed = [f"{value:.3g}" for value in cells]
    if mode == "avg":
        text = f"({' + '.join(listed)}) / {cells.size} = {cells.mean():.3g}"
    else:
        result = cells.max() if mode == "max" else cells.min()
        text = f"{mode}({', '.join(listed)}) = {result:.3g}"
    if padded_cells:
        noun = "cell" if padded_cells == 1 else "cells"
        text += f"   ({padded_cells} padded {noun} ignored)"
    return text


# --- translation invariance --------------------------------------------------------------------


def shift_image(x: np.ndarray, rows: int = 0, cols: int = 0) -> np.ndarray:
    """Move an image down by ``rows`` and right by ``cols`` pixels (negative: up/left).

    The strip that comes in at the edge repeats the edge pixels, so the shift adds no new
    content (a zero strip would add a fake dark edge).

    Examples
    --------
    >>> shift_image(np.arange(16.0).reshape(4, 4), cols=1)
    array([[ 0.,  0.,  1.,  2.],
           [ 4.,  4.,  5.,  6.],
           [ 8.,  8.,  9., 10.],
           [12., 12., 13., 14.]])
    """
    image = _check_image(x)
    height, width = image.shape[:2]
    if abs(rows) >= height or abs(cols) >= width:
        raise ValueError(
            f"A shift of ({rows}, {cols}) pixels moves a {height}×{width} image out of view."
        )
    pad = [(max(rows, 0), max(-rows, 0)), (max(cols, 0), max(-cols, 0))]
    pad += [(0, 0)] * (image.ndim - 2)
    padded = np.pad(image, pad, mode="edge")
    row_start, col_start = max(-rows, 0), max(-cols, 0)
    return padded[row_start : row_start + height, col_start : col_start + width]


@dataclass(frozen=True)
class TranslationChange:
    """How much an image and its pooled version change when the image moves by a few pixels."""

    input_change: float  # mean |shifted − original| over the input's pixels
    output_change: float  # mean |pool(shifted) − pool(original)| over the output's cells
    input_changed_fraction: float  # share of input pixels that changed at all
    output_changed_fraction: float  # share of output cells that changed at all
    pooled: np.ndarray  # pool(original)
    pooled_shifted: np.ndarray  # pool(shifted)

    @property
    def ratio(self) -> float:
        """output_change / input_change: below 1 means pooling hid part of the shift."""
        return self.output_change / self.input_change if self.input_change else math.nan


def translation_change(
    x: np.ndarray,
    shift: tuple[int, int] = (0, 1),
    pool_size: SizeArg = 2,
    strides: SizeArg | None = None,
    padding: str = "valid",
    mode: str = "max",
    tolerance: float = 1e-6,
) -> TranslationChange:
    """Shift an image by ``shift = (rows, cols)`` and compare the change before and after pooling.

    Examples
    --------
    A one-pixel checkerboard flips every pixel when it moves by one, yet its 2×2 max pooling
    is white everywhere both times:

    >>> board = (np.indices((4, 4)).sum(axis=0) % 2).astype(float)
    >>> change = translation_change(board, shift=(0, 1))
    >>> change.input_changed_fraction, change.output_changed_fraction
    (0.75, 0.0)
    """
    image = _check_image(x)
    shifted = shift_image(image, *shift)
    pooled = pool2d(image, pool_size, strides, padding, mode)
    pooled_shifted = pool2d(shifted, pool_size, strides, padding, mode)
    input_difference = np.abs(shifted - image)
    output_difference = np.abs(pooled_shifted - pooled)
    return TranslationChange(
        input_change=float(input_difference.mean()),
        output_change=float(output_difference.mean()),
        input_changed_fraction=float((input_difference > tolerance).mean()),
        output_changed_fraction=float((output_difference > tolerance).mean()),
        pooled=pooled,
        pooled_shifted=pooled_shifted,
    )
