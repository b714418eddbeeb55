"""Pooling, padding and convolution in plain numpy, with the exact semantics of Keras/TensorFlow.

Everything here is vectorised (whole-array operations over the padded image, looped over a
window's offsets, never over pixels), so the pooling page never loops over pixels in Python and
never imports TensorFlow. ``tests/test_ops.py`` checks every function against the Keras layers.
Every name below is importable from ``cnnviz.ops``; the modules, one concept each:

- :mod:`cnnviz.ops.arguments`: sizes as ``(rows, cols)`` pairs, the padding names, the checks;
- :mod:`cnnviz.ops.sizes`: output sizes, their formulas as text, padding amounts;
- :mod:`cnnviz.ops.padding`: zero padding, and shifting an image;
- :mod:`cnnviz.ops.pooling`: max, min and average pooling;
- :mod:`cnnviz.ops.convolution`: one filter's convolution, its parameter count, example kernels;
- :mod:`cnnviz.ops.steps`: the window or the weights behind one output cell, written out.

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

from cnnviz.ops.arguments import (
    CONV_PADDINGS,
    DILATION_WHY,
    POOL_MODES,
    POOL_PADDINGS,
    Padding,
    PoolMode,
    SizeArg,
    as_pair,
)
from cnnviz.ops.convolution import EXAMPLE_KERNELS, conv2d, parameter_count
from cnnviz.ops.padding import pad2d, shift_image
from cnnviz.ops.pooling import pool2d
from cnnviz.ops.sizes import (
    axis_padding,
    effective_kernel,
    output_shape,
    output_size,
    output_size_formula,
    padding_amounts,
    same_padding,
)
from cnnviz.ops.steps import (
    ConvStep,
    PoolWindow,
    conv_step,
    describe_window,
    format_number,
    window_for_output,
)

__all__ = [
    "CONV_PADDINGS",
    "DILATION_WHY",
    "EXAMPLE_KERNELS",
    "POOL_MODES",
    "POOL_PADDINGS",
    "ConvStep",
    "Padding",
    "PoolMode",
    "PoolWindow",
    "SizeArg",
    "as_pair",
    "axis_padding",
    "conv2d",
    "conv_step",
    "describe_window",
    "effective_kernel",
    "format_number",
    "output_shape",
    "output_size",
    "output_size_formula",
    "pad2d",
    "padding_amounts",
    "parameter_count",
    "pool2d",
    "same_padding",
    "shift_image",
    "window_for_output",
]
