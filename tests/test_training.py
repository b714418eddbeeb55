"""The training engine on small subsets (never full MNIST): live metrics, stop, faults, queue.

The jobs with test callbacks (which hold events and closures) train in this process; the others
in a worker process, as the page's do (tests/test_training_worker.py covers the worker itself).
"""

import gc
import threading
import weakref

import keras
import numpy as np
import pytest

from cnnviz import MODELS_DIR
from cnnviz.data import load_mnist, to_model_input
from cnnviz.models import TrainingConfig, shipped_files
from cnnviz.training import (
    TRAINING_SLOTS,
    EpochRecord,
    TrainingJob,
    load_shipped_history,
    max_concurrent_trainings,
)
from cnnviz.training.fitting import evaluate_probabilities, training_arrays, training_dataset

SUBSET = 512
JOB_TIMEOUT_S = 180  # a job may wait for a fresh worker to import TensorFlow


@pytest.fixture(scope="module")
def mnist():
    return load_mnist(allow_download=False)


@pytest.fixture
def one_training_at_a_time(monkeypatch):
    monkeypatch.setenv("CNNVIZ_MAX_TRAININGS", "1")


class Hook(keras.callbacks.Callback):
    """Runs ``action(callback, batch)`` at each live point; counts the points it saw."""

    def __init__(self, action=None, gate: threading.Event | None = None):
        super().__init__()
        self.action = action
        self.gate = gate
        self.batches_seen = 0
        self.model_ref = None

    def on_train_begin(self, logs=None):
        self.model_ref = weakref.ref(self.model)
        if self.gate is not None:
            self.gate.wait(JOB_TIMEOUT_S)

    def on_train_batch_end(self, batch, logs=None):
        self.batches_seen += 1
        if self.action is not None:
            self.action(self, batch)


def wait_for(predicate, timeout=JOB_TIMEOUT_S):
    done = threading.Event()
    for _ in range(int(timeout * 20)):
        if predicate():
            return True
        done.wait(0.05)
    return False


@pytest.mark.slow
def test_a_small_job_records_batches_epochs_and_a_result(mnist):
    config = TrainingConfig(subset=SUBSET, epochs=2, seed=1)
    job = TrainingJob(config, mnist).start()
    assert job.wait(JOB_TIMEOUT_S)
    snapshot = job.snapshot()
    assert snapshot.status == "finished", snapshot.error
    # 512 / 32 = 16 batches per epoch, 32 in all; points at least every 2 batches.
    assert snapshot.total_batches == 32 and snapshot.batches_done == 32
    assert len(snapshot.batch_steps) >= 16
    assert list(snapshot.batch_steps) == sorted(snapshot.batch_steps)
    assert snapshot.batch_steps[-1] == 32
    assert all(np.isfinite(snapshot.batch_loss)) and all(
        0 <= a <= 1 for a in snapshot.batch_accuracy
    )
    assert [record.epoch for record in snapshot.epochs] == [1, 2]
    assert all(record.val_accuracy is not None and record.seconds > 0 for record in snapshot.epochs)
    assert snapshot.progress == 1.0 and snapshot.eta_s == 0.0
    assert snapshot.images_per_second > 0 and snapshot.elapsed_s > 0

    result = job.result
    assert result is not None
    # The last epoch's validation is the final test evaluation of the same weights.
    assert result.test_accuracy == pytest.approx(snapshot.epochs[-1].val_accuracy)
    # ... and agrees with keras' own evaluate (an independent loss and accuracy).
    result.model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    reference = result.model.evaluate(
        to_model_input(mnist.x_test, (32, 32)), mnist.y_test, verbose=0, return_dict=True
    )
    assert result.test_loss == pytest.approx(reference["loss"], rel=1e-4)
    assert result.test_accuracy == pytest.approx(reference["accuracy"], abs=1e-4)
    test_count = len(mnist.y_test)  # 10,000, or 1,000 in the tests' MNIST sample
    assert result.test_probabilities.shape == (test_count, 10)
    np.testing.assert_allclose(result.test_probabilities.sum(axis=1), 1.0, atol=1e-4)
    assert result.confusion.shape == (10, 10) and result.confusion.sum() == test_count
    assert np.trace(result.confusion) / test_count == pytest.approx(result.test_accuracy)
    assert result.test_accuracy > 0.5  # 2 epochs on 512 images is far better than chance
    assert len(result.seconds_per_epoch) == 2
    assert (
        result.history_csv().splitlines()[0] == "epoch,loss,accuracy,val_loss,val_accuracy,seconds"
    )
    assert len(result.history_csv().splitlines()) == 3


