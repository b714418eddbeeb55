"""AppTest of the Live training page's messages and layout, with fake jobs (nothing trains):
a diverging run says so, a small AlexNet run says it needs more data, a bad number says why
Start did nothing, a stop says whether the run was whole, and the live view comes first."""

from __future__ import annotations

import math

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz import data, models, training
from cnnviz import training_lesson as lesson
from cnnviz import training_messages as messages
from cnnviz.training import JobStatus
from tests.apptest_helpers import APP, TENSORFLOW_TIMEOUT_S
from tests.fake_jobs import FakeJob, fake_result

PAGE = "pages/training.py"


def page_with(jobs: dict) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=TENSORFLOW_TIMEOUT_S)
    app.run()
    app.session_state["training_jobs"] = jobs
    app.session_state["training_message"] = None
    app.switch_page(PAGE).run()
    assert not app.exception, [error.value for error in app.exception]
    return app


def texts(elements) -> str:
    return "\n".join(element.value for element in elements)


def progress_texts(app: AppTest) -> list[str]:
    return [element.proto.text for element in app.get("progress")]


def test_a_diverging_run_says_so_and_suggests_a_smaller_rate():
    config = models.TrainingConfig(model="lenet", learning_rate=10.0, subset=512, epochs=1)
    diverging = FakeJob(config, losses=(2.3, 35.0, math.nan, math.nan))
    app = page_with({"lenet": diverging})
    errors = texts(app.error)
    assert "The training **diverged**: from batch 3 on the loss is not a number (NaN)" in errors
    assert "Learning rate 10 takes steps far too large: try 0.001" in errors

    exploding = FakeJob(config, losses=(2.3, 9.0, 14.2))
    app = page_with({"lenet": exploding})
    assert "at batch 3 the loss is 14.2, more than 2 × the 2.30 of guessing" in texts(app.error)

    learning = FakeJob(models.TrainingConfig(subset=512, epochs=1), losses=(2.3, 1.1, 0.6))
    app = page_with({"lenet": learning})
    assert "diverged" not in texts(app.error)


def test_alexnet_on_2048_images_says_it_needs_more_data_or_epochs():
    test_count = len(data.load_mnist(allow_download=False).y_test)
    config = models.TrainingConfig(model="alexnet", subset=2048, epochs=1)
    weak = FakeJob(
        config,
        status=JobStatus.FINISHED,
        images_per_epoch=2048,
        result=fake_result("alexnet", 0.25, test_count),
    )
    app = page_with({"alexnet": weak})
    warnings = texts(app.warning)
    assert (
        "25.0% after 1 epoch of 2,048 images: AlexNet (1 epoch, 2,048 images) has 2,126,186 weights"
        in warnings
    )
    assert "It **needs more data or more epochs**" in warnings

    strong = FakeJob(
        config,
        status=JobStatus.FINISHED,
        images_per_epoch=2048,
        result=fake_result("alexnet", 0.96, test_count),
    )
    app = page_with({"alexnet": strong})
    assert "needs more data" not in texts(app.warning)


def test_a_diverged_run_that_ended_says_so_and_not_that_it_needs_more_data():
    test_count = len(data.load_mnist(allow_download=False).y_test)
    config = models.TrainingConfig(model="lenet", learning_rate=10.0, subset=512, epochs=1)
    diverged = FakeJob(
        config,
        status=JobStatus.FINISHED,
        losses=(2.3, math.nan, math.nan),
        result=fake_result("lenet", 0.098, test_count, test_loss=math.nan),
    )
    app = page_with({"lenet": diverged})
    assert "The training **diverged**" in texts(app.error)
    assert any("Test loss not a number (NaN) on" in caption.value for caption in app.caption)
    assert "needs more data" not in texts(app.warning)  # the rate is the problem, not the data


