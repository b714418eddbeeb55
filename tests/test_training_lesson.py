"""The Live training page's text and display helpers: every number it teaches is the models'."""

from __future__ import annotations

import json
import shutil
from types import SimpleNamespace

import numpy as np
import pytest

from cnnviz import PROJECT_ROOT, models, ops
from cnnviz import training_form as form
from cnnviz import training_lesson as lesson
from cnnviz import training_messages as messages


@pytest.fixture(scope="module")
def tables() -> dict[str, dict[str, dict]]:
    """Summary rows of the three real models, by model key, then by layer name."""
    builders = {
        "lenet": models.lenet5,
        "lenet_original": models.lenet5_original,
        "alexnet": models.alexnet_mnist,
    }
    return {
        key: {row["Layer"]: row for row in models.summary_table(build())}
        for key, build in builders.items()
    }


def total(rows: dict[str, dict]) -> int:
    return sum(row["Parameters"] for row in rows.values())


def test_the_padding_lesson_quotes_the_real_parameter_counts(tables):
    seed, original = tables["lenet"], tables["lenet_original"]
    assert (total(seed), total(original)) == (82_826, 61_706)
    assert "**82,826 − 61,706 = 21,120**" in lesson.PADDING_LESSON
    # The convolutions cost the same in both networks.
    for layer, count in (("C1", 156), ("C3", 2_416)):
        assert seed[layer]["Parameters"] == original[layer]["Parameters"] == count
        assert f"{count:,}" in lesson.PADDING_LESSON
    # What S4 leaves, then the layer that makes 120 units of it.
    assert seed["S4"]["Output shape"] == "6×6×16" and original["S4"]["Output shape"] == "5×5×16"
    assert seed["flatten"]["Output shape"] == "576"
    assert "6 × 6 × 16 = 576" in lesson.PADDING_LESSON
    assert "5 × 5 × 16 = 400" in lesson.PADDING_LESSON
    dense_120 = next(row for row in seed.values() if row["Output shape"] == "120")
    conv_120 = next(row for row in original.values() if row["Output shape"] == "1×1×120")
    assert dense_120["Parameters"] == 576 * 120 + 120 == 69_240
    assert conv_120["Parameters"] == 400 * 120 + 120 == 48_120
    assert "**69,240**" in lesson.PADDING_LESSON and "**48,120**" in lesson.PADDING_LESSON
    assert dense_120["Parameters"] - conv_120["Parameters"] == 176 * 120 == 21_120
    assert total(seed) - total(original) == 21_120


def test_the_alexnet_text_quotes_the_real_parameter_counts(tables):
    alexnet = tables["alexnet"]
    fully_connected = sum(row["Parameters"] for row in alexnet.values() if row["Type"] == "Dense")
    assert total(alexnet) == 2_126_186 and fully_connected == 1_191_946
    assert "2,126,186" in lesson.ALEXNET_OVERVIEW and "1,191,946" in lesson.ALEXNET_OVERVIEW
    assert f"({fully_connected / total(alexnet):.0%})" in lesson.ALEXNET_OVERVIEW
    assert f"about {round(total(alexnet) / total(tables['lenet']))} times" in (
        lesson.ALEXNET_OVERVIEW
    )
    filters = [
        row["Output shape"].split("×")[-1] for row in alexnet.values() if row["Type"] == "Conv2D"
    ]
    assert f"({', '.join(filters)}:" in lesson.ALEXNET_OVERVIEW


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (59.4, "59 s"),
        (59.6, "1 min 00 s"),
        (185, "3 min 05 s"),
        (3725, "1 h 02 min"),
        (None, "—"),
        (float("nan"), "—"),
        (-1, "—"),
    ],
)
def test_format_duration(seconds, text):
    assert messages.format_duration(seconds) == text


