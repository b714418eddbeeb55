"""cnnviz.shift_accuracy: the shipped shifted-digit curves, their sentence, and the command."""

import json

import numpy as np
import pytest

from cnnviz import MODELS_DIR, shift_accuracy
from cnnviz.data import load_mnist


def test_shift_digits_lets_black_come_in():
    digits = np.arange(1, 2 * 4 * 4 + 1).reshape(2, 4, 4)
    down_left = shift_accuracy.shift_digits(digits, 1, -2)
    np.testing.assert_array_equal(down_left[:, 1:, :2], digits[:, :3, 2:])
    assert not down_left[:, 0].any() and not down_left[:, :, 2:].any()
    with pytest.raises(ValueError, match="out of view"):
        shift_accuracy.shift_digits(digits, 0, 4)


def test_the_shipped_curve_file_matches_the_shipped_models():
    curves = shift_accuracy.load_curves()
    assert set(curves) == {"lenet", "alexnet"}
    histories = {
        key: json.loads((MODELS_DIR / name).read_text())
        for key, name in (("lenet", "lenet5.history.json"), ("alexnet", "alexnet.history.json"))
    }
    for key, curve in curves.items():
        assert curve.shifts == shift_accuracy.ACCURACY_SHIFTS
        assert curve.count == 10_000
        # Unshifted, every direction is the plain test set: the shipped test accuracy.
        for values in curve.by_direction.values():
            assert values[0] == pytest.approx(histories[key]["test_accuracy"], abs=1e-4)
        mean = np.mean(list(curve.by_direction.values()), axis=0)
        np.testing.assert_allclose(curve.accuracy, mean)
        # Shifts cost accuracy: the far end of the curve is well below its start.
        assert curve.accuracy[-1] < curve.accuracy[0] - 0.05


def test_the_curve_sentence_reads_its_numbers_off_the_curve():
    curve = shift_accuracy.load_curves()["lenet"]
    sentence = shift_accuracy.curve_sentence(curve, "LeNet-5")
    for accuracy in curve.accuracy:
        assert f"{accuracy:.1%}" in sentence
    holds = shift_accuracy.tolerated_shift(curve)
    assert f"up to {holds} pixel" in sentence
    shown = [round(accuracy * 1000) for accuracy in curve.accuracy]
    assert all(shown[0] - value <= 10 for value in shown[: holds + 1])
    if holds + 1 < len(shown):
        assert shown[0] - shown[holds + 1] > 10


def test_a_broken_curve_file_says_how_to_remake_it(tmp_path):
    path = tmp_path / "shift_accuracy.json"
    path.write_text('{"models": {"lenet": {"model": "lenet"}}}')
    with pytest.raises(ValueError, match=r"python -m cnnviz\.shift_accuracy"):
        shift_accuracy.load_curves(path)


@pytest.mark.slow
@pytest.mark.full_mnist  # the shipped curve was measured on all 10,000 test digits
def test_the_shipped_lenet_curve_is_reproduced():
    # Recompute three points of the shipped LeNet-5's curve on all 10,000 test digits.
    from cnnviz.inference import load_registry

    status = load_registry()["lenet"]
    mnist = load_mnist(allow_download=False)
    shifts = (0, 3, 6)
    curve = shift_accuracy.shifted_accuracy(
        status.model, mnist.x_test, mnist.y_test, "lenet", shifts=shifts
    )
    shipped = shift_accuracy.load_curves()["lenet"]
    expected = [shipped.accuracy[shipped.shifts.index(shift)] for shift in shifts]
    np.testing.assert_allclose(curve.accuracy, expected, atol=2e-4)


def test_the_shipped_file_names_the_command_that_makes_it_again(capsys):
    shipped = json.loads(shift_accuracy.SHIFT_ACCURACY_PATH.read_text())
    assert shipped["command"] == shift_accuracy.SHIFT_ACCURACY_COMMAND
    with pytest.raises(SystemExit) as stopped:
        shift_accuracy.main(["--help"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: {shift_accuracy.SHIFT_ACCURACY_COMMAND}")
