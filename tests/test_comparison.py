"""Two runs compared: the table's numbers by hand, and sentences that hold for them."""

import dataclasses
import json

import numpy as np
import pytest

from cnnviz import MODELS_DIR, comparison
from cnnviz.comparison import RunSummary
from cnnviz.models import TrainingConfig


class Epoch:
    """An epoch record with only what the comparison reads."""

    def __init__(self, epoch, seconds, val_loss=0.1):
        self.epoch, self.seconds, self.val_loss = epoch, seconds, val_loss


def run(label, parameters, seconds, images=60_000, accuracy=0.98):
    epochs = tuple(Epoch(index + 1, value) for index, value in enumerate(seconds))
    return RunSummary(label, parameters, epochs, images, accuracy)


def test_the_table_holds_the_hand_computed_numbers():
    # LeNet: epochs of 4 s and 6 s → 5 s mean → 60,000 / 5 = 12,000 images per second.
    lenet = run("LeNet-5", 82_826, [4.0, 6.0], accuracy=0.98414)
    # AlexNet on a 6,000-image subset: 3 s, 2.5 s and a stopped epoch that does not count.
    alexnet = RunSummary(
        "AlexNet",
        2_126_186,
        (Epoch(1, 3.0), Epoch(2, 2.5), Epoch(3, 0.7, val_loss=None)),
        6_000,
        0.9712,
    )
    rows = comparison.comparison_rows(lenet, alexnet)
    assert [row["Measure"] for row in rows] == [
        "Parameters",
        "Time per epoch",
        "Images per second",
        "Test accuracy",
    ]
    assert [row["LeNet-5"] for row in rows] == ["82,826", "5.0 s", "12,000", "98.41%"]
    assert [row["AlexNet"] for row in rows] == ["2,126,186", "2.8 s", "2,182", "97.12%"]
    assert alexnet.seconds_per_epoch == pytest.approx(2.75)
    assert alexnet.images_per_second == pytest.approx(6_000 / 2.75)


def test_a_run_stopped_in_its_first_epoch_has_no_speed_and_says_so():
    stopped = RunSummary("Stopped", 100, (Epoch(1, 1.0, val_loss=None),), 60_000, None)
    assert stopped.seconds_per_epoch is None and stopped.images_per_second is None
    rows = comparison.comparison_rows(stopped, run("Other", 100, [1.0]))
    assert [row["Stopped"] for row in rows] == ["100", "—", "—", "—"]


def test_two_runs_with_one_label_are_refused():
    with pytest.raises(ValueError, match="Both runs are called 'LeNet-5'"):
        comparison.comparison_rows(run("LeNet-5", 1, [1.0]), run("LeNet-5", 1, [1.0]))


def test_the_sentence_follows_the_numbers_whichever_way_they_go():
    small_fast = run("LeNet-5", 82_826, [5.0], accuracy=0.9841)
    big_slow = run("AlexNet", 2_126_186, [40.0], accuracy=0.9851)
    assert comparison.comparison_sentence(small_fast, big_slow) == (
        "AlexNet has 25.7× the parameters of LeNet-5 and trains 8.0× slower per image; "
        "it is 0.10 points more accurate on the test set (98.51% vs 98.41%)."
    )
    # The order of the arguments does not change who is the subject.
    assert comparison.comparison_sentence(big_slow, small_fast) == (
        comparison.comparison_sentence(small_fast, big_slow)
    )
    big_worse = run("AlexNet", 2_126_186, [40.0], accuracy=0.9700)
    assert "it is 1.41 points less accurate on the test set (97.00% vs 98.41%)" in (
        comparison.comparison_sentence(small_fast, big_worse)
    )


def test_runs_of_one_architecture_compare_speed_and_accuracy_between_them():
    tanh = run("LeNet-5 (seed)", 82_826, [5.0], accuracy=0.9841)
    relu = run("LeNet-5 (seed), relu", 82_826, [5.1], accuracy=0.9866)
    assert comparison.comparison_sentence(tanh, relu) == (
        "LeNet-5 (seed) and LeNet-5 (seed), relu have the same 82,826 parameters; "
        "LeNet-5 (seed) trains about as fast per image as LeNet-5 (seed), relu, and "
        "is 0.25 points less accurate on the test set (98.41% vs 98.66%)."
    )
    slower = run("Max pooling", 82_826, [10.0], accuracy=0.9841)
    assert "trains 2.0× faster per image than Max pooling" in (
        comparison.comparison_sentence(tanh, slower)
    )
    assert "is as accurate on the test set (98.41% vs 98.41%)" in (
        comparison.comparison_sentence(tanh, slower)
    )


def test_settings_label_names_every_change_from_the_recipe():
    config = TrainingConfig(
        model="lenet", activation="relu", pooling="max", epochs=2, subset=6000, augment=True
    )
    assert comparison.settings_label(config) == (
        "LeNet-5 (seed), relu, max pooling, 2 epochs, 6,000 images, augmented"
    )
    assert comparison.settings_label(TrainingConfig(model="lenet", epochs=5)) == "LeNet-5 (seed)"


def test_a_shipped_history_becomes_a_run_with_its_own_numbers():
    history = json.loads((MODELS_DIR / "lenet5.history.json").read_text())
    records = [Epoch(record["epoch"], record["seconds"]) for record in history["epochs"]]
    probabilities = np.full((4, 10), 0.1, dtype=np.float32)
    shipped = comparison.run_from_history("Shipped", history, 82_826, records, probabilities)
    assert shipped.test_accuracy == history["test_accuracy"]
    assert shipped.training_images == 60_000
    assert shipped.seconds_per_epoch == pytest.approx(np.mean(history["seconds_per_epoch"]))
    assert shipped.test_probabilities is probabilities
    assert not shipped.timed_here  # its times are the training machine's


def test_a_shipped_models_speed_is_shown_as_measured_elsewhere_and_never_compared():
    here = run("Here", 1_000, [2.0], images=600, accuracy=0.98)  # 300 images/s on this server
    shipped = dataclasses.replace(
        run("Shipped", 4_000, [8.0], images=600, accuracy=0.99), timed_here=False
    )
    rows = {row["Measure"]: row for row in comparison.comparison_rows(here, shipped)}
    assert rows["Time per epoch"] == {
        "Measure": "Time per epoch",
        "Here": "2.0 s",
        "Shipped": "8.0 s (when it was trained)",
    }
    assert rows["Images per second"]["Shipped"] == "75 (when it was trained)"
    sentence = comparison.comparison_sentence(here, shipped)
    assert sentence == (
        "Shipped has 4.0× the parameters of Here and is 1.00 points more accurate on the test "
        "set (99.00% vs 98.00%)."
    )
    assert "slower" not in sentence and "faster" not in sentence
