"""Layer tables that connect the formulas of Topic 1 to the networks of Topics 2 and 3.

For every layer of a Keras model, :func:`layer_rows` gives its kernel, stride and padding, the
output-size formula filled in with that layer's own numbers (the very formula the pooling page
teaches, :func:`cnnviz.ops.output_size_formula`), the output shape, and the parameter count
written as a formula, e.g. ``(5·5·1 + 1)·6 = 156`` for LeNet-5's C1, and the receptive field
of its units in input pixels (:func:`cnnviz.receptive_field.receptive_fields`).
:func:`model_source` is the Keras code that builds a model, read from :mod:`cnnviz.models`
itself so it cannot drift from what is trained.

The rows are read off the built layers (their config and shapes), never typed in by hand;
``tests/test_layer_table.py`` checks them against keras' own shapes and parameter counts.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cnnviz import ops
from cnnviz.models import model_spec
from cnnviz.receptive_field import ReceptiveField, receptive_fields

if TYPE_CHECKING:  # only for type hints: importing keras costs seconds
    import keras

NOT_APPLICABLE = "—"


@dataclass(frozen=True)
class LayerRow:
    """One row of a layer table (all text, as the page shows it, except the counts)."""

    name: str
    layer_type: str
    kernel: str  # "5×5", or "—"
    stride: str  # "1", "4", or "—"
    padding: str  # "same", "valid", or "—"
    output_formula: str  # "⌈32 / 1⌉ = 32", "6·6·16 = 576", …
    output_shape: tuple[int, ...]  # without the batch axis
    parameters: int
    parameter_formula: str  # "(5·5·1 + 1)·6 = 156"
    receptive_field: str = NOT_APPLICABLE  # "5×5 px", for convolution and pooling layers

    @property
    def output_text(self) -> str:
        """The output shape as the page writes it, e.g. "32×32×6"."""
        return "×".join(str(size) for size in self.output_shape)

    def as_dict(self) -> dict[str, Any]:
        """The row for ``st.dataframe``, with readable headings."""
        return {
            "Layer": self.name,
            "Type": self.layer_type,
            "Kernel": self.kernel,
            "Stride": self.stride,
            "Padding": self.padding,
            "Output size": self.output_formula,
            "Output shape": self.output_text,
            "Receptive field": self.receptive_field,
            "Parameters": self.parameter_formula,
        }


def _size_text(pair: tuple[int, int]) -> str:
    return f"{pair[0]}×{pair[1]}"


def _stride_text(pair: tuple[int, int]) -> str:
    return str(pair[0]) if pair[0] == pair[1] else _size_text(pair)


def _axes_formula(
    input_shape: tuple[int, ...], kernel: tuple[int, int], stride: tuple[int, int], padding: str
) -> str:
    """The output-size formula for rows, and for columns when they differ."""
    rows = ops.output_size_formula(input_shape[0], kernel[0], stride[0], padding)
    cols = ops.output_size_formula(input_shape[1], kernel[1], stride[1], padding)
    if rows == cols:
        return rows
    return f"rows {rows}; columns {cols}"


def _product(sizes: tuple[int, ...]) -> int:
    total = 1
    for size in sizes:
        total *= size
    return total


def conv_parameter_formula(kernel: tuple[int, int], channels: int, filters: int) -> str:
    """``(kH·kW·C + 1)·F = count``: each filter has a weight per kernel cell and input
    channel, plus one bias.

    Examples
    --------
    >>> conv_parameter_formula((5, 5), 1, 6)
    '(5·5·1 + 1)·6 = 156'
    """
    count = (kernel[0] * kernel[1] * channels + 1) * filters
    return f"({kernel[0]}·{kernel[1]}·{channels} + 1)·{filters} = {count:,}"


def dense_parameter_formula(inputs: int, units: int) -> str:
    """``(inputs + 1)·units = count``: a weight per input and a bias, for every unit.

    Examples
    --------
    >>> dense_parameter_formula(576, 120)
    '(576 + 1)·120 = 69,240'
    """
    return f"({inputs:,} + 1)·{units:,} = {(inputs + 1) * units:,}"


def receptive_field_text(field: ReceptiveField) -> str:
    """One unit's field in input pixels, e.g. "5×5"; for a resized input (AlexNet's 64 × 64)
    also the most pixels of the model's own 28 × 28 digit one unit reads through the resize
    (:meth:`~cnnviz.receptive_field.ReceptiveField.largest_model_input_extent`, the count the
    Draw page gives unit by unit), and a note when it is wider than the image.

    Examples
    --------
    >>> from cnnviz.receptive_field import LayerSpec, fields_from_specs
    >>> specs = [LayerSpec("resize", "resizing", size=(64, 64)),
    ...          LayerSpec("conv1", "convolution", kernel=(11, 11), stride=(4, 4))]
    >>> receptive_field_text(fields_from_specs((28, 28), specs)[0])
    '11×11 (up to 7×7 of the digit)'
    """
    text = _size_text(field.size)
    if field.resized:
        text += f" (up to {_size_text(field.largest_model_input_extent())} of the digit)"
    if field.larger_than_input:
        text += ", wider than the image"
    return text


def _shape(tensor: Any) -> tuple[int, ...]:
    return tuple(int(size) for size in tensor.shape[1:])  # drop the batch axis


def layer_rows(model: keras.Model) -> list[LayerRow]:
    """One :class:`LayerRow` per layer of a Sequential ``model``, input to output.

    Raises
    ------
    ValueError
        For a layer type the table does not know how to describe.
    """
    from keras import layers

    fields = {field.layer: receptive_field_text(field) for field in receptive_fields(model)}
    rows = []
    for layer in model.layers:
        before, after = _shape(layer.input), _shape(layer.output)
        kind = type(layer).__name__
        kernel = stride = padding = NOT_APPLICABLE
        parameters = int(layer.count_params())
        parameter_formula = "0 (no weights)"
        if isinstance(layer, layers.Conv2D):
            size = tuple(layer.kernel_size)
            step = tuple(layer.strides)
            kernel, stride, padding = _size_text(size), _stride_text(step), layer.padding
            formula = _axes_formula(before, size, step, layer.padding)
            parameter_formula = conv_parameter_formula(size, before[-1], layer.filters)
        elif isinstance(layer, (layers.MaxPooling2D, layers.AveragePooling2D)):
            size = tuple(layer.pool_size)
            step = tuple(layer.strides)
            kernel, stride, padding = _size_text(size), _stride_text(step), layer.padding
            formula = _axes_formula(before, size, step, layer.padding)
        elif isinstance(layer, layers.Dense):
            formula = f"{after[-1]:,} units"
            parameter_formula = dense_parameter_formula(before[-1], after[-1])
        elif isinstance(layer, layers.Flatten):
            formula = f"{'·'.join(str(size) for size in before)} = {_product(before):,}"
        elif isinstance(layer, layers.Resizing):
            formula = f"{_size_text(before[:2])} → {_size_text(after[:2])} (bilinear)"
        elif isinstance(layer, layers.Dropout):
            formula = f"unchanged; drops {layer.rate:.0%} of the units, only while training"
        else:
            raise ValueError(f"The layer table does not describe {kind} layers ({layer.name}).")
        rows.append(
            LayerRow(
                name=layer.name,
                layer_type=kind,
                kernel=kernel,
                stride=stride,
                padding=padding,
                output_formula=formula,
                output_shape=after,
                parameters=parameters,
                parameter_formula=parameter_formula,
                receptive_field=fields.get(layer.name, NOT_APPLICABLE),
            )
        )
    return rows


def total_parameters(rows: list[LayerRow]) -> int:
    """The sum of the rows' parameter counts (what ``model.count_params()`` says)."""
    return sum(row.parameters for row in rows)