def test_queue_message_says_busy_and_the_position():
    assert messages.queue_message(1).startswith("Busy, you are next (queue position 1)")
    assert messages.queue_message(None).startswith("Busy, you are next")
    assert "2 trainings are ahead of you (queue position 3)" in messages.queue_message(3)


@pytest.mark.parametrize(
    ("position", "ahead", "text"),
    [
        (1, ["teacher"], "Busy, you are next: the teacher's run is training now;"),
        (1, ["student"], "Busy, you are next: a student's run is training now;"),
        (1, ["visitor"], "Busy, you are next: another run is training now;"),
        (2, ["student", "teacher"], "Busy: the teacher's run and a student's run are ahead"),
        (
            3,
            ["student", "teacher", "student"],
            "Busy: the teacher's run and 2 students' runs are ahead of you;",
        ),
        (3, ["visitor", "teacher", "teacher"], "Busy: the teacher's 2 runs and another run are"),
        (
            4,
            ["visitor", "teacher", "student", "visitor"],
            "Busy: the teacher's run, a student's run and 2 other runs are ahead",
        ),
    ],
)
def test_queue_message_says_who_is_ahead_teacher_first(position, ahead, text):
    message = messages.queue_message(position, ahead)
    assert message.startswith(text)
    assert message.endswith("yours starts by itself.")


def test_queue_ahead_phrase_refuses_an_empty_queue():
    with pytest.raises(ValueError, match="Nobody is ahead"):
        messages.queue_ahead_phrase([])


def test_progress_text_names_epoch_batch_and_eta():
    snapshot = SimpleNamespace(
        status="running", epoch=2, total_epochs=5, batches_done=900, total_batches=9375, eta_s=41
    )
    assert messages.progress_text(snapshot) == ("Running · epoch 2/5 · batch 900/9375 · ETA 41 s")


def test_epoch_rows_keeps_every_figure():
    record = SimpleNamespace(
        epoch=1, loss=0.2, accuracy=0.94, val_loss=0.1, val_accuracy=0.97, seconds=12.5
    )
    assert messages.epoch_rows([record]) == [
        {
            "Epoch": 1,
            "Loss": 0.2,
            "Accuracy": 0.94,
            "Validation loss": 0.1,
            "Validation accuracy": 0.97,
            "Seconds": 12.5,
        }
    ]


def test_precision_help_says_what_this_cpu_can_do():
    assert "24 significant bits" in " ".join(form.precision_help(None).split())
    assert "has bfloat16 instructions" in form.precision_help(True)
    assert "slower" in form.precision_help(False)
    assert set(form.PRECISION_LABELS) == set(models.PRECISIONS)


def shipped_histories() -> dict[str, dict]:
    from cnnviz import MODELS_DIR

    files = {"lenet": "lenet5.history.json", "alexnet": "alexnet.history.json"}
    return {key: json.loads((MODELS_DIR / name).read_text()) for key, name in files.items()}


def test_the_replay_lesson_states_what_the_shipped_histories_show():
    histories = shipped_histories()
    text = " ".join(lesson.replay_lesson(histories).split())
    lenet, alexnet = histories["lenet"]["epochs"], histories["alexnet"]["epochs"]
    # The observation: validation above training in every LeNet-5 epoch.
    assert all(epoch["val_accuracy"] > epoch["accuracy"] for epoch in lenet)
    assert f"in every one of its {len(lenet)} epochs" in text
    assert f"{lenet[0]['accuracy']:.1%} training, {lenet[0]['val_accuracy']:.1%} validation" in text
    above = sum(epoch["val_accuracy"] > epoch["accuracy"] for epoch in alexnet)
    if above == len(alexnet):
        assert f"AlexNet's in every one of its {len(alexnet)} epochs" in text
    else:
        assert f"AlexNet's in {above} of its {len(alexnet)} epochs" in text
    # A one-epoch dip in AlexNet's validation accuracy that the next epoch undoes is called the
    # noise of one epoch's weights, with the recorded numbers; without one, the trend is.
    values = [epoch["val_accuracy"] for epoch in alexnet]
    dips = [i for i in range(1, len(values) - 1) if values[i] < values[i - 1] < values[i + 1]]
    if dips:
        dip = dips[0]
        assert f"falls from {values[dip - 1]:.2%} to {values[dip]:.2%} in epoch {dip + 1}" in text
        assert f"recovers to {values[dip + 1]:.2%}" in text
    else:
        assert "judge the trend, not one point" in text and "falls from" not in text
    # The reasons name what the shipped models really do.
    assert histories["lenet"]["config"]["augment"] is True and "Augmentation" in text
    assert histories["alexnet"]["config"]["augment"] is False
    assert "Dropout is on only while training" in text


