"""AppTest of the Live training page: it teaches, trains a tiny job, survives clicks, fails well.

Jobs here train on a few hundred images for one epoch (never full MNIST); the one that uses the
full training set is stopped after its first batches (with the tests' MNIST sample, as many epochs
of it as make the same number of batches).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import math
import urllib.error
import urllib.request

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from bench.support.mnist_sample import write_sample_npz
from cnnviz import data, models, training
from cnnviz.site import SESSION_MODELS_KEY
from tests.apptest_helpers import chart_titles, open_page
from tests.training_faults import RaiseAtTrainBegin

JOB_TIMEOUT_S = 180  # the first job may wait for a fresh worker to import TensorFlow
PAGE = "pages/training.py"


def open_training_page() -> AppTest:
    return open_page(PAGE)


def button(app: AppTest, label: str):
    return next(widget for widget in app.button if widget.label == label)


def start_job(
    app: AppTest, started: list, *, run: str = "lenet", subset: int = 512, epochs: int = 1
) -> None:
    app.radio(key="train_models").set_value(run)
    app.number_input(key="train_subset").set_value(subset)
    app.number_input(key="train_epochs").set_value(epochs)
    button(app, "Start training").click().run()
    assert not app.exception, [error.value for error in app.exception]
    assert app.session_state["training_message"] is None  # the settings were accepted
    started.extend(jobs(app).values())


def long_job_settings() -> tuple[int, int]:
    """Training images and epochs for a job long enough to be stopped half way: one epoch of all
    of MNIST, or as many epochs of the tests' sample as make about as many batches."""
    available = len(data.load_mnist(allow_download=False).x_train)
    epochs = min(
        models.TRAINING_LIMITS["epochs"].high, math.ceil(models.MNIST_TRAIN_SIZE / available)
    )
    return models.MNIST_TRAIN_SIZE, epochs


def jobs(app: AppTest) -> dict[str, training.TrainingJob]:
    return app.session_state["training_jobs"]


@pytest.fixture
def started_jobs():
    """Every job a test starts, even those a Reset drops: all are stopped and awaited after it,
    so no test leaves a training thread behind (they would fight for the two cores)."""
    started: list[training.TrainingJob] = []
    yield started
    for job in started:
        job.request_stop()
        assert job.wait(JOB_TIMEOUT_S), "a job did not stop"


def test_page_renders_its_lessons_and_controls():
    app = open_training_page()
    assert app.title[0].value == "Live training"
    text = "\n".join(block.value for block in app.markdown)
    for phrase in ("LeNet-5", "LeCun", "AlexNet", "Krizhevsky", "82,826 − 61,706 = 21,120"):
        assert phrase in text
    # The seed's LeNet, LeCun's original and AlexNet, each as a layer table with its total.
    captions = [caption.value for caption in app.caption]
    for total in ("82,826", "61,706", "2,126,186"):
        assert any(caption.startswith(f"Total: {total} parameters.") for caption in captions)
    # The tables fill Topic 1's formulas with each layer's numbers, and the code is shown.
    tables = [frame.value for frame in app.dataframe]
    c1_formulas = {
        table.iloc[0]["Parameters"] for table in tables if table.iloc[0]["Layer"] == "C1"
    }
    assert c1_formulas == {"(5·5·1 + 1)·6 = 156"}
    assert any("def lenet5(" in code.value for code in app.code)
    assert any("def alexnet_mnist(" in code.value for code in app.code)
    assert "56% of what they multiply is zero padding" in text
    assert "60,000 + 900 − 44 + 850 = 61,706" in " ".join(text.split())
    assert "Why validation is above training here" in text
    assert "10,000 test images" in text
    assert app.toggle(key="train_holdout").value is False
    assert button(app, "Stop training").disabled and button(app, "Reset").disabled
    assert not button(app, "Start training").disabled


@pytest.mark.slow
def test_a_tiny_job_ends_with_its_results(started_jobs):
    app = open_training_page()
    start_job(app, started_jobs, subset=512, epochs=1)
    job = jobs(app)["lenet"]
    assert job.wait(JOB_TIMEOUT_S), "a 512-image, one-epoch job should finish within minutes"
    app.run()
    assert not app.exception, [error.value for error in app.exception]
    snapshot = job.snapshot()
    assert snapshot.status == "finished", snapshot.error
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Test accuracy"] == f"{job.result.test_accuracy:.2%}"
    assert "Time per epoch" in metrics
    titles = chart_titles(app)
    assert "Confusion matrix" in titles
    assert any("The colour is **logarithmic**" in caption.value for caption in app.caption)
    assert any("Per batch" in title for title in titles)
    assert any("Per epoch" in title for title in titles)
    # Beside the model's download: the input it takes, and the lines that load and feed it.
    assert any("32 × 32" in text.value and "load_model" in text.value for text in app.markdown)
    # The gallery filters narrow the mistakes down to one true digit.
    app.selectbox(key="true_digit_lenet").set_value(3).run()
    assert any(
        caption.value.endswith("highest predicted probability are shown.")
        for caption in app.caption
    )
    # Hand the model to the canvas page.
    button(app, "Use this model on the canvas").click().run()
    canvas_models = app.session_state[SESSION_MODELS_KEY]
    assert list(canvas_models.values()) == [job.result.model]
    assert any("canvas page" in message.value for message in app.success)


