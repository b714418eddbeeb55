"""Output sizes and padding amounts: how many cells a window gives along an image, and why.

The formulas of Keras/TensorFlow for ``"valid"``, ``"same"`` and ``"full"`` padding, with a
dilated kernel counting by its span ``d·(k − 1) + 1``; :func:`output_size_formula` writes one
out with the real numbers, as the pages show it.
"""

from __future__ import annotations

from collections.abc import Sequence

from cnnviz.ops.arguments import (
    CONV_PADDINGS,
    DILATION_WHY,
    SizeArg,
    as_pair,
    check_fits,
    check_padding,
)


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
    check_padding(padding, CONV_PADDINGS)
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
    kernel_rows, kernel_cols = as_pair(kernel_size, "The window size")
    stride_rows, stride_cols = as_pair(strides, "The stride")
    dilation_rows, dilation_cols = as_pair(dilation, "The dilation", DILATION_WHY)
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
    check_padding(padding, CONV_PADDINGS)
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
    check_padding(padding, CONV_PADDINGS)
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
    kernel = as_pair(kernel_size, "The window size")
    stride = kernel if strides is None else as_pair(strides, "The stride")
    spread = as_pair(dilation, "The dilation", DILATION_WHY)
    check_padding(padding, CONV_PADDINGS)
    shape = (int(input_shape[0]), int(input_shape[1]))
    if padding == "valid":
        check_fits(shape, kernel, what, spread)
    return (
        output_size(shape[0], kernel[0], stride[0], padding, spread[0]),
        output_size(shape[1], kernel[1], stride[1], padding, spread[1]),
    )
