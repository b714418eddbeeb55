"""Two runs compared: the table's numbers by hand, and sentences that hold for them."""

import dataclasses
import json

import numpy as np
import pytest

from cnnviz import MODELS_DIR, comparison
from cnnviz.comparison import RunSummary
from cnnviz.models import TrainingConfig, config_from_dict, settings_label
from cnnviz.training.records import EpochRecord


class Epoch:
    """An epoch record with only what the comparison reads; by default its training batches
    took the whole epoch (no validation time), as if timed apart."""

    def __init__(self, epoch, seconds, val_loss=0.1, train_seconds=None, train_images=None):
        self.epoch, self.seconds, self.val_loss = epoch, seconds, val_loss
        self.train_seconds, self.train_images = train_seconds, train_images


def run(label, parameters, seconds, images=60_000, accuracy=0.98, config=None):
    epochs = tuple(
        Epoch(index + 1, value, train_seconds=value, train_images=images)
        for index, value in enumerate(seconds)
    )
    return RunSummary(label, parameters, epochs, images, accuracy, config=config)


def shipped_pair():
    """Both shipped models as runs, from their history files."""
    runs = []
    for file_name, parameters in (("lenet5", 82_826), ("alexnet", 2_126_186)):
        history = json.loads((MODELS_DIR / f"{file_name}.history.json").read_text())
        records = [EpochRecord(**record) for record in history["epochs"]]
        config = config_from_dict(history["config"])
        runs.append(
            comparison.run_from_history(
                comparison.shipped_label(config), history, parameters, records
            )
        )
    return runs


def test_the_table_holds_the_hand_computed_numbers():
    # LeNet: epochs of 4 s and 6 s → 5 s mean → 60,000 / 5 = 12,000 images per second.
    lenet = run("LeNet-5", 82_826, [4.0, 6.0], accuracy=0.98414)
    # AlexNet on a 6,000-image subset: 3 s, 2.5 s and a stopped epoch that does not count.
    # AlexNet on a 6,000-image subset: epochs of 3 s and 2.5 s, 2 s and 1.5 s of them training
    # (the rest validation), and a stopped epoch that trained 1,000 images in 0.5 s.
    alexnet = RunSummary(
        "AlexNet",
        2_126_186,
        (
            Epoch(1, 3.0, train_seconds=2.0, train_images=6_000),
            Epoch(2, 2.5, train_seconds=1.5, train_images=6_000),
            Epoch(3, 0.7, val_loss=None, train_seconds=0.5, train_images=1_000),
        ),
        6_000,
        0.9712,
    )
    rows = comparison.comparison_rows(lenet, alexnet)
    assert [row["Measure"] for row in rows] == [
        "Parameters",
        "Time per epoch (with validation)",
        "Training images per second (of training time)",
        "Test accuracy",
    ]
    assert [row["LeNet-5"] for row in rows] == ["82,826", "5.0 s", "12,000", "98.41%"]
    assert [row["AlexNet"] for row in rows] == ["2,126,186", "2.8 s", "3,250", "97.12%"]
    assert alexnet.seconds_per_epoch == pytest.approx(2.75)
    assert alexnet.images_per_second == pytest.approx(13_000 / 4.0)


def test_speed_per_image_leaves_validation_out_so_a_subset_trains_as_fast_per_image():
    """The same model at the same speed per image, on 2,048 and on 60,000 images: validating
    the 10,000 test digits (5 s an epoch here) must not make the small run look slower."""
    validation = 5.0
    full = RunSummary(
        "Full", 82_826, (Epoch(1, 30.0 + validation, None, 30.0, 60_000),), 60_000, 0.98
    )
    small = RunSummary(
        "Small", 82_826, (Epoch(1, 1.024 + validation, None, 1.024, 2_048),), 2_048, 0.95
    )
    assert full.images_per_second == pytest.approx(small.images_per_second)
    assert "trains about as fast per image" in comparison.comparison_sentence(full, small)


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
    assert settings_label(config) == (
        "LeNet-5 (relu, max pooling, 2 epochs, 6,000 images, augmented)"
    )
    assert settings_label(TrainingConfig(model="lenet", epochs=5)) == "LeNet-5 (seed)"