@pytest.mark.slow
def test_model_bytes_is_a_loadable_keras_file_without_optimizer(mnist, tmp_path):
    job = TrainingJob(TrainingConfig(subset=256, epochs=1), mnist).start()
    assert job.wait(JOB_TIMEOUT_S) and job.snapshot().status == "finished"
    path = tmp_path / "model.keras"
    path.write_bytes(job.result.model_bytes())
    loaded = keras.models.load_model(path, safe_mode=True, compile=False)
    assert getattr(loaded, "optimizer", None) is None
    images = training_arrays(mnist, (32, 32), None, 0)[2][:8]
    np.testing.assert_allclose(loaded(images), job.result.model(images), atol=1e-6)


@pytest.mark.slow
def test_a_mixed_precision_job_hands_over_a_float32_model(mnist, tmp_path):
    config = TrainingConfig(subset=SUBSET, epochs=1, precision="mixed_bfloat16")
    job = TrainingJob(config, mnist).start()
    assert job.wait(JOB_TIMEOUT_S)
    snapshot = job.snapshot()
    assert snapshot.status == "finished", snapshot.error
    assert all(np.isfinite(snapshot.batch_loss)) and snapshot.epochs[0].val_accuracy is not None
    result = job.result
    assert {layer.compute_dtype for layer in result.model.layers} == {"float32"}
    # The test figures describe the model handed over (float32), as keras' evaluate finds.
    result.model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    reference = result.model.evaluate(
        to_model_input(mnist.x_test, (32, 32)), mnist.y_test, verbose=0, return_dict=True
    )
    assert result.test_accuracy == pytest.approx(reference["accuracy"], abs=1e-4)
    assert result.test_accuracy > 0.5  # it learned: one epoch on 512 images beats chance
    path = tmp_path / "mixed.keras"
    path.write_bytes(result.model_bytes())
    loaded = keras.models.load_model(path, safe_mode=True, compile=False)
    assert {layer.compute_dtype for layer in loaded.layers} == {"float32"}


@pytest.mark.slow
def test_stop_lands_at_the_next_live_point(mnist):
    stop_at = 3

    def stop_on_third_point(hook, batch):
        if hook.batches_seen == stop_at:
            job.request_stop()

    hook = Hook(stop_on_third_point)
    job = TrainingJob(
        TrainingConfig(subset=SUBSET, epochs=3), mnist, extra_callbacks=[hook], in_process=True
    )
    job.start()
    assert job.wait(JOB_TIMEOUT_S)
    snapshot = job.snapshot()
    assert snapshot.status == "stopped"
    # The engine's callback runs before ours: it sees the request at the very next point.
    assert hook.batches_seen == stop_at + 1
    assert len(snapshot.batch_steps) == stop_at + 1
    assert snapshot.batches_done < snapshot.total_batches
    assert len(snapshot.epochs) == 1 and snapshot.epochs[0].val_accuracy is None
    assert job.result is not None  # a stopped model is still evaluated and handed over


@pytest.mark.slow
def test_an_exception_during_training_is_reported(mnist):
    def explode(hook, batch):
        raise RuntimeError("the projector caught fire")

    job = TrainingJob(
        TrainingConfig(subset=SUBSET, epochs=1),
        mnist,
        extra_callbacks=[Hook(explode)],
        in_process=True,
    )
    job.start()
    assert job.wait(JOB_TIMEOUT_S)
    snapshot = job.snapshot()
    assert snapshot.status == "failed"
    assert snapshot.error == "RuntimeError: the projector caught fire"
    assert "Traceback" in job.traceback and "explode" in job.traceback
    assert job.result is None
    assert TRAINING_SLOTS.running == 0  # the failed job gave its slot back


@pytest.mark.slow
def test_second_job_waits_in_the_queue_then_runs(mnist, one_training_at_a_time):
    gate = threading.Event()
    first = TrainingJob(
        TrainingConfig(subset=256, epochs=1),
        mnist,
        extra_callbacks=[Hook(gate=gate)],
        in_process=True,
    ).start()
    second = TrainingJob(TrainingConfig(subset=256, epochs=1, seed=2), mnist).start()
    try:
        assert wait_for(lambda: first.snapshot().status == "running")
        assert wait_for(lambda: second.snapshot().queue_position == 1)
        assert second.snapshot().status == "queued"
        assert first.snapshot().queue_position is None
    finally:
        gate.set()
    assert first.wait(JOB_TIMEOUT_S) and second.wait(JOB_TIMEOUT_S)
    assert first.snapshot().status == second.snapshot().status == "finished"
    assert second.snapshot().queue_position is None


@pytest.mark.slow
def test_a_queued_job_can_be_stopped_before_it_starts(mnist, one_training_at_a_time):
    gate = threading.Event()
    first = TrainingJob(
        TrainingConfig(subset=256, epochs=1),
        mnist,
        extra_callbacks=[Hook(gate=gate)],
        in_process=True,
    ).start()
    second = TrainingJob(TrainingConfig(subset=256, epochs=1), mnist).start()
    try:
        assert wait_for(lambda: second.snapshot().status == "queued")
        second.request_stop()
        assert second.wait(10)
        assert second.snapshot().status == "stopped" and second.result is None
    finally:
        gate.set()
    assert first.wait(JOB_TIMEOUT_S)


