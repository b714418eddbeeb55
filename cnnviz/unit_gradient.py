"""What one unit responds to, beside what it can see: its gradient with respect to the input.

A unit's receptive field (:mod:`cnnviz.receptive_field`) is every pixel it *can* see. For one
drawing it depends on far fewer: a ReLU unit that outputs 0 passes no gradient back at all, a
max-pooling unit depends only on the one position its window picked, and pixels near the field's
edge reach the unit through fewer paths than those in its centre. The gradient of the unit with
respect to each input pixel (TensorFlow's ``GradientTape``) says how much a small change of that
pixel would change the unit, for this drawing: :func:`unit_gradient` computes it and
:func:`gradient_sentence` says what its numbers show. TensorFlow is imported inside
:func:`unit_gradient` only.

Examples
--------
>>> from cnnviz.receptive_field import LayerSpec, fields_from_specs
>>> c1 = fields_from_specs((32, 32), [LayerSpec("C1", "convolution", kernel=(5, 5))])[0]
>>> central_region(c1, 0, 0)  # the middle 3 × 3 of the first unit's 5 × 5 field
(1, 1, 4, 4)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from cnnviz.receptive_field import Box, ReceptiveField, resized_box_to_source

if TYPE_CHECKING:  # only for type hints: importing keras costs seconds
    import keras

__all__ = ["UnitGradient", "central_region", "gradient_sentence", "unit_gradient"]

# A tanh that float32 rounds to ±1 has slope 1 − tanh² = 0 exactly: a LeNet-5 unit there has
# no gradient, as an inactive ReLU has none.
SATURATED = 1.0


def central_region(field: ReceptiveField, row: int, col: int) -> Box | None:
    """The central part of unit ``(row, col)``'s field: the middle half of each side of its
    whole (unclipped) field, clipped to what the unit sees, in pixels of the model's own input.

    None when that middle lies wholly on padding.
    """
    top, left, bottom, right = field.box(row, col)
    quarter_rows, quarter_cols = field.size[0] // 4, field.size[1] // 4
    seen_top, seen_left, seen_bottom, seen_right = field.region(row, col)
    centre = (
        max(top + quarter_rows, seen_top),
        max(left + quarter_cols, seen_left),
        min(bottom - quarter_rows, seen_bottom),
        min(right - quarter_cols, seen_right),
    )
    if centre[0] >= centre[2] or centre[1] >= centre[3]:
        return None
    if field.resized:
        return resized_box_to_source(centre, field.input_shape, field.model_input_shape)
    return centre


@dataclass(frozen=True)
class UnitGradient:
    """One unit's gradient with respect to the model's input, for one drawing.

    Attributes
    ----------
    layer : str
    row, col : int
        The unit's position in the layer's maps.
    channel : int
        The map whose value is differentiated: the strongest at that position, the one the
        Draw page's layer picker shades the cell by.
    value : float
        That map's value there.
    gradient : ndarray, shape (H, W)
        d value / d pixel, for every pixel of the model's input (28 × 28 or 32 × 32).
    field : (top, left, bottom, right)
        The pixels of the model's input the unit can see (its clipped receptive field).
    centre : (top, left, bottom, right) or None
        :func:`central_region`.
    """

    layer: str
    row: int
    col: int
    channel: int
    value: float
    gradient: np.ndarray
    field: Box
    centre: Box | None

    @property
    def is_off(self) -> bool:
        """Whether no pixel changes the unit at all (every gradient is exactly 0)."""
        return not np.any(self.gradient)

    def _mass(self, box: Box | None) -> float:
        if box is None:
            return 0.0
        top, left, bottom, right = box
        return float(np.abs(self.gradient[top:bottom, left:right]).sum())

    @property
    def pixels_that_matter(self) -> int:
        """Pixels whose gradient is not 0."""
        return int(np.count_nonzero(self.gradient))

    @property
    def field_pixels(self) -> int:
        top, left, bottom, right = self.field
        return (bottom - top) * (right - left)

    @property
    def centre_pixels(self) -> int:
        if self.centre is None:
            return 0
        top, left, bottom, right = self.centre
        return (bottom - top) * (right - left)

    @property
    def centre_share(self) -> float:
        """The share of the gradient's mass (sum of absolute values) in :attr:`centre`."""
        total = float(np.abs(self.gradient).sum())
        return self._mass(self.centre) / total if total > 0 else 0.0


