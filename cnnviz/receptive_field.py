"""Receptive fields: which input pixels one unit of a convolution or pooling layer can see.

A unit of a stack of convolutions and poolings sees a rectangle of the input. Along one axis
three numbers describe every unit of a layer at once (Dumoulin & Visin's "guide to convolution
arithmetic" and Araujo et al., "Computing receptive fields of CNNs", Distill 2019):

- **size**: how many input pixels one unit's field spans;
- **jump**: how far apart, in input pixels, the fields of two neighbouring units start;
- **start**: where the field of the first unit (row or column 0) starts; negative when it
  hangs over the padding.

Unit ``i`` sees input pixels ``start + i·jump`` up to ``start + i·jump + size`` (exclusive).
A layer with kernel k, dilation d (span ``k' = d·(k − 1) + 1``), stride s and ``p`` cells of
padding before the first row turns the numbers of its input into

``size' = size + (k' − 1)·jump``, ``jump' = jump·s``, ``start' = start − p·jump``.

The field is the hull of what a unit reads: a dilated kernel skips pixels inside it, and
pixels near the field's border reach the unit through fewer paths than central ones.

The numeric core (:func:`fields_from_specs`) works on plain :class:`LayerSpec` records, so it
needs no TensorFlow; :func:`receptive_fields` reads the specs off a Keras model's layers.

A ``Resizing`` layer at the front (AlexNet-for-MNIST resizes 28 × 28 to 64 × 64) is not a
whole number of pixels per unit, so the fields are measured in the *resized* image, the one the
first convolution reads; :meth:`ReceptiveField.model_input_region` maps a box back to the
pixels of the model's own input that the (bilinear) resize reads for it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from cnnviz.ops import axis_padding, effective_kernel, output_size

if TYPE_CHECKING:  # only for type hints: importing keras costs seconds
    import keras

__all__ = [
    "AxisStep",
    "Box",
    "LayerSpec",
    "ReceptiveField",
    "fields_from_specs",
    "input_region",
    "layer_specs",
    "receptive_fields",
    "region_sentence",
    "resized_box_to_source",
]

SpecKind = Literal["convolution", "pooling", "zero_padding", "resizing", "elementwise", "mixing"]
Box = tuple[int, int, int, int]  # (top, left, bottom, right), bottom and right exclusive
Pair = tuple[int, int]

# Keras layers that change no position: each output cell depends on the same cell of the input.
ELEMENTWISE_LAYERS = (
    "InputLayer",
    "Activation",
    "ReLU",
    "LeakyReLU",
    "PReLU",
    "ELU",
    "Softmax",
    "Dropout",
    "SpatialDropout2D",
    "GaussianNoise",
    "GaussianDropout",
    "BatchNormalization",
    "Rescaling",
)
# Keras layers after which every unit depends on every input position: the fields end there.
MIXING_LAYERS = (
    "Flatten",
    "Dense",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling2D",
    "Reshape",
)
POOLING_LAYERS = ("MaxPooling2D", "AveragePooling2D")


@dataclass(frozen=True)
class LayerSpec:
    """What one layer does to positions, the only thing a receptive field depends on.

    Attributes
    ----------
    name : str
        The layer's name in the model.
    kind : str
        ``"convolution"``, ``"pooling"``, ``"zero_padding"``, ``"resizing"``, ``"elementwise"``
        (activations, dropout: positions unchanged) or ``"mixing"`` (Flatten, Dense: the end).
    layer_type : str
        The Keras class, e.g. ``"Conv2D"``, for the page to show.
    kernel, stride, dilation : (int, int)
        Per axis (rows, cols); (1, 1) where the layer has none.
    padding : str or (int, int, int, int)
        ``"valid"`` or ``"same"`` (TensorFlow's offsets) for convolutions and poolings;
        ``(top, bottom, left, right)`` zeros for a ``ZeroPadding2D``.
    size : (int, int) or None
        The output size of a ``Resizing`` layer.
    """

    name: str
    kind: SpecKind
    layer_type: str = ""
    kernel: Pair = (1, 1)
    stride: Pair = (1, 1)
    dilation: Pair = (1, 1)
    padding: str | tuple[int, int, int, int] = "valid"
    size: Pair | None = None


@dataclass(frozen=True)
class AxisStep:
    """One layer along one axis, as the walk back from a unit to the input needs it."""

    span: int  # the window's cells, d·(k − 1) + 1 (1 for a zero padding)
    stride: int
    before: int  # cells padded before the first window
    input_length: int  # the real cells of the layer's input along this axis


@dataclass(frozen=True)
class ReceptiveField:
    """The receptive field of every unit of one convolution or pooling layer.

    Attributes
    ----------
    layer : str
        The layer's name.
    layer_type : str
        The Keras class, e.g. ``"Conv2D"``.
    kind : str
        ``"convolution"`` or ``"pooling"``.
    output_shape : (int, int)
        The layer's map, (rows, cols).
    size, jump, start : (int, int)
        Per axis (rows, cols), in pixels of ``input_shape`` (see the module docstring).
    input_shape : (int, int)
        The image the fields are measured in: the model's input, or its resized version when
        the model starts with a ``Resizing`` layer.
    model_input_shape : (int, int)
        The model's own input.
    steps : tuple of (AxisStep, AxisStep)
        Every layer up to this one that moves positions, input first (rows, cols).
    """

    layer: str
    layer_type: str
    kind: str
    output_shape: Pair
    size: Pair
    jump: Pair
    start: Pair
    input_shape: Pair
    model_input_shape: Pair
    steps: tuple[tuple[AxisStep, AxisStep], ...] = field(default=(), repr=False)

    @property
    def resized(self) -> bool:
        """Whether the fields are measured in a resized copy of the model's input."""
        return self.input_shape != self.model_input_shape

    @property
    def larger_than_input(self) -> bool:
        """Whether one field spans more than the whole input along some axis (padding)."""
        return self.size[0] > self.input_shape[0] or self.size[1] > self.input_shape[1]

    def _check_unit(self, row: int, col: int) -> None:
        rows, cols = self.output_shape
        if not (0 <= row < rows and 0 <= col < cols):
            raise ValueError(
                f"Layer '{self.layer}' has no unit ({row}, {col}): its map has {rows} rows and "
                f"{cols} columns (counting from 0)."
            )

    def box(self, row: int, col: int) -> Box:
        """The field of unit ``(row, col)`` as (top, left, bottom, right), *not* clipped.

        Parts outside ``0 … input_shape`` lie on padding.
        """
        self._check_unit(row, col)
        top = self.start[0] + row * self.jump[0]
        left = self.start[1] + col * self.jump[1]
        return top, left, top + self.size[0], left + self.size[1]

    def region(self, row: int, col: int) -> Box:
        """The pixels of ``input_shape`` unit ``(row, col)`` sees, clipped to the image.

        Bottom and right are exclusive: ``image[top:bottom, left:right]``. The box is clipped
        at every layer on the way back, to the cells that exist there: a window that hangs
        past the last unit of the layer below reads only padding there, so a unit near the
        bottom or right edge can see less than :meth:`box` clipped to the image (AlexNet's
        11×11/4 ``conv1`` never reads the last row and column of its 64×64 input).
        """
        self._check_unit(row, col)
        first, last = [row, col], [row, col]
        for step_pair in reversed(self.steps):
            for axis, step in enumerate(step_pair):
                first[axis] = max(first[axis] * step.stride - step.before, 0)
                last[axis] = min(
                    last[axis] * step.stride - step.before + step.span - 1, step.input_length - 1
                )
        return first[0], first[1], last[0] + 1, last[1] + 1

    def model_input_region(self, row: int, col: int) -> Box:
        """:meth:`region` in pixels of the model's own input (through its ``Resizing``)."""
        region = self.region(row, col)
        if not self.resized:
            return region
        return resized_box_to_source(region, self.input_shape, self.model_input_shape)

    def largest_model_input_extent(self) -> Pair:
        """The most pixels of the model's own input one unit of this layer reads, per axis:
        (rows, cols), the maximum of :meth:`model_input_region` over every unit.

        Through a resize the count depends on where a unit's field falls between the source
        pixels (AlexNet's conv1: 6 or 7 pixels of the 28 × 28 digit for 11 of the 64 × 64
        image), so this is the one number to quote for a whole layer.
        """
        rows, cols = self.output_shape
        row_extents = [self.model_input_region(row, 0) for row in range(rows)]
        col_extents = [self.model_input_region(0, col) for col in range(cols)]
        return (
            max(bottom - top for top, _, bottom, _ in row_extents),
            max(right - left for _, left, _, right in col_extents),
        )


def _axis_sizes(n: int, spec: LayerSpec, axis: int) -> tuple[int, int]:
    """(cells padded before the first window, output length) of ``spec`` along one axis."""
    if spec.kind == "zero_padding":
        before, after = spec.padding[2 * axis], spec.padding[2 * axis + 1]
        return before, n + before + after
    kernel, stride, dilation = spec.kernel[axis], spec.stride[axis], spec.dilation[axis]
    if spec.padding not in ("valid", "same"):
        raise ValueError(
            f"Layer '{spec.name}' has padding {spec.padding!r}; a convolution or pooling layer "
            "pads 'valid' or 'same'."
        )
    before, _ = axis_padding(n, kernel, stride, spec.padding, dilation)
    return before, output_size(n, kernel, stride, spec.padding, dilation)


def fields_from_specs(
    input_shape: Sequence[int], specs: Sequence[LayerSpec]
) -> list[ReceptiveField]:
    """The receptive field of every convolution and pooling layer, from their specs alone.

    Parameters
    ----------
    input_shape : sequence of int
        The model's input (rows, cols[, channels]).
    specs : sequence of LayerSpec
        The layers from input to output. The walk ends at the first ``"mixing"`` layer; a
        ``"resizing"`` layer may only come before every convolution, pooling and padding.

    Returns
    -------
    list of ReceptiveField
        One per convolution and pooling layer before the first mixing layer, in order.

    Raises
    ------
    ValueError
        For a resizing after a layer that moves positions, or a window that does not fit.

    Examples
    --------
    LeNet-5's first layers: a 5×5 "same" convolution on 32×32, then 2×2 pooling.

    >>> specs = [
    ...     LayerSpec("C1", "convolution", kernel=(5, 5), padding="same"),
    ...     LayerSpec("S2", "pooling", kernel=(2, 2), stride=(2, 2)),
    ... ]
    >>> c1, s2 = fields_from_specs((32, 32), specs)
    >>> c1.size, c1.jump, c1.start
    ((5, 5), (1, 1), (-2, -2))
    >>> s2.size, s2.jump, s2.start, s2.region(0, 0)
    ((6, 6), (2, 2), (-2, -2), (0, 0, 4, 4))
    """
    model_input_shape = (int(input_shape[0]), int(input_shape[1]))
    field_input_shape = model_input_shape
    shape = list(model_input_shape)  # the current map's (rows, cols)
    size, jump, start = [1, 1], [1, 1], [0, 0]
    steps: list[tuple[AxisStep, AxisStep]] = []  # every layer that moves positions so far
    fields = []
    for spec in specs:
        if spec.kind == "mixing":
            break
        if spec.kind == "elementwise":
            continue
        if spec.kind == "resizing":
            if steps:
                raise ValueError(
                    f"Layer '{spec.name}' resizes after a convolution, pooling or padding; "
                    "receptive fields are measured through a resize only at the model's input."
                )
            if spec.size is None:
                raise ValueError(f"Resizing layer '{spec.name}' needs its output size.")
            field_input_shape = (int(spec.size[0]), int(spec.size[1]))
            shape = list(field_input_shape)
            continue
        if spec.kind not in ("convolution", "pooling", "zero_padding"):
            raise ValueError(f"Layer '{spec.name}' has an unknown kind '{spec.kind}'.")
        axis_steps = []
        for axis in (0, 1):
            input_length = shape[axis]
            before, shape[axis] = _axis_sizes(input_length, spec, axis)
            span = effective_kernel(spec.kernel[axis], spec.dilation[axis])
            axis_steps.append(AxisStep(span, spec.stride[axis], before, input_length))
            start[axis] -= before * jump[axis]
            size[axis] += (span - 1) * jump[axis]
            jump[axis] *= spec.stride[axis]
        steps.append((axis_steps[0], axis_steps[1]))
        if spec.kind in ("convolution", "pooling"):
            fields.append(
                ReceptiveField(
                    layer=spec.name,
                    layer_type=spec.layer_type,
                    kind=spec.kind,
                    output_shape=(shape[0], shape[1]),
                    size=(size[0], size[1]),
                    jump=(jump[0], jump[1]),
                    start=(start[0], start[1]),
                    input_shape=field_input_shape,
                    model_input_shape=model_input_shape,
                    steps=tuple(steps),
                )
            )
    return fields


def _source_cells(index: int, output_length: int, source_length: int) -> tuple[int, int]:
    """The first and last source cell bilinear resizing reads for output cell ``index``.

    TensorFlow's bilinear resize (half-pixel centres) reads the two source cells around
    ``(index + 0.5) · source / output − 0.5``, clamped to the image; on a whole number it reads
    only that cell.
    """
    centre = (index + 0.5) * source_length / output_length - 0.5
    low = min(max(math.floor(centre), 0), source_length - 1)
    high = min(max(math.ceil(centre), 0), source_length - 1)
    return low, high


def resized_box_to_source(
    box: Box, resized_shape: Sequence[int], source_shape: Sequence[int]
) -> Box:
    """The source pixels that a bilinear resize reads for a box of the resized image.

    Parameters
    ----------
    box : (top, left, bottom, right)
        A box of the resized image, bottom and right exclusive, not empty.
    resized_shape, source_shape : sequence of int
        (rows, cols) after and before the resize (``tf.image.resize``, bilinear, the method of
        Keras' ``Resizing`` and of :func:`cnnviz.data.to_model_input`).

    Returns
    -------
    (top, left, bottom, right)
        In source pixels, bottom and right exclusive.

    Examples
    --------
    AlexNet-for-MNIST resizes 28 → 64: its pixels 0 … 10 (conv1's first window) read the
    digit's pixels 0 … 5.

    >>> resized_box_to_source((0, 0, 11, 11), (64, 64), (28, 28))
    (0, 0, 6, 6)
    >>> resized_box_to_source((0, 0, 64, 64), (64, 64), (28, 28))
    (0, 0, 28, 28)
    """
    top, left, bottom, right = (int(value) for value in box)
    rows, cols = int(resized_shape[0]), int(resized_shape[1])
    if not (0 <= top < bottom <= rows and 0 <= left < right <= cols):
        raise ValueError(
            f"The box (top, left, bottom, right) = {box} is not a non-empty part of a "
            f"{rows}×{cols} image."
        )
    source_rows, source_cols = int(source_shape[0]), int(source_shape[1])
    first_row, _ = _source_cells(top, rows, source_rows)
    _, last_row = _source_cells(bottom - 1, rows, source_rows)
    first_col, _ = _source_cells(left, cols, source_cols)
    _, last_col = _source_cells(right - 1, cols, source_cols)
    return first_row, first_col, last_row + 1, last_col + 1


# --- reading a Keras model ---------------------------------------------------------------------


def _as_pair(value: int | Sequence[int]) -> Pair:
    if isinstance(value, int):
        return value, value
    rows, cols = value
    return int(rows), int(cols)


def layer_specs(model: keras.Model) -> list[LayerSpec]:
    """The :class:`LayerSpec` of every layer of a sequential Keras model, input to output.

    Reads the built layers' own settings (no TensorFlow call). Recognises ``Conv2D``,
    ``MaxPooling2D``/``AveragePooling2D``, ``ZeroPadding2D``, bilinear ``Resizing``, the
    position-preserving layers in :data:`ELEMENTWISE_LAYERS` and the layers in
    :data:`MIXING_LAYERS`.

    Raises
    ------
    ValueError
        For a layer it does not know, channels-first data or another resize interpolation.
    """
    specs = []
    for layer in model.layers:
        layer_type = type(layer).__name__
        name = layer.name
        if getattr(layer, "data_format", "channels_last") != "channels_last":
            raise ValueError(f"Layer '{name}' is channels-first; cnnviz reads channels-last.")
        if layer_type == "Conv2D":
            spec = LayerSpec(
                name,
                "convolution",
                layer_type,
                kernel=_as_pair(layer.kernel_size),
                stride=_as_pair(layer.strides),
                dilation=_as_pair(layer.dilation_rate),
                padding=layer.padding,
            )
        elif layer_type in POOLING_LAYERS:
            spec = LayerSpec(
                name,
                "pooling",
                layer_type,
                kernel=_as_pair(layer.pool_size),
                stride=_as_pair(layer.strides),
                padding=layer.padding,
            )
        elif layer_type == "ZeroPadding2D":
            (top, bottom), (left, right) = layer.padding
            spec = LayerSpec(name, "zero_padding", layer_type, padding=(top, bottom, left, right))
        elif layer_type == "Resizing":
            if layer.interpolation != "bilinear" or layer.crop_to_aspect_ratio:
                raise ValueError(
                    f"Resizing layer '{name}' uses {layer.interpolation} interpolation"
                    f"{' with cropping' if layer.crop_to_aspect_ratio else ''}; receptive "
                    "fields are mapped back through a plain bilinear resize only."
                )
            spec = LayerSpec(name, "resizing", layer_type, size=(layer.height, layer.width))
        elif layer_type in ELEMENTWISE_LAYERS:
            spec = LayerSpec(name, "elementwise", layer_type)
        elif layer_type in MIXING_LAYERS:
            spec = LayerSpec(name, "mixing", layer_type)
        else:
            raise ValueError(
                f"Layer '{name}' is a {layer_type}, which receptive_fields does not know; it "
                "reads Conv2D, pooling, ZeroPadding2D, Resizing, activation, dropout, Flatten "
                "and Dense layers."
            )
        specs.append(spec)
    return specs


def receptive_fields(model: keras.Model) -> list[ReceptiveField]:
    """The receptive field of every convolution and pooling layer of a Keras model.

    Stops at the first layer that mixes all positions (Flatten, Dense, global pooling). For a
    model that starts with a ``Resizing`` layer the fields are in the resized image (see
    :attr:`ReceptiveField.resized`).
    """
    input_shape = tuple(model.inputs[0].shape[1:3])
    if None in input_shape:
        raise ValueError(
            f"Model '{model.name}' takes inputs of any size {input_shape}; receptive fields "
            "need a fixed input size."
        )
    return fields_from_specs(input_shape, layer_specs(model))


def input_region(
    model: keras.Model, layer_name: str, row: int, col: int, *, resized: bool = False
) -> Box:
    """The box of input pixels unit ``(row, col)`` of layer ``layer_name`` can see.

    Parameters
    ----------
    model : keras.Model
    layer_name : str
        A convolution or pooling layer of ``model``.
    row, col : int
        The unit's position in the layer's map (counting from 0).
    resized : bool
        For a model that starts with a ``Resizing`` layer: ``False`` (default) gives the box in
        the model's own input (AlexNet-for-MNIST: the 28 × 28 digit), ``True`` in the resized
        image the first convolution reads (64 × 64).

    Returns
    -------
    (top, left, bottom, right)
        Clipped to the input, bottom and right exclusive: ``image[top:bottom, left:right]``.

    Raises
    ------
    ValueError
        For a layer that is not a convolution or pooling before the dense part, or a unit
        outside its map.
    """
    fields = {field.layer: field for field in receptive_fields(model)}
    if layer_name not in fields:
        known = ", ".join(f"'{name}'" for name in fields)
        raise ValueError(
            f"Model '{model.name}' has no convolution or pooling layer '{layer_name}' before its "
            f"dense part; choose one of {known}."
        )
    field = fields[layer_name]
    return field.region(row, col) if resized else field.model_input_region(row, col)


def region_sentence(field: ReceptiveField, row: int, col: int, source_shape: Sequence[int]) -> str:
    """What unit ``(row, col)`` sees, in words that hold for these numbers.

    ``source_shape`` is the digit the student drew (28 × 28); the field's own image
    (``field.input_shape``) is the network's input, resized from it when the shapes differ.

    Examples
    --------
    >>> c1 = fields_from_specs((32, 32), [LayerSpec("C1", "convolution", kernel=(5, 5))])[0]
    >>> region_sentence(c1, 0, 0, (32, 32)).endswith("5 × 5 pixels, its whole 5 × 5 field.")
    True
    """
    top, left, bottom, right = field.region(row, col)
    rows, cols = field.input_shape
    seen = (bottom - top, right - left)
    text = (
        f"Unit ({row}, {col}) of {field.layer} sees rows {top}–{bottom - 1} and columns "
        f"{left}–{right - 1} of the {rows} × {cols} input: {seen[0]} × {seen[1]} pixels"
    )
    size = f"{field.size[0]} × {field.size[1]}"
    if seen == field.size:
        text += f", its whole {size} field."
    else:
        text += (
            f" of its {size} field; the rest lies on padding or past the last pixel the layers "
            "below read."
        )
    source = (int(source_shape[0]), int(source_shape[1]))
    if source != field.input_shape:
        d_top, d_left, d_bottom, d_right = resized_box_to_source(
            (top, left, bottom, right), field.input_shape, source
        )
        text += (
            f" Your {source[0]} × {source[1]} digit is resized to {rows} × {cols} "
            f"first, so on your digit that is rows {d_top}–{d_bottom - 1} and columns "
            f"{d_left}–{d_right - 1} ({d_bottom - d_top} × {d_right - d_left} pixels)."
        )
    return text