@pytest.mark.parametrize(
    ("key", "value", "sentence"),
    [
        ("train_epochs", 0, "**Epochs** must be from 1 to 100, not 0."),
        ("train_subset", 70_000, "**Training images** must be from 64 to 60,000, not 70,000."),
        ("train_learning_rate", 0.0, "**Learning rate** must be from 0.00001 to 10, not 0."),
        ("train_seed", -1, "**Random seed** must be from 0 to 2,147,483,647, not -1."),
    ],
)
def test_an_out_of_range_number_says_why_start_did_nothing(key, value, sentence):
    app = page_with({})
    number = app.number_input(key=key)
    # No bounds in the browser: it would refuse the number silently and Start would do nothing.
    assert not number.proto.has_min and not number.proto.has_max
    number.set_value(value)
    next(button for button in app.button if button.label == "Start training").click().run()
    assert not app.exception, [error.value for error in app.exception]
    assert app.session_state["training_jobs"] == {}
    assert texts(app.error) == f"Start did nothing: {sentence}"


def test_the_learning_rate_shows_significant_digits():
    app = page_with({})
    assert app.number_input(key="train_learning_rate").proto.format == "%g"


def test_a_stop_says_whether_the_run_was_whole():
    config = models.TrainingConfig(subset=512, epochs=1)  # 16 batches of 32
    cut = FakeJob(config, status=JobStatus.STOPPED, batches_done=5, total_batches=16)
    app = page_with({"lenet": cut})
    assert "Stopped after 5 of 16 batches (in epoch 1 of 1): the run was cut short." in texts(
        app.warning
    )
    whole = FakeJob(config, status=JobStatus.STOPPED, batches_done=16, total_batches=16)
    app = page_with({"lenet": whole})
    assert "Stopped in its last batch: all 16 batches of its 1 epoch were trained" in texts(
        app.warning
    )


def test_a_queued_job_never_shows_batch_0_of_0():
    config = models.TrainingConfig(model="alexnet", subset=512, epochs=1)
    queued = FakeJob(config, status=JobStatus.QUEUED, losses=(), total_batches=0, queue_position=2)
    app = page_with({"alexnet": queued})
    assert progress_texts(app) == ["AlexNet (1 epoch, 512 images) · Queued · 1 epoch"]
    assert "Busy, 1 training is ahead of you (queue position 2)" in texts(app.info)


def test_with_a_run_the_live_view_comes_first_and_the_settings_fold_away():
    app = page_with({})
    settings = "Settings: change them and start a new run"
    assert app.markdown[0].value == lesson.INTRO.strip()  # before any run, the intro and the form
    assert settings not in [expander.label for expander in app.expander]
    app = page_with({"lenet": FakeJob(models.TrainingConfig(subset=512, epochs=1))})
    folded = next(expander for expander in app.expander if expander.label == settings)
    assert folded.markdown[0].value == lesson.INTRO.strip()  # it folded away with the form
    assert folded.button(key="train_start").label == "Start training"
    assert progress_texts(app) == [
        "LeNet-5 (1 epoch, 512 images) · Running · epoch 1/1 · batch 3/16"
    ]


def test_the_intro_explains_seed_before_any_model_name_uses_it():
    assert '"**(seed)**" in a model\'s name' in lesson.INTRO and "seed notebook" in lesson.INTRO
    app = page_with({})
    assert app.markdown[0].value == lesson.INTRO.strip()


@pytest.mark.slow
def test_a_real_run_at_learning_rate_10_is_called_diverged():
    # A real tiny run (256 images, 8 batches, in this process): the sentence holds for what
    # Keras really reports at that rate, not only for made-up numbers.
    mnist = data.load_mnist(allow_download=False)
    config = models.TrainingConfig(learning_rate=10.0, subset=256, epochs=1)
    job = training.TrainingJob(config, mnist, in_process=True).start()
    assert job.wait(300), "a 256-image run should end within minutes"
    snapshot = job.snapshot()
    assert snapshot.status == "finished", snapshot.error
    message = messages.divergence_message(
        snapshot.batch_steps, snapshot.batch_loss, config.optimizer, config.learning_rate
    )
    assert message is not None and "try 0.001" in message, snapshot.batch_loss
