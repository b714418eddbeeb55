"""Break-the-model transforms: checked by hand, against numpy, scikit-image and the model."""

import re

import numpy as np
import pytest
from skimage.transform import AffineTransform, warp

from cnnviz import inference, transforms
from cnnviz.data import load_mnist
from cnnviz.preprocess import centre_of_mass
from cnnviz.transforms import Distortion


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    """Eight real MNIST test digits as the recipe gives them: (8, 28, 28) float32 in [0, 1]."""
    mnist = load_mnist(allow_download=False)
    return mnist.x_test[:8].astype(np.float32) / 255.0


@pytest.fixture(scope="module")
def lenet():
    registry = inference.load_registry()
    if not registry["lenet"].ok:
        pytest.skip(registry["lenet"].error)
    return registry["lenet"].model


def small_digit() -> np.ndarray:
    """An L-shaped digit well inside the field, so no shift below 6 px pushes ink out."""
    digit = np.zeros((28, 28), dtype=np.float32)
    digit[9:19, 12:14] = 1.0
    digit[17:19, 12:18] = 0.6
    return digit


@pytest.mark.parametrize(("shift_x", "shift_y"), [(3, 0), (0, -5), (-6, 4), (6, 6), (-1, -1)])
def test_a_shift_by_k_pixels_moves_the_centre_of_mass_by_k(shift_x, shift_y):
    digit = small_digit()
    before = centre_of_mass(digit)
    after = centre_of_mass(transforms.apply(digit, Distortion(shift_x=shift_x, shift_y=shift_y)))
    assert after == pytest.approx((before[0] + shift_y, before[1] + shift_x), abs=1e-9)


def test_a_shift_of_real_digits_moves_their_centre_of_mass_while_no_ink_falls_off(digits):
    checked = 0
    for digit in digits:
        for shift_x, shift_y in [(2, -3), (-4, 1)]:
            moved = transforms.shift(digit, shift_x, shift_y)
            if not np.isclose(moved.sum(), digit.sum()):
                continue  # ink fell off the edge: the centre of mass need not move by k
            row, column = centre_of_mass(digit)
            assert centre_of_mass(moved) == pytest.approx((row + shift_y, column + shift_x))
            checked += 1
    assert checked >= 8


def test_ink_pushed_past_the_edge_is_lost_and_nothing_wraps_around():
    digit = small_digit()
    moved = transforms.shift(digit, 8, 0)  # the bar's right arm (columns 12-17) reaches 25
    assert moved[:, :8].sum() == 0  # np.roll would have wrapped ink round to the left
    assert moved.sum() == pytest.approx(digit.sum())
    assert transforms.shift(digit, 0, 28).sum() == 0


def test_rotation_by_zero_is_the_identity(digits):
    for digit in digits:
        assert np.array_equal(transforms.apply(digit, Distortion(rotation=0.0)), digit)
        assert np.array_equal(transforms.rotate_and_scale(digit, 0.0), digit)
    assert Distortion().is_identity


def test_a_quarter_turn_about_the_field_centre_is_numpys_rot90(digits):
    for digit in digits[:3]:
        turned = transforms.rotate_and_scale(digit, 90, centre=(13.5, 13.5))
        np.testing.assert_allclose(turned, np.rot90(digit), atol=1e-5)
        back = transforms.rotate_and_scale(digit, -90, centre=(13.5, 13.5))
        np.testing.assert_allclose(back, np.rot90(digit, -1), atol=1e-5)