@pytest.mark.slow
def test_dropping_the_job_stops_it_and_frees_the_model(mnist):
    gate = threading.Event()
    hook = Hook(gate=gate)
    job = TrainingJob(
        TrainingConfig(subset=SUBSET, epochs=5), mnist, extra_callbacks=[hook], in_process=True
    )
    job.start()
    assert wait_for(lambda callback=hook: callback.model_ref is not None)
    state_ref, thread = weakref.ref(job._state), job._thread
    del job  # what happens when st.session_state lets go of it
    gc.collect()
    assert state_ref().stop_event.is_set()
    gate.set()
    thread.join(JOB_TIMEOUT_S)
    assert not thread.is_alive()
    assert state_ref() is None or state_ref().status == "stopped"
    assert hook.batches_seen <= 1  # stopped at the first live point, not after 5 epochs
    model_ref = hook.model_ref
    del hook  # our test callback holds the model too; the engine's own die with the thread
    gc.collect()
    assert state_ref() is None
    assert model_ref() is None


def test_max_concurrent_trainings_reads_the_environment(monkeypatch):
    monkeypatch.setenv("CNNVIZ_MAX_TRAININGS", "3")
    assert max_concurrent_trainings() == 3
    monkeypatch.setenv("CNNVIZ_MAX_TRAININGS", "lots")
    assert max_concurrent_trainings() == 1
    monkeypatch.delenv("CNNVIZ_MAX_TRAININGS")
    assert max_concurrent_trainings() == 1


def test_data_is_resized_once_and_cached(mnist):
    first = training_arrays(mnist, (32, 32), 300, 0)
    again = training_arrays(mnist, (32, 32), 300, 0)
    assert first is again
    x_train, y_train, x_test, _ = first
    assert tuple(x_train.shape) == (300, 32, 32, 1)
    assert tuple(x_test.shape) == (len(mnist.x_test), 32, 32, 1)
    assert float(np.max(x_train)) <= 1.0 and y_train.dtype.name == "int32"


def test_the_pipelines_run_without_autotuning_and_keep_every_image(mnist):
    """Autotuning's thread stalled the end of epochs for up to 16 s (see without_autotune)."""
    x_train, y_train, x_test, y_test = training_arrays(mnist, (32, 32), 100, 0)
    dataset = training_dataset(x_train, y_train, batch_size=32, seed=0)
    assert dataset.options().autotune.enabled is False
    labels = np.concatenate([batch_labels.numpy() for _, batch_labels in dataset])
    assert sorted(labels) == sorted(y_train.numpy())  # one epoch: every image once, shuffled
    model = keras.Sequential([keras.Input((32, 32, 1)), keras.layers.Flatten()])
    model.add(keras.layers.Dense(10, activation="softmax"))
    predicted_from = []
    keras_predict = model.predict

    def recording_predict(data, **kwargs):
        predicted_from.append(data)
        return keras_predict(data, **kwargs)

    model.predict = recording_predict
    # 2,500 images: two full batches and a partial one (the tests' MNIST sample has 1,000).
    images = np.concatenate([np.asarray(x_test)] * 3)[:2500]
    labels = np.concatenate([np.asarray(y_test)] * 3)[:2500]
    loss, accuracy, probabilities = evaluate_probabilities(model, images, labels)
    [validation] = predicted_from  # validation goes through our pipeline, not keras' default one
    assert validation.options().autotune.enabled is False
    # All 2,500 images, in order: the probabilities are the model's own, row by row.
    np.testing.assert_allclose(probabilities, model(images), rtol=1e-5, atol=1e-6)
    assert 0.0 <= accuracy <= 1.0 and loss > 0


@pytest.mark.parametrize(
    ("name", "params", "minimum"), [("lenet", 82_826, 0.982), ("alexnet", 2_126_186, 0.983)]
)
def test_shipped_models_and_histories_load(name, params, minimum):
    path = MODELS_DIR / shipped_files()[name]
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `python -m cnnviz.train {name}`")
    model = keras.models.load_model(path, safe_mode=True, compile=False)
    assert model.count_params() == params
    history = load_shipped_history(name)
    assert history["command"].startswith(f"python -m cnnviz.train {name}")
    assert history["config"]["model"] == name and history["config"]["subset"] is None
    assert history["test_accuracy"] >= minimum
    # The history is the run that made the file: one record per epoch it was trained for.
    shipped_config = TrainingConfig(**history["config"])
    assert shipped_config.batch_size == 32
    assert len(history["epochs"]) == shipped_config.resolved_epochs
    assert history["test_accuracy"] == pytest.approx(history["epochs"][-1]["val_accuracy"])
    assert len(history["batch_steps"]) == len(history["batch_loss"]) > 10
    with pytest.raises(ValueError, match="No shipped model"):
        load_shipped_history("vgg")


