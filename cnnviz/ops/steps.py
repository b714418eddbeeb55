"""The step-throughs: the window or the weights behind one output cell, and its arithmetic.

:func:`window_for_output` and :func:`describe_window` for pooling, :func:`conv_step` for a
convolution (``cnnviz.convolution.step_arithmetic`` writes its sum out); the pages draw the cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cnnviz.ops.arguments import (
    POOL_MODES,
    SizeArg,
    as_pair,
)
from cnnviz.ops.convolution import check_conv_arguments
from cnnviz.ops.padding import pad2d
from cnnviz.ops.sizes import output_shape, padding_amounts


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
    window = as_pair(pool_size, "The pool size")
    step = window if strides is None else as_pair(strides, "The stride")
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
    image, weights, step, spread = check_conv_arguments(x, kernel, stride, padding, dilation)
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
