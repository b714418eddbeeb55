"""Max, min and average pooling, exactly as Keras' pooling layers compute them.

Vectorised: each window's reduction is two passes of whole-array operations over the padded
image (a loop over the window's offsets, never over pixels).
"""

from __future__ import annotations

import numpy as np

from cnnviz.ops.arguments import (
    POOL_MODES,
    POOL_PADDINGS,
    SizeArg,
    as_pair,
    check_image,
    check_padding,
)
from cnnviz.ops.padding import pad2d
from cnnviz.ops.sizes import output_shape, padding_amounts


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
    image = check_image(x)
    if mode not in POOL_MODES:
        raise ValueError(f"Unknown pooling mode '{mode}'; choose 'max', 'min' or 'avg'.")
    check_padding(padding, POOL_PADDINGS)
    window = as_pair(pool_size, "The pool size")
    step = window if strides is None else as_pair(strides, "The stride")
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


def _real_cells(n: int, outputs: int, kernel: int, stride: int, before: int) -> np.ndarray:
    """For each output along one axis, how many cells of its window lie inside the image."""
    starts = np.arange(outputs) * stride - before  # window start in image coordinates
    return np.minimum(starts + kernel, n) - np.maximum(starts, 0)
