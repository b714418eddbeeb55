"""New cells at an image's edges: constant padding, and a shift that repeats the edge.

:func:`pad2d` is the padding every pooling and convolution reads through; :func:`shift_image`
moves an image by a few pixels for the translation lessons (``cnnviz.shifts``).
"""

from __future__ import annotations

import numpy as np

from cnnviz.ops.arguments import check_image


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
    image = check_image(x)
    amounts = (pad_top, pad_bottom, pad_left, pad_right)
    if min(amounts) < 0:
        raise ValueError(f"Padding cannot be negative, got (top, bottom, left, right) = {amounts}.")
    widths = [(pad_top, pad_bottom), (pad_left, pad_right)] + [(0, 0)] * (image.ndim - 2)
    return np.pad(image, widths, mode="constant", constant_values=value)


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
    image = check_image(x)
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