def test_validation_dips_only_counts_dips_that_recover():
    def records(values):
        return [{"epoch": epoch, "val_accuracy": value} for epoch, value in enumerate(values, 1)]

    # Falling for good is not a one-epoch dip; nor is a fall that the next epoch does not undo.
    assert lesson.validation_dips(records([0.9, 0.95, 0.94, 0.93])) == []
    assert lesson.validation_dips(records([0.9, 0.95, 0.94, 0.945])) == []
    assert lesson.validation_dips(records([0.9, 0.95, 0.94, 0.96])) == [(3, 0.95, 0.94, 0.96)]


def test_the_paper_parameter_count_reconciles_with_the_modern_original():
    paper = lesson.paper_lenet5_parameters()
    assert sum(paper.values()) == 60_000  # "60,000 trainable parameters" (LeCun et al., 1998)
    modern = {
        row["Layer"]: row["Parameters"] for row in models.summary_table(models.lenet5_original())
    }
    assert paper["C1"] == modern["C1"] and paper["C5"] == modern["C5"]
    assert paper["F6"] == modern["F6"]
    # Full C3, no subsampling coefficients, a softmax layer: 60,000 + 900 − 44 + 850.
    assert modern["C3"] - paper["C3"] == 900 and paper["S2"] + paper["S4"] == 44
    assert modern["output"] == 850
    assert sum(modern.values()) == 60_000 + 900 - 44 + 850 == 61_706
    shipped_accuracy = shipped_histories()["lenet"]["test_accuracy"]
    text = " ".join(lesson.paper_lesson(shipped_accuracy).split())
    assert "60,000 + 900 − 44 + 850 = 61,706" in text
    assert f"makes {1 - shipped_accuracy:.2%} errors" in text
    assert "errors)" not in lesson.paper_lesson(None)  # no history file: no comparison


def test_the_alexnet_input_size_formulas_are_the_real_ones():
    text = " ".join(lesson.ALEXNET_OVERVIEW.split())
    assert ops.output_size(227, 11, 4, "valid") == 55 and ops.output_size(224, 11, 4, "valid") == 54
    assert "⌊(227 − 11) / 4⌋ + 1 = 55" in text and "⌊(224 − 11) / 4⌋ + 1 = 54" in text
    assert "use no augmentation" in text


def test_the_learning_rate_help_quotes_keras_own_defaults():
    from keras import optimizers

    built = {
        "adam": optimizers.Adam(),
        "sgd": optimizers.SGD(),
        "rmsprop": optimizers.RMSprop(),
    }
    for name, optimizer in built.items():
        assert float(optimizer.learning_rate) == pytest.approx(
            form.KERAS_DEFAULT_LEARNING_RATES[name]
        )
    # The form's default is Adam's, which is what the help says.
    assert models.TrainingConfig().learning_rate == form.KERAS_DEFAULT_LEARNING_RATES["adam"]
    assert "0.01" in form.LEARNING_RATE_HELP


