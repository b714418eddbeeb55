"""The teaching text of the Draw a digit page, with every number read off the model or the drawing.

Kept here so the page stays a layout script, and so ``tests/test_draw_lesson.py`` can check that
each sentence holds for the numbers beside it: the softmax's probability (not a "confidence"),
why it is over-confident on a letter, how much each pooling layer shrinks the maps, and what
the first convolution really sees.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageDraw

if TYPE_CHECKING:  # only for type hints: importing keras costs seconds
    import keras

CANVAS_SIDE = 280  # the page's canvas, in pixels
LETTER_A_STROKES = (  # (x, y) points of the letter A on the canvas: two legs and a bar
    ((60, 240), (140, 40), (220, 240)),
    ((95, 160), (185, 160)),
)
LETTER_PEN_WIDTH = 20  # the page's default pen

INTRODUCTION = """
Draw a digit from 0 to 9 and the network reads it. MNIST was made by cropping each handwritten
digit to its ink, scaling it to fit a **20 × 20** box (keeping its shape, anti-aliased into grey
levels) and placing its **centre of mass** at the centre of a **28 × 28** field. Both networks
learned from digits prepared like that (the shipped LeNet-5 also from randomly shifted, rotated
and zoomed copies of them), so your drawing goes through the same steps first.
"""

OVERCONFIDENCE = """
The last layer is a *softmax*: it turns the ten scores of
the layer before into ten positive numbers that add up to 1. It has no answer "none of these",
so it shares out the whole 100% even for a drawing that is no digit at all. And training with
cross-entropy rewarded pushing the right digit's score far above the others, so on inputs unlike
any training image the scores can be far apart and the softmax extreme. The probability says how
strongly the network prefers one digit to the other nine, not how likely it is to be right.
"""


def break_introduction() -> str:
    """The opening of "break the model", naming each slider's neutral setting (scale's is 1×).

    >>> "scale at 1×" in break_introduction()
    True
    """
    from cnnviz.transforms import Distortion

    neutral = Distortion()
    return (
        "Every model reads the same 28 × 28 digit (the recipe's, above). Move it, turn it, "
        "resize it or change its strokes *after* the recipe, and watch which network keeps "
        f"its answer. With the shifts at {neutral.shift_x} px, the rotation at "
        f"{neutral.rotation:g}°, the scale at {neutral.scale:g}× and the stroke at "
        f"{neutral.thickness:g} steps, the models read your drawing as it is."
    )


def sweep_caption(axis: str, setting: float) -> str:
    """What the sweep chart's lines mean, for the setting the swept slider stands at now.

    >>> sweep_caption("shift_x", 3.0).split(". ")[1][:56]
    'The red line marks where the slider stands now (+3 px), '
    """
    from cnnviz.transforms import setting_text

    return (
        "Each line is one model's probability of the digit you drew, at every setting along "
        "the chart's axis. The red line marks where the slider stands now "
        f"({setting_text(axis, setting)}), the setting the answer tiles above show. The dotted "
        "line marks 50%: above it the digit has more probability than the other nine "
        "together, so it is surely the model's answer; below it the model may still answer "
        "it, when no other digit has more. The sentence below counts a setting as read "
        "exactly when the digit is the most probable, as the tiles do."
    )


def probability_caption(probabilities: np.ndarray) -> str:
    """The line under the prediction: the winning digit's softmax probability.

    Examples
    --------
    >>> probability_caption(np.array([0.1, 0.9]))
    'Probability 90.0% for 1: the softmax share of the most likely digit, not a confidence.'
    """
    values = np.asarray(probabilities, dtype=float)
    digit = int(values.argmax())
    return (
        f"Probability {values[digit]:.1%} for {digit}: the softmax share of the most likely "
        "digit, not a confidence."
    )


def letter_a_canvas(pen_width: int = LETTER_PEN_WIDTH) -> np.ndarray:
    """The letter A as the canvas would return it: (280, 280, 4) uint8 RGBA, white on black.

    Examples
    --------
    >>> canvas = letter_a_canvas()
    >>> canvas.shape, canvas.dtype.name, int(canvas[40, 140, 0]), int(canvas[5, 5, 0])
    ((280, 280, 4), 'uint8', 255, 0)
    """
    image = Image.new("RGBA", (CANVAS_SIDE, CANVAS_SIDE), (0, 0, 0, 255))
    draw = ImageDraw.Draw(image)
    radius = pen_width // 2
    for stroke in LETTER_A_STROKES:
        draw.line(stroke, fill=(255, 255, 255, 255), width=pen_width, joint="curve")
        for x, y in stroke:  # round pen ends, as the canvas draws them
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=(255,) * 4)
    return np.asarray(image)


def letter_sentence(readings: dict[str, np.ndarray]) -> str:
    """What the networks make of the letter A: label → its ten probabilities.

    Examples
    --------
    >>> letter_sentence({"LeNet-5": np.array([0.01, 0.99])})
    'Try it with the letter A: LeNet-5 reads it as a 1 with probability 99.0%.'
    """
    parts = []
    for label, probabilities in readings.items():
        values = np.asarray(probabilities, dtype=float)
        digit = int(values.argmax())
        parts.append(f"{label} reads it as a {digit} with probability {values[digit]:.1%}")
    return "Try it with the letter A: " + "; ".join(parts) + "."


def pooling_sizes(model: keras.Model) -> list[tuple[str, int, int]]:
    """``(layer name, side before, side after)`` for every pooling layer of ``model``."""
    from keras import layers

    return [
        (layer.name, int(layer.input.shape[1]), int(layer.output.shape[1]))
        for layer in model.layers
        if isinstance(layer, (layers.MaxPooling2D, layers.AveragePooling2D))
    ]


def layers_text(model: keras.Model) -> str:
    """The introduction to the feature maps, with this model's own pooling sizes (the shipped
    AlexNet's pools do not halve: 14 → 6 → 2 → 1)."""
    sizes = pooling_sizes(model)
    steps = ", ".join(f"{name} {before} → {after}" for name, before, after in sizes)
    halves = all(after == -(-before // 2) for _, before, after in sizes)
    shrink = (
        "halving each side"
        if halves
        else "shrinking each side (not always by half: its windows and strides differ)"
    )
    return (
        "Each **convolution** slides small filters over its input and lights up where their "
        "pattern appears: the first layer finds strokes and edges, deeper layers combine them "
        "into parts of digits. Each **pooling** layer keeps a summary of every small window, "
        f"{shrink}, so the next layer sees a wider area: here {steps}. Maps of one layer share "
        "one grey scale, shown by its colour bar."
    )


def first_layer_input(model: keras.Model, model_input: np.ndarray) -> np.ndarray:
    """What the model's first convolution sees, (H, W): the model input after any resizing
    layers before it (AlexNet-for-MNIST resizes 28 × 28 to 64 × 64 inside itself)."""
    from keras import layers

    batch = model_input
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            break
        batch = layer(batch)
    return np.asarray(batch, dtype=np.float32)[0, :, :, 0]