def unit_gradient(
    model: keras.Model, field: ReceptiveField, row: int, col: int, model_input: np.ndarray
) -> UnitGradient:
    """The gradient of unit ``(row, col)`` of ``field.layer`` with respect to ``model_input``.

    Parameters
    ----------
    model : keras.Model
        A sequential model whose layer ``field.layer`` has 4-D output (batch, H, W, maps).
    field : ReceptiveField
        The layer's field (:func:`cnnviz.receptive_field.receptive_fields`).
    row, col : int
    model_input : ndarray, shape (1, H, W, 1)
        The drawing as the model reads it (:func:`cnnviz.inference.model_input`).
    """
    import keras
    import tensorflow as tf

    batch = np.asarray(model_input, dtype=np.float32)
    if batch.ndim != 4 or batch.shape[0] != 1:
        raise ValueError(f"model_input must be one image, (1, H, W, 1); got {batch.shape}.")
    field.box(row, col)  # a unit outside the map raises, naming the map's size
    layer_model = keras.Model(model.inputs[0], model.get_layer(field.layer).output)
    image = tf.constant(batch)
    with tf.GradientTape() as tape:
        tape.watch(image)
        maps = layer_model(image, training=False)[0, row, col, :]  # (maps,)
        channel = int(tf.argmax(maps))
        value = maps[channel]
    gradient = tape.gradient(value, image).numpy()[0, :, :, 0]  # (H, W)
    return UnitGradient(
        layer=field.layer,
        row=row,
        col=col,
        channel=channel,
        value=float(value),
        gradient=gradient,
        field=field.model_input_region(row, col),
        centre=central_region(field, row, col),
    )


def gradient_sentence(result: UnitGradient) -> str:
    """What the gradient shows beside the field, in numbers computed from it.

    Examples
    --------
    >>> off = UnitGradient("conv1", 0, 0, 3, 0.0, np.zeros((4, 4)), (0, 0, 3, 3), (1, 1, 2, 2))
    >>> gradient_sentence(off)[:62]
    'This unit is off for your drawing: no pixel changes it. Its st'
    >>> gradient = np.zeros((4, 4)); gradient[1, 1], gradient[0, 0] = 3.0, -1.0
    >>> print(gradient_sentence(UnitGradient("C1", 0, 0, 0, 0.5, gradient, (0, 0, 3, 3),
    ...                                      (1, 1, 2, 2))))
    The gradient shows how much a small change of each pixel would change this unit (map 1, the \
strongest at this position, for your drawing): 2 of the 9 pixels of its field change it at all, \
and 75% of the gradient lies in the field's central part (1 × 1 pixels, 11% of the field).
    """
    if result.is_off:
        if result.value == 0:
            why = "a ReLU that outputs 0 passes no gradient back"
        elif abs(result.value) >= SATURATED:
            why = "there tanh is flat (saturated), too flat for float32 to show any slope"
        else:
            why = "every path back to the pixels passes a unit that is off"
        return (
            "This unit is off for your drawing: no pixel changes it. Its strongest map here "
            f"(map {result.channel + 1}) is {result.value:g}, and {why}: its field is what it "
            "*could* see, not what it responds to now."
        )
    if result.centre is None:
        centre = "its field's central part lies on padding"
    else:
        top, left, bottom, right = result.centre
        centre = (
            f"{result.centre_share:.0%} of the gradient lies in the field's central part "
            f"({bottom - top} × {right - left} pixels, "
            f"{result.centre_pixels / result.field_pixels:.0%} of the field)"
        )
    return (
        "The gradient shows how much a small change of each pixel would change this unit "
        f"(map {result.channel + 1}, the strongest at this position, for your drawing): "
        f"{result.pixels_that_matter} of the {result.field_pixels} pixels of its field change "
        f"it at all, and {centre}."
    )
