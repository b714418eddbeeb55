"""cnnviz.draw_lesson: the Draw page's sentences hold for the models and drawings they describe."""

import numpy as np
import pytest

from cnnviz import draw_lesson, inference, models, preprocess


@pytest.fixture(scope="module")
def shipped():
    registry = inference.load_registry()
    assert all(status.ok for status in registry.values())
    return {status.label: status.model for status in registry.values()}


def test_the_caption_says_probability_and_quotes_the_winner():
    caption = draw_lesson.probability_caption(np.array([0.05, 0.15, 0.8]))
    assert caption.startswith("Probability 80.0% for 2")
    assert "confident" not in caption.replace("not a confidence", "")


def test_the_letter_a_is_read_as_a_digit_with_a_high_probability(shipped):
    # The example: a letter is no digit, yet each shipped network puts most of the
    # softmax on one digit (the retrained AlexNet 80%, LeNet-5 more); the sentence quotes it.
    letter = preprocess.canvas_to_mnist(draw_lesson.letter_a_canvas())
    readings = {label: inference.predict_digit(model, letter) for label, model in shipped.items()}
    sentence = draw_lesson.letter_sentence(readings)
    for label, probabilities in readings.items():
        digit = int(probabilities.argmax())
        assert probabilities[digit] > 0.5, (label, probabilities)
        assert f"{label} reads it as a {digit} with probability {probabilities[digit]:.1%}" in (
            sentence
        )
    assert "probability" in draw_lesson.OVERCONFIDENCE and "sum" not in draw_lesson.OVERCONFIDENCE
    assert "add up to 1" in draw_lesson.OVERCONFIDENCE


def test_the_letter_a_looks_like_a_canvas_drawing():
    canvas = draw_lesson.letter_a_canvas()
    assert canvas.shape == (draw_lesson.CANVAS_SIDE, draw_lesson.CANVAS_SIDE, 4)
    ink = canvas[..., 0] > 128
    # Ink on both legs near the bottom and on the bar, none above the apex.
    assert ink[235, 62] and ink[235, 218] and ink[160, 140]
    assert not ink[:25].any()


def test_alexnets_pools_do_not_halve_and_the_text_says_so():
    alexnet = models.alexnet_mnist()
    assert draw_lesson.pooling_sizes(alexnet) == [
        ("pool1", 14, 6),
        ("pool2", 6, 2),
        ("pool3", 2, 1),
    ]
    text = draw_lesson.layers_text(alexnet)
    assert "pool1 14 → 6, pool2 6 → 2, pool3 2 → 1" in text and "halving" not in text


def test_lenets_pools_halve_and_the_text_says_so():
    lenet = models.lenet5()
    assert draw_lesson.pooling_sizes(lenet) == [("S2", 32, 16), ("S4", 12, 6)]
    assert "halving each side" in draw_lesson.layers_text(lenet)


def test_the_first_convolution_sees_alexnets_64_by_64_resize(shipped):
    digit = preprocess.canvas_to_mnist(draw_lesson.letter_a_canvas())
    for label, model in shipped.items():
        seen = draw_lesson.first_layer_input(model, inference.model_input(model, digit))
        first_conv = next(layer for layer in model.layers if type(layer).__name__ == "Conv2D")
        assert seen.shape == tuple(first_conv.input.shape[1:3]), label
    alexnet = next(model for label, model in shipped.items() if "AlexNet" in label)
    seen = draw_lesson.first_layer_input(alexnet, inference.model_input(alexnet, digit))
    # The model's own Resizing layer, applied by keras, is the reference.
    import keras

    expected = keras.layers.Resizing(64, 64)(digit[np.newaxis, :, :, np.newaxis].astype("float32"))
    np.testing.assert_allclose(seen, np.asarray(expected)[0, :, :, 0], atol=1e-6)


def test_the_introduction_remembers_the_augmentation():
    text = " ".join(draw_lesson.INTRODUCTION.split())
    assert "has only ever seen" not in text
    assert "randomly shifted, rotated and zoomed" in text


def test_the_break_introduction_names_each_sliders_own_neutral_setting():
    """Not "all sliders at 0": the scale's neutral setting is 1×."""
    from cnnviz.transforms import Distortion

    text = draw_lesson.break_introduction()
    neutral = Distortion()
    assert neutral.scale == 1.0 and f"the scale at {neutral.scale:g}×" in text
    assert "all sliders at 0" not in text.lower()
    assert apply_is_identity(neutral)


def apply_is_identity(distortion) -> bool:
    from cnnviz import transforms

    digit = np.zeros((28, 28), dtype=np.float32)
    digit[8:20, 12:16] = 1.0
    return bool(np.array_equal(transforms.apply(digit, distortion), digit))


@pytest.mark.parametrize("axis", ["shift_x", "shift_y", "rotation"])
def test_the_sweep_caption_says_what_its_lines_mean_at_every_setting(axis):
    from cnnviz import transforms

    for value in transforms.sweep_values(axis):
        caption = draw_lesson.sweep_caption(axis, value)
        assert f"({transforms.setting_text(axis, value)})" in caption
        assert "red line" in caption and "dotted line marks 50%" in caption
        assert "most probable" in caption  # the criterion of the tiles and the sentence