@pytest.mark.slow
def test_the_arithmetic_choice_reaches_the_job(started_jobs):
    app = open_training_page()
    arithmetic = app.selectbox(key="train_precision")
    assert arithmetic.value == "float32"  # the seed's arithmetic unless a teacher picks another
    assert "8 significant bits" in " ".join(arithmetic.proto.help.split())
    arithmetic.set_value("mixed_bfloat16")
    start_job(app, started_jobs, subset=256, epochs=1)
    job = jobs(app)["lenet"]
    assert job.snapshot().config.precision == "mixed_bfloat16"
    assert job.wait(JOB_TIMEOUT_S) and job.snapshot().status == "finished", job.snapshot().error


@pytest.mark.slow
def test_training_survives_widgets_and_page_switches_and_stops(started_jobs):
    app = open_training_page()
    subset, epochs = long_job_settings()
    start_job(app, started_jobs, subset=subset, epochs=epochs)
    job = jobs(app)["lenet"]
    # Move a widget, leave for another page and come back: the same job is still going.
    app.selectbox(key="train_optimizer").set_value("sgd").run()
    app.switch_page("pages/home.py").run()
    app.switch_page(PAGE).run()
    assert not app.exception, [error.value for error in app.exception]
    assert jobs(app)["lenet"] is job
    assert not job.done and job.snapshot().status in ("queued", "running")
    assert not button(app, "Stop training").disabled
    button(app, "Stop training").click().run()
    assert job.wait(JOB_TIMEOUT_S), "Stop training should end the job within a batch or so"
    snapshot = job.snapshot()
    assert snapshot.status == "stopped"
    assert snapshot.batches_done < snapshot.total_batches
    app.run()
    assert not app.exception, [error.value for error in app.exception]
    assert not button(app, "Start training").disabled  # ready for the next run
    button(app, "Reset").click().run()
    assert jobs(app) == {}


@pytest.mark.slow
def test_both_models_run_one_after_the_other(started_jobs, monkeypatch):
    monkeypatch.setenv("CNNVIZ_MAX_TRAININGS", "1")
    app = open_training_page()
    start_job(app, started_jobs, run="both", subset=512, epochs=1)
    assert set(jobs(app)) == {"lenet", "alexnet"}
    assert jobs(app)["alexnet"].snapshot().status == "queued"
    assert any("Busy, you are next" in message.value for message in app.info)
    # The live views come first, side by side, each progress line led by its model's name.
    lines = [element.proto.text for element in app.get("progress")]
    # Each named by how it trains: 1 epoch of 512 images is not the seed's recipe.
    assert [line.split(" · ")[0] for line in lines] == [
        "LeNet-5 (1 epoch, 512 images)",
        "AlexNet (1 epoch, 512 images)",
    ]
    button(app, "Reset").click().run()
    assert jobs(app) == {}


def test_a_failing_job_shows_its_error_and_the_page_stays_usable(started_jobs, monkeypatch):
    # The failure happens in the worker process, before the first batch, as a broken build would.
    failing_job = functools.partial(
        training.TrainingJob, extra_callbacks=[RaiseAtTrainBegin("the GPU melted")]
    )
    monkeypatch.setattr("cnnviz.training.TrainingJob", failing_job)
    app = open_training_page()
    start_job(app, started_jobs)
    assert jobs(app)["lenet"].wait(JOB_TIMEOUT_S)
    app.run()
    assert not app.exception, [error.value for error in app.exception]
    errors = [error.value for error in app.error]
    assert any("Training failed" in error and "the GPU melted" in error for error in errors)
    assert "Traceback" not in "\n".join(errors)
    assert not button(app, "Start training").disabled


def test_missing_mnist_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_MNIST", str(tmp_path / "missing.npz"))
    st.cache_resource.clear()  # forget the MNIST an earlier test loaded
    app = open_training_page()
    message = "\n".join(error.value for error in app.error)
    assert "missing.npz" in message and "CNNVIZ_MNIST" in message
    assert button(app, "Start training").disabled
    assert any("LeCun" in block.value for block in app.markdown)  # the lessons still render


@pytest.fixture
def no_mnist_anywhere(tmp_path, monkeypatch):
    """A fresh machine: no CNNVIZ_MNIST, no data/mnist.npz, an empty keras cache."""
    monkeypatch.delenv(data.MNIST_ENV_VAR, raising=False)
    monkeypatch.setattr(data, "LOCAL_MNIST_PATH", tmp_path / "project" / "mnist.npz")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    st.cache_resource.clear()  # forget the MNIST an earlier test loaded
    yield
    st.cache_resource.clear()  # and the next test forgets this one


class FakeDownload(io.BytesIO):
    """What urlopen returns: the bytes in chunks, and a Content-Length header."""

    def __init__(self, payload: bytes):
        super().__init__(payload)
        self.headers = {"Content-Length": str(len(payload))}