@pytest.mark.parametrize(("degrees", "scale"), [(30.0, 1.0), (-45.0, 1.0), (17.0, 0.5), (0.0, 1.4)])
def test_rotation_and_scale_match_scikit_images_bilinear_warp(digits, degrees, scale):
    digit = digits[0]
    row, column = centre_of_mass(digit)
    # scikit-image's transforms map (x, y) = (column, row); y runs down, so an anticlockwise
    # turn on screen is a negative angle in its maths. The map sends input to output points.
    forward = (
        AffineTransform(translation=(-column, -row))
        + AffineTransform(scale=scale, rotation=-np.deg2rad(degrees))
        + AffineTransform(translation=(column, row))
    )
    expected = warp(digit, forward.inverse, order=1, mode="constant", cval=0.0)
    ours = transforms.rotate_and_scale(digit, degrees, scale)
    # Only the outermost ring differs: scikit-image reads outside points as 0 without fading.
    np.testing.assert_allclose(ours[1:-1, 1:-1], expected[1:-1, 1:-1], atol=1e-5)


def test_rotation_keeps_the_centre_of_mass_in_place(digits):
    for digit in digits:
        turned = transforms.apply(digit, Distortion(rotation=40.0))
        assert centre_of_mass(turned) == pytest.approx(centre_of_mass(digit), abs=0.3)


def test_scaling_by_s_scales_the_digits_spread_by_s(digits):
    digit = digits[1]
    rows, columns = np.indices(digit.shape)

    def spread(image):
        row, column = centre_of_mass(image)
        distance = np.hypot(rows - row, columns - column)
        return float((distance * image).sum() / image.sum())

    assert spread(transforms.apply(digit, Distortion(scale=0.5))) == pytest.approx(
        0.5 * spread(digit), rel=0.1
    )
    assert spread(transforms.apply(digit, Distortion(scale=1.25))) == pytest.approx(
        1.25 * spread(digit), rel=0.05
    )


@pytest.mark.parametrize("steps", [0.25, 0.5, 1.0, 1.75, 2.0])
def test_thickening_never_removes_ink(digits, steps):
    for digit in digits:
        thick = transforms.change_thickness(digit, steps)
        assert np.all(thick >= digit)
        assert thick.sum() > digit.sum()  # and it does add some


@pytest.mark.parametrize("steps", [-0.25, -0.5, -1.0, -2.0])
def test_thinning_never_adds_ink(digits, steps):
    for digit in digits:
        thin = transforms.change_thickness(digit, steps)
        assert np.all(thin <= digit)
        assert thin.sum() < digit.sum()


def test_one_step_of_thickening_is_a_grey_dilation_by_a_cross_by_hand():
    image = np.zeros((5, 5), dtype=np.float32)
    image[2, 2] = 0.8
    image[0, 4] = 0.3
    expected = np.array(
        [
            [0.0, 0.0, 0.0, 0.3, 0.3],
            [0.0, 0.0, 0.8, 0.0, 0.3],
            [0.0, 0.8, 0.8, 0.8, 0.0],
            [0.0, 0.0, 0.8, 0.0, 0.0],
            [0.0, 0.0, 0.0, 0.0, 0.0],
        ],
        dtype=np.float32,
    )
    np.testing.assert_array_equal(transforms.change_thickness(image, 1), expected)
    # Erosion undoes it for the single pixel's cross, and the blend sits half way.
    assert transforms.change_thickness(expected, -1)[2, 2] == np.float32(0.8)
    np.testing.assert_allclose(transforms.change_thickness(image, 0.5), (image + expected) / 2)


def test_every_result_stays_a_digit_in_range(digits):
    distortion = Distortion(shift_x=-8, shift_y=8, rotation=45, scale=1.5, thickness=2)
    result = transforms.apply(digits[2], distortion)
    assert result.shape == (28, 28) and result.dtype == np.float32
    assert 0.0 <= result.min() and result.max() <= 1.0


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"shift_x": 9}, "shift_x must be a whole number of pixels from -8 to 8"),
        ({"shift_y": 1.5}, "shift_y must be a whole number of pixels from -8 to 8"),
        ({"rotation": -46}, "rotation must be from -45 to 45 degrees"),
        ({"scale": 0.4}, "scale must be from 0.5 to 1.5"),
        ({"thickness": 2.5}, "thickness must be from -2 to 2 steps"),
        ({"rotation": float("nan")}, "rotation must be from -45 to 45 degrees"),
    ],
)
def test_settings_out_of_range_say_which_and_why(settings, message):
    with pytest.raises(ValueError, match=message):
        Distortion(**settings)