def model_source(model_key: str) -> str:
    """The Keras code of the builder of ``model_key`` in :mod:`cnnviz.models`, as it runs.

    Raises
    ------
    ValueError
        For an unknown model key.
    """
    builder = model_spec(model_key).builder
    source = inspect.getsource(builder)
    # The builders share small helpers (the pooling layer, the softmax output): show the ones
    # this builder calls after it, so the code shown is all the code that builds the model.
    module = inspect.getmodule(builder)
    helpers = dict.fromkeys(re.findall(r"\b(_[a-z]\w*)\(", source))
    for name in helpers:
        helper = getattr(module, name, None)
        if inspect.isfunction(helper) and helper.__module__ == builder.__module__:
            source += "\n\n" + inspect.getsource(helper)
    return source


def padding_share(n: int, kernel: int, stride: int, padding: str) -> float:
    """On average over a layer's output cells, the share of each window that is padding.

    Per axis, a window starting at ``i·stride − before`` covers
    ``min(start + k, n) − max(start, 0)`` real cells; for a square layer the 2-D share is this
    axis' mean real share, squared.

    Examples
    --------
    AlexNet-for-MNIST's conv3: a 3×3 "same" convolution on a 2×2 map. Each 3-cell window
    row holds 2 real cells, so 4 of the 9 cells are real and 5/9 are padding.

    >>> round(padding_share(2, 3, 1, "same"), 3)
    0.556
    >>> padding_share(32, 5, 1, "valid")
    0.0
    """
    outputs = ops.output_size(n, kernel, stride, padding)
    before, _ = ops.axis_padding(n, kernel, stride, padding)
    real = [
        min(index * stride - before + kernel, n) - max(index * stride - before, 0)
        for index in range(outputs)
    ]
    # Square layers: a window's real cells are (real rows) × (real columns), and the mean of
    # those products over every output cell is the mean per axis, squared.
    real_share = (sum(real) / (outputs * kernel)) ** 2
    return 1.0 - real_share