def test_hold_out_keeps_a_seeded_sixth_apart_without_overlap():
    import tensorflow as tf

    from cnnviz.models import HOLDOUT_SHARE
    from cnnviz.training.fitting import hold_out

    x = tf.constant(np.arange(60, dtype=np.float32).reshape(60, 1, 1, 1))
    y = tf.constant(np.arange(60, dtype=np.int32))
    x_kept, y_kept, x_held, y_held = hold_out(x, y, seed=3)
    assert int(x_held.shape[0]) == round(60 * HOLDOUT_SHARE) == 10
    kept, held = set(y_kept.numpy()), set(y_held.numpy())
    assert not kept & held and kept | held == set(range(60))
    np.testing.assert_array_equal(x_held.numpy().ravel(), y_held.numpy())  # pairs stay pairs
    np.testing.assert_array_equal(x_kept.numpy().ravel(), y_kept.numpy())
    assert set(hold_out(x, y, seed=3)[3].numpy()) == held  # repeatable
    assert set(hold_out(x, y, seed=4)[3].numpy()) != held
    with pytest.raises(ValueError, match="at least 2 training images"):
        TrainingConfig(subset=1, holdout=True)
    with pytest.raises(ValueError, match="holdout"):
        TrainingConfig(holdout="yes")


@pytest.mark.slow
def test_a_held_out_job_validates_on_training_images_and_tests_on_the_test_set(mnist):
    job = TrainingJob(TrainingConfig(subset=SUBSET, epochs=1, holdout=True), mnist).start()
    assert job.wait(JOB_TIMEOUT_S)
    snapshot, result = job.snapshot(), job.result
    assert snapshot.status == "finished", snapshot.error
    # 512 − 85 held out = 427 images to train on: 14 batches of 32.
    assert snapshot.total_batches == 14
    result.model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    reference = result.model.evaluate(
        to_model_input(mnist.x_test, (32, 32)), mnist.y_test, verbose=0, return_dict=True
    )
    assert result.test_accuracy == pytest.approx(reference["accuracy"], abs=1e-4)
    # Validation was measured on other images than the test set.
    assert snapshot.epochs[-1].val_accuracy != pytest.approx(result.test_accuracy, abs=1e-6)


def test_training_time_leaves_validation_and_the_first_groups_tracing_out(monkeypatch):
    """LiveMetrics driven as keras drives it: 3 groups of 4 batches of 32 over 352 images (the
    last batch partial); the first group of the run traces (0.3 s), each later one fits in
    0.05 s, and validating takes 0.4 s. Only the later groups' fit and images count."""
    import time

    from cnnviz.training import fitting

    monkeypatch.setattr(
        fitting, "evaluate_probabilities", lambda *_: (time.sleep(0.4), 0.1, 0.9, None)[1:]
    )
    records = []
    live = fitting.LiveMetrics(
        records.append, lambda: False, (None, None), 11, batch_size=32, epoch_images=352
    )
    for epoch in range(2):
        live.on_epoch_begin(epoch)
        for index, last_batch in enumerate((3, 7, 10)):
            live.on_train_batch_begin(last_batch)
            time.sleep(0.3 if (epoch, index) == (0, 0) else 0.05)
            live.on_train_batch_end(last_batch, {"loss": 1.0, "accuracy": 0.5})
        live.on_epoch_end(epoch, {"loss": 1.0, "accuracy": 0.5})
    first, second = (record for record in records if isinstance(record, EpochRecord))
    # Epoch 1: groups 2 and 3 (batches 5-8 and 9-11: 128 + 96 images); epoch 2: all 352.
    assert (first.train_images, second.train_images) == (224, 352)
    assert first.train_seconds == pytest.approx(0.10, abs=0.04)
    assert second.train_seconds == pytest.approx(0.15, abs=0.04)
    assert first.seconds > first.train_seconds + 0.6  # the trace and the validation
    assert second.seconds > second.train_seconds + 0.35  # the validation


@pytest.mark.slow
def test_a_real_fit_times_its_training_batches_apart(mnist):
    config = TrainingConfig(subset=SUBSET, epochs=2, seed=1)
    job = TrainingJob(config, mnist).start()
    assert job.wait(JOB_TIMEOUT_S)
    epochs = job.snapshot().epochs
    assert [record.train_images for record in epochs][1] == SUBSET  # epoch 2: every batch
    assert 0 < epochs[0].train_images < SUBSET  # epoch 1 without its first, tracing group
    assert all(0 < record.train_seconds < record.seconds for record in epochs)