def test_a_wrong_image_shape_is_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="Expected one 28×28 digit"):
        transforms.apply(np.zeros((32, 32)), Distortion())


def fake_predictor(calls: list[int]):
    """Probabilities that depend on the image (its ink in each of ten column bands)."""

    def predict(images: np.ndarray) -> np.ndarray:
        calls.append(len(images))
        bands = images[:, :, :20].reshape(len(images), 28, 10, 2).sum(axis=(1, 3)) + 1e-3
        return bands / bands.sum(axis=1, keepdims=True)

    return predict


@pytest.mark.parametrize("axis", ["shift_x", "shift_y", "rotation"])
def test_a_sweep_calls_each_model_once_and_its_rows_are_the_swept_images(digits, axis):
    calls_a, calls_b = [], []
    base = Distortion(scale=0.9, thickness=0.5)
    result = transforms.sweep(
        {"a": fake_predictor(calls_a), "b": fake_predictor(calls_b)}, digits[3], 7, axis, base
    )
    values = transforms.sweep_values(axis)
    assert calls_a == [len(values)] and calls_b == [len(values)]
    assert result.probabilities["a"].shape == (len(values), 10)
    np.testing.assert_array_equal(result.values, values)
    for index in (0, len(values) // 2, len(values) - 1):
        setting = values[index] if axis == "rotation" else int(values[index])
        image = transforms.apply(digits[3], Distortion(**{**base.as_dict(), axis: setting}))
        expected = fake_predictor([])(image[np.newaxis])[0]
        np.testing.assert_allclose(result.probabilities["b"][index], expected, rtol=1e-6)
    np.testing.assert_array_equal(result.of_digit("a"), result.probabilities["a"][:, 7])


def test_the_sweep_ranges_cover_the_sliders():
    assert transforms.sweep_values("shift_x")[[0, -1]].tolist() == [-8, 8]
    assert transforms.sweep_values("rotation")[[0, -1]].tolist() == [-45, 45]
    assert 0 in transforms.sweep_values("rotation")
    with pytest.raises(ValueError, match="Cannot sweep 'scale'"):
        transforms.sweep_values("scale")


def test_a_sweep_of_the_shipped_lenet_equals_its_predictions_one_digit_at_a_time(digits, lenet):
    digit, label = digits[0], 7  # x_test[0] is a 7
    result = transforms.sweep(
        {"LeNet-5": lambda images: inference.predict_digits(lenet, images)}, digit, label, "shift_x"
    )
    direct = np.stack(
        [
            inference.predict_digit(lenet, transforms.apply(digit, Distortion(shift_x=int(value))))
            for value in result.values
        ]
    )
    np.testing.assert_allclose(result.probabilities["LeNet-5"], direct, atol=1e-5)
    centre = int(np.flatnonzero(result.values == 0)[0])
    assert result.of_digit("LeNet-5")[centre] > 0.9  # the untouched 7 is read as a 7
    assert result.of_digit("LeNet-5").min() < 0.5  # and 8 px off-centre breaks it somewhere


SETTING = re.compile(r"([+−]?\d+(?:\.\d+)?)(?:°| px)")


def claimed_settings(part: str, values: np.ndarray) -> set[float]:
    """The settings one model's part of the sentence says it reads: its ranges and single points."""
    claimed = set()
    if " nowhere " in part:
        return claimed
    for piece in re.split(r" and |, ", part):
        numbers = [float(n.replace("−", "-").replace("+", "")) for n in SETTING.findall(piece)]
        if len(numbers) == 2:
            claimed |= {float(v) for v in values if numbers[0] <= v <= numbers[1]}
        elif len(numbers) == 1:
            claimed.add(numbers[0])
    return claimed


def model_parts(sentence: str, labels) -> dict[str, str]:
    """Each model's part of the opening, up to the sentence's first full stop."""
    opening = sentence.split(" (reading it means")[0]
    return {label: part for label, part in zip(labels, opening.split("; "), strict=True)}


def test_read_runs_are_the_settings_where_the_digit_is_the_most_probable():
    probabilities = np.full((7, 10), 0.05, dtype=np.float32)
    # Read (the arg-max) at −3 and −2, at 0 with only 40% (the others share the rest), and at +3.
    probabilities[:, 3] = [0.9, 0.7, 0.1, 0.4, 0.1, 0.1, 0.8]
    probabilities[[2, 4, 5], 5] = 0.8
    result = transforms.Sweep("shift_x", np.arange(-3.0, 4.0), 3, {"m": probabilities})
    assert result.read_runs("m") == [(-3.0, -2.0), (0.0, 0.0), (3.0, 3.0)]


def test_each_model_has_its_own_verb_and_every_run_is_named():
    values = transforms.sweep_values("shift_x")
    never = np.zeros((len(values), 10), dtype=np.float32)
    never[:, 1] = 1.0
    twice = np.zeros((len(values), 10), dtype=np.float32)
    twice[:, 7] = np.where((np.abs(values) <= 2) | (values >= 6), 0.6, 0.1)
    twice[:, 1] = 0.3
    result = transforms.Sweep("shift_x", values, 7, {"LeNet-5": never, "AlexNet": twice})
    sentence = transforms.robustness_sentence(result)
    assert sentence.startswith(
        "LeNet-5 reads a 7 nowhere from −8 px to +8 px; AlexNet reads a 7 from −2 px to +2 px "
        "and from +6 px to +8 px (reading it means: 7 is the model's most probable digit there, "
        "as in the answer tiles above)."
    )


def test_the_rotation_sentence_claims_nothing_its_chart_can_contradict():
    values = transforms.sweep_values("rotation")
    wide = np.zeros((len(values), 10), dtype=np.float32)
    wide[:, 7] = np.where((values >= -30) & (values <= 42), 0.9, 0.05)
    wide[:, 1] = 0.1
    sentence = transforms.robustness_sentence(transforms.Sweep("rotation", values, 7, {"A": wide}))
    assert "A reads a 7 from −30° to +42°" in sentence
    assert "only training on turned digits" not in sentence


@pytest.mark.parametrize("axis", sorted(transforms.SWEEP_AXES))
def test_the_robustness_sentence_agrees_with_the_arg_max_over_every_digit_and_setting(
    digits, lenet, axis
):
    """The guard: real sweeps of the shipped LeNet-5 (and a second model) over the whole range,
    for every digit the student may say they drew and a sample of the other sliders."""
    rng = np.random.default_rng(0)
    predict = lambda images: inference.predict_digits(lenet, images)  # noqa: E731
    blurred = lambda images: predict(np.roll(images, 1, axis=1))  # noqa: E731
    checked = 0
    for index in range(3):
        base = Distortion(
            rotation=float(rng.choice([0.0, 15.0, -30.0])) if axis != "rotation" else 0.0,
            scale=float(rng.choice([0.5, 1.0, 1.5])),
            thickness=float(rng.choice([-2.0, 0.0, 2.0])),
        )
        for digit in range(10):
            result = transforms.sweep(
                {"LeNet-5": predict, "Shifted": blurred}, digits[index], digit, axis, base
            )
            sentence = transforms.robustness_sentence(result)
            for label, part in model_parts(sentence, result.probabilities).items():
                read = result.probabilities[label].argmax(axis=1) == digit
                expected = {float(v) for v in result.values[read]}
                assert claimed_settings(part, result.values) == expected, (label, part)
                checked += 1
    assert checked == 60
