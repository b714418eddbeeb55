"""The convolution of one filter, what a Keras ``Conv2D`` filter computes, and its size.

Also the classic hand-made kernels (edges, blurs, sharpening) the pages convolve with.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cnnviz.ops.arguments import (
    CONV_PADDINGS,
    DILATION_WHY,
    SizeArg,
    as_pair,
    check_image,
    check_padding,
)
from cnnviz.ops.padding import pad2d
from cnnviz.ops.sizes import output_shape, padding_amounts


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
    image, weights, step, spread = check_conv_arguments(x, kernel, stride, padding, dilation)
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


def check_conv_arguments(
    x: np.ndarray, kernel: np.ndarray, stride: SizeArg, padding: str, dilation: SizeArg
) -> tuple[np.ndarray, np.ndarray, tuple[int, int], tuple[int, int]]:
    """A convolution's arguments, checked: ``(image, weights, stride, dilation)``.

    The image and the kernel become float arrays whose channels match, the stride and the
    dilation ``(rows, cols)`` pairs; an unknown padding raises.
    """
    image = check_image(x)
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
    check_padding(padding, CONV_PADDINGS)
    step = as_pair(stride, "The stride")
    spread = as_pair(dilation, "The dilation", DILATION_WHY)
    return image, weights, step, spread


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
    rows, cols = as_pair(tuple(kernel_shape), "The kernel size")
    if channels < 1 or filters < 1:
        raise ValueError(
            f"A layer needs at least one channel and one filter, got {channels} channels and "
            f"{filters} filters."
        )
    return (rows * cols * channels + 1) * filters
