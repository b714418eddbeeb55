"""One unit's gradient with respect to the input: against a hand-derived gradient and finite
differences, and its sentence against the numbers, over every layer and a sample of units."""

import re

import numpy as np
import pytest

from cnnviz import inference, receptive_field
from cnnviz import unit_gradient as ug
from cnnviz.data import load_mnist


@pytest.fixture(scope="module")
def shipped():
    registry = inference.load_registry()
    missing = [status.error for status in registry.values() if not status.ok]
    if missing:
        pytest.skip("; ".join(missing))
    return {name: status.model for name, status in registry.items()}


@pytest.fixture(scope="module")
def digit() -> np.ndarray:
    return load_mnist(allow_download=False).x_test[0].astype(np.float32) / 255.0


def test_a_c1_unit_has_the_hand_derived_gradient_of_tanh_of_a_convolution(shipped, digit):
    """C1 (5 × 5, "same", tanh): d tanh(z)/d pixel = (1 − tanh(z)²) · the kernel's weight."""
    model = shipped["lenet"]
    image = inference.model_input(model, digit)  # (1, 32, 32, 1)
    c1 = next(f for f in receptive_field.receptive_fields(model) if f.layer == "C1")
    kernel, bias = (np.asarray(w, dtype=np.float64) for w in model.get_layer("C1").weights)
    padded = np.pad(image[0, :, :, 0].astype(np.float64), 2)
    for row, col in [(0, 0), (10, 17), (31, 31), (16, 16)]:
        result = ug.unit_gradient(model, c1, row, col, image)
        window = padded[row : row + 5, col : col + 5]
        z = (window[..., None] * kernel[:, :, 0, :]).sum(axis=(0, 1)) + bias  # (6,)
        channel = int(np.argmax(np.tanh(z)))
        assert result.channel == channel
        expected = np.zeros((36, 36))
        expected[row : row + 5, col : col + 5] = (1 - np.tanh(z[channel]) ** 2) * kernel[
            :, :, 0, channel
        ]
        np.testing.assert_allclose(result.gradient, expected[2:-2, 2:-2], atol=1e-5)


@pytest.mark.parametrize("name", ["lenet", "alexnet"])
def test_deeper_units_match_finite_differences_and_stay_inside_their_field(shipped, digit, name):
    import keras

    model = shipped[name]
    image = inference.model_input(model, digit)
    checked = 0
    for field in receptive_field.receptive_fields(model):
        rows, cols = field.output_shape
        row, col = rows // 2, cols // 2
        result = ug.unit_gradient(model, field, row, col, image)
        top, left, bottom, right = result.field
        outside = result.gradient.copy()
        outside[top:bottom, left:right] = 0
        assert not outside.any(), f"{name} {field.layer}: a gradient outside its field"
        if result.is_off:
            continue
        sub = keras.Model(model.inputs[0], model.get_layer(field.layer).output)
        pixel = np.unravel_index(np.abs(result.gradient).argmax(), result.gradient.shape)
        step = 1e-3
        values = []
        for sign in (1, -1):
            moved = image.astype(np.float64).copy()
            moved[0, pixel[0], pixel[1], 0] += sign * step
            output = np.asarray(sub(moved.astype(np.float32), training=False), dtype=np.float64)
            values.append(output[0, row, col, result.channel])
        numeric = (values[0] - values[1]) / (2 * step)
        assert numeric == pytest.approx(result.gradient[pixel], rel=0.05, abs=1e-3), field.layer
        checked += 1
    assert checked >= 3


NUMBERS = re.compile(
    r"(\d+) of the (\d+) pixels of its field change it at all, and (\d+)% of the gradient lies "
    r"in the field's central part \((\d+) × (\d+) pixels, (\d+)% of the field\)"
)


@pytest.mark.parametrize("name", ["lenet", "alexnet"])
def test_the_sentence_holds_for_the_gradient_over_every_layer_and_sampled_units(
    shipped, digit, name
):
    """The guard: whatever layer and unit the controls pick, the sentence's numbers are the
    gradient's (recomputed here from the array) and "off" means every gradient is 0."""
    model = shipped[name]
    image = inference.model_input(model, digit)
    rng = np.random.default_rng(0)
    checked = off = 0
    for field in receptive_field.receptive_fields(model):
        rows, cols = field.output_shape
        units = {(0, 0), (rows - 1, cols - 1), (rows // 2, cols // 2)}
        units |= {(int(rng.integers(rows)), int(rng.integers(cols))) for _ in range(3)}
        for row, col in sorted(units):
            result = ug.unit_gradient(model, field, row, col, image)
            sentence = ug.gradient_sentence(result)
            gradient = np.abs(result.gradient)
            if not gradient.any():
                assert sentence.startswith("This unit is off for your drawing: no pixel changes")
                off += 1
                continue
            found = NUMBERS.search(sentence)
            assert found, sentence
            top, left, bottom, right = result.field
            c_top, c_left, c_bottom, c_right = result.centre
            share = gradient[c_top:c_bottom, c_left:c_right].sum() / gradient.sum()
            assert [int(value) for value in found.groups()] == [
                np.count_nonzero(gradient),
                (bottom - top) * (right - left),
                round(share * 100),
                c_bottom - c_top,
                c_right - c_left,
                round(
                    100
                    * (c_bottom - c_top)
                    * (c_right - c_left)
                    / ((bottom - top) * (right - left))
                ),
            ], sentence
            # The central part lies inside the field.
            assert top <= c_top < c_bottom <= bottom and left <= c_left < c_right <= right
            checked += 1
    assert checked > 20


def test_a_unit_with_no_gradient_is_said_to_be_off_with_the_reason_its_value_gives():
    zero = np.zeros((4, 4))
    relu = ug.UnitGradient("conv1", 0, 0, 2, 0.0, zero, (0, 0, 3, 3), (1, 1, 2, 2))
    tanh = ug.UnitGradient("C3", 0, 0, 2, 1.0, zero, (0, 0, 3, 3), (1, 1, 2, 2))
    assert "a ReLU that outputs 0" in ug.gradient_sentence(relu)
    assert "tanh is flat (saturated)" in ug.gradient_sentence(tanh)