def test_download_mnist_button_fetches_it_and_training_is_ready(
    no_mnist_anywhere, tmp_path, monkeypatch
):
    served = write_sample_npz(tmp_path / "served.npz").read_bytes()
    requests = []

    def fake_urlopen(url, timeout):
        requests.append(url)
        return FakeDownload(served)

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    monkeypatch.setattr(data, "MNIST_SHA256", hashlib.sha256(served).hexdigest())
    app = open_training_page()
    assert button(app, "Start training").disabled
    assert any("MNIST was not found" in error.value for error in app.error)

    button(app, "Download MNIST (11 MB)").click().run()

    assert not app.exception, [error.value for error in app.exception]
    assert requests == [data.MNIST_URL]
    assert data.keras_cache_path().read_bytes() == served
    assert any("MNIST was downloaded" in message.value for message in app.success)
    assert not app.error  # the instructions went away with the problem
    assert not button(app, "Start training").disabled
    assert all(widget.label != "Download MNIST (11 MB)" for widget in app.button)


def test_download_mnist_offline_says_so_and_keeps_the_instructions(no_mnist_anywhere, monkeypatch):
    def offline(url, timeout):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    app = open_training_page()
    button(app, "Download MNIST (11 MB)").click().run()

    assert not app.exception, [error.value for error in app.exception]
    errors = [error.value for error in app.error]
    assert any("Offline, copy keras' `mnist.npz`" in error for error in errors)
    offline_errors = [error for error in errors if "Is this machine offline?" in error]
    assert len(offline_errors) == 1 and "name resolution" in offline_errors[0]
    assert not data.keras_cache_path().exists()
    assert button(app, "Start training").disabled
    assert any("LeCun" in block.value for block in app.markdown)  # the lessons still render


def test_the_shipped_histories_replay_and_a_missing_or_broken_one_is_explained(monkeypatch):
    history = {
        "command": "python -m cnnviz.train lenet",
        "steps_per_epoch": 2,
        "batch_steps": [1, 2, 3, 4],
        "batch_loss": [2.0, 1.0, 0.5, 0.4],
        "batch_accuracy": [0.3, 0.6, 0.85, 0.9],
        "epochs": [
            {"epoch": 1, "loss": 1.5, "accuracy": 0.45, "val_loss": 0.6,
             "val_accuracy": 0.8, "seconds": 3.0},
            {"epoch": 2, "loss": 0.45, "accuracy": 0.87, "val_loss": 0.4,
             "val_accuracy": 0.88, "seconds": 3.1},
        ],
        "test_accuracy": 0.8812,
    }  # fmt: skip

    def fake_history(name: str) -> dict:
        if name == "lenet":
            return history
        raise FileNotFoundError(f"models/{name}.history.json is missing")

    monkeypatch.setattr("cnnviz.training.load_shipped_history", fake_history)
    st.cache_resource.clear()  # the page caches the replay per server; start from the fakes
    app = open_training_page()
    assert {m.label: m.value for m in app.metric}["Test accuracy of the shipped model"] == "88.12%"
    assert chart_titles(app).count("Per epoch: train vs validation") == 1
    assert any("python -m cnnviz.train lenet" in caption.value for caption in app.caption)
    assert any("not been shipped yet" in message.value for message in app.info)

    app.run()
    assert chart_titles(app).count("Per epoch: train vs validation") == 1  # served from the cache

    del history["epochs"]  # a broken file (read when the server starts): a warning, no traceback
    st.cache_resource.clear()
    app.run()
    assert not app.exception, [error.value for error in app.exception]
    assert any("could not be read (KeyError" in warning.value for warning in app.warning)


def test_the_replay_is_built_once_per_server(monkeypatch):
    reads = []
    real = training.load_shipped_history

    def counted(name: str) -> dict:
        reads.append(name)
        return real(name)

    monkeypatch.setattr("cnnviz.training.load_shipped_history", counted)
    st.cache_resource.clear()
    app = open_training_page()
    app.run()
    assert not app.exception
    assert sorted(reads) == ["alexnet", "lenet"]  # two reruns, one read of each file


def test_a_third_model_declared_once_gets_its_run_choice_and_its_tab(monkeypatch):
    from cnnviz import training_lesson

    lenet = models.MODEL_SPECS["lenet"]
    fake = dataclasses.replace(
        lenet, key="fake", lesson="fake", live_label="Fake", shipped_file=None
    )
    monkeypatch.setitem(models.MODEL_SPECS, "fake", fake)
    monkeypatch.setitem(
        training_lesson.MODEL_LESSONS,
        "fake",
        training_lesson.ModelLesson("Fake net", "A fake network."),
    )
    app = open_training_page()
    assert app.radio(key="train_models").options == [
        "LeNet-5",
        "AlexNet",
        "Fake",
        "All 3, one after the other",
    ]
    assert [tab.label for tab in app.tabs] == [
        "Train live",
        "LeNet-5",
        "AlexNet",
        "Fake net",
        "Replay the shipped models",
    ]
    assert "A fake network." in [markdown.value for markdown in app.tabs[3].markdown]