def test_the_alexnet_padding_lesson_uses_the_models_numbers():
    from cnnviz import layer_table
    from cnnviz.receptive_field import receptive_fields

    model = models.alexnet_mnist()
    text = lesson.alexnet_padding_lesson(model)
    share = layer_table.padding_share(2, 3, 1, "same")
    assert f"**{share:.0%} of what they multiply is zero padding**" in text
    assert "conv3, conv4, conv5 are 3 × 3" in text and "on 2 × 2 maps" in text
    conv3 = next(field for field in receptive_fields(model) if field.layer == "conv3")
    assert conv3.size == (99, 99) and conv3.larger_than_input
    assert "spans 99 × 99 pixels, more than the whole 64 × 64 image" in text
    # LeNet-5 has no such layer: no lesson.
    assert lesson.alexnet_padding_lesson(models.lenet5()) == ""


@pytest.mark.parametrize(
    ("model", "side"), [("lenet", 32), ("lenet_original", 32), ("alexnet", 28)]
)
def test_the_download_says_which_input_size_the_model_takes(model, side):
    note = lesson.download_note(model, "model.keras")
    assert f"{side} × {side}" in note
    assert 'keras.saving.load_model("model.keras")' in note


@pytest.mark.slow  # loads TensorFlow and the shipped LeNet-5
def test_the_downloads_code_feeds_the_model_as_cnnviz_does(tmp_path, monkeypatch):
    """The note's code, run as a student would, predicts what cnnviz predicts for the same
    MNIST digits: no shape error, the same preprocessing (scaled, resized 28 → 32)."""
    from cnnviz.data import load_mnist, to_model_input
    from cnnviz.inference import load_model_file

    shipped = PROJECT_ROOT / "models" / "lenet5.keras"
    shutil.copyfile(shipped, tmp_path / "lenet5.keras")
    monkeypatch.chdir(tmp_path)  # where the student saved the download
    x_test = load_mnist(allow_download=False).x_test[:64]  # (64, 28, 28) uint8, as MNIST ships
    note = lesson.download_note("lenet", "lenet5.keras")
    code = note.split("```python\n", 1)[1].split("```", 1)[0]
    namespace = {"x_test": x_test}
    exec(code, namespace)
    theirs = namespace["model"].predict(namespace["x"], verbose=0)
    ours = load_model_file(shipped).predict(to_model_input(x_test, (32, 32)), verbose=0)
    np.testing.assert_allclose(theirs, ours, atol=1e-5)


def test_the_galleries_order_by_predicted_probability_and_say_so_not_confidence():
    """Beside the Draw page's "a probability, not a confidence", the captions name the softmax
    probability their order really uses (cnnviz.evaluation)."""
    from cnnviz import evaluation
    from cnnviz import training_messages as messages

    captions = [messages.mistakes_caption(120, 16), messages.disagreements_caption(3, 10)]
    for caption in captions:
        assert "predicted probability" in caption
        assert "confiden" not in caption and "sure" not in caption
    # The order the captions describe: the wrong answer's probability, highest first ...
    probabilities = np.array([[0.4, 0.6], [0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    order = evaluation.misclassified_indices(np.array([0, 0, 0, 0]), probabilities)
    assert list(order) == [1, 3, 0]
    # ... and the lower of the two answers' probabilities, highest first.
    other = np.array([[0.9, 0.1], [0.6, 0.4], [0.1, 0.9], [0.95, 0.05]])
    # Lower probabilities 0.6, 0.6, 0.8, 0.7: rows 2, 3, then 0 and 1 in the test set's order.
    assert list(evaluation.disagreement_indices(probabilities, other)) == [2, 3, 0, 1]


def test_alexnets_single_network_and_ensemble_errors_are_compared_on_one_set():
    """The single network's 18.2% is a validation figure: beside it the ensemble's 15.4% on the
    same set, not its 15.3% on the test set (Krizhevsky et al. 2012, Table 2)."""
    text = " ".join(lesson.ALEXNET_OVERVIEW.split())
    assert "18.2% top-5 there, against 15.4% for the seven together" in text
    assert "on the validation set only" in text
    assert "about 18%" not in text