def test_a_shipped_model_is_named_by_how_its_history_says_it_was_trained():
    """ "(seed)" means trained exactly as the seed notebook: the shipped LeNet-5 was not."""
    lenet, alexnet = shipped_pair()
    history = json.loads((MODELS_DIR / "lenet5.history.json").read_text())
    config = config_from_dict(history["config"])
    recipe = TrainingConfig(model="lenet")
    assert (config.resolved_epochs, config.augment) != (recipe.resolved_epochs, recipe.augment)
    assert "(seed)" not in lenet.label
    assert f"{config.resolved_epochs} epochs" in lenet.label and "augmented" in lenet.label
    assert alexnet.label == "AlexNet (MNIST), shipped"  # trained by its recipe


def test_the_comparison_says_when_a_run_was_not_trained_by_its_recipe():
    lenet, alexnet = shipped_pair()
    sentence = comparison.comparison_sentence(lenet, alexnet)
    assert sentence.endswith(
        f"This is not recipe against recipe: {lenet.label} ({lenet.config.resolved_epochs} "
        "epochs, augmented) was not trained as the seed trains it, so the difference is not "
        "the architectures' alone."
    )
    recipes = [
        run("LeNet-5 (seed)", 82_826, [5.0], accuracy=0.9823, config=TrainingConfig("lenet")),
        run("AlexNet (MNIST)", 2_126_186, [9.0], accuracy=0.9836, config=TrainingConfig("alexnet")),
    ]
    assert "recipe against recipe" not in comparison.comparison_sentence(*recipes)


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
    assert rows["Time per epoch (with validation)"] == {
        "Measure": "Time per epoch (with validation)",
        "Here": "2.0 s",
        "Shipped": "8.0 s (when it was trained)",
    }
    speed = "Training images per second (of training time)"
    assert rows[speed]["Shipped"] == "75 (when it was trained)"

    sentence = comparison.comparison_sentence(here, shipped)
    assert sentence == (
        "Shipped has 4.0× the parameters of Here and is 1.00 points more accurate on the test "
        "set (99.00% vs 98.00%)."
    )
    assert "slower" not in sentence and "faster" not in sentence


def test_the_shipped_histories_predate_training_time_and_the_table_says_so():
    """Backward compatible: the shipped files load, and their training speed is 'not recorded'."""
    lenet, alexnet = shipped_pair()
    assert lenet.images_per_second is None and lenet.seconds_per_epoch > 0
    rows = {row["Measure"]: row for row in comparison.comparison_rows(lenet, alexnet)}
    speed = rows["Training images per second (of training time)"]
    assert speed[lenet.label] == speed[alexnet.label] == comparison.NOT_RECORDED


def test_every_claim_of_the_sentence_holds_for_sampled_runs():
    """The guard: over sampled sizes, speeds, subsets, validation times and accuracies, each
    number and direction the sentence states is recomputed from the runs' own numbers."""
    import re

    rng = np.random.default_rng(0)
    for index in range(300):
        runs = []
        for name in ("A", "B"):
            images = int(rng.choice([2_048, 6_000, 60_000]))
            speed = float(rng.uniform(100, 5_000))  # training images per second
            validation = float(rng.uniform(0, 30))
            train = images / speed
            epochs = tuple(
                Epoch(e + 1, train + validation, 0.1, train, images)
                for e in range(int(rng.integers(1, 4)))
            )
            parameters = int(rng.choice([82_826, 61_706, 2_126_186]))
            accuracy = float(np.round(rng.uniform(0.9, 0.995), 4))
            runs.append(RunSummary(f"{name}{index}", parameters, epochs, images, accuracy))
        first, second = runs
        sentence = comparison.comparison_sentence(first, second)
        subject, other = (
            (first, second) if first.parameters >= second.parameters else (second, first)
        )
        if subject.parameters != other.parameters:
            times = float(re.search(r"has ([\d.]+)× the parameters", sentence)[1])
            assert times == pytest.approx(subject.parameters / other.parameters, abs=0.05)
        ratio = subject.images_per_second / other.images_per_second
        found = re.search(r"trains ([\d.]+)× (slower|faster) per image", sentence)
        if found is None:
            assert "about as fast" in sentence and 1 / 1.05 < ratio < 1.05
        else:
            value = float(found[1])
            expected = ratio if found[2] == "faster" else 1 / ratio
            assert found[2] == ("faster" if ratio > 1 else "slower")
            assert value == pytest.approx(expected, abs=0.05)
        points = (subject.test_accuracy - other.test_accuracy) * 100
        found = re.search(r"([\d.]+) points (more|less) accurate", sentence)
        if found is None:
            assert "as accurate" in sentence and abs(points) < 0.005
        else:
            assert found[2] == ("more" if points > 0 else "less")
            assert float(found[1]) == pytest.approx(abs(points), abs=0.005)
