"""The training engine: ``model.fit`` in a background thread that a web page can watch.

Streamlit reruns its script on every click, which would kill a ``fit`` running inside it, so a
:class:`TrainingJob` runs ``fit`` in a plain daemon thread that makes no Streamlit calls. A Keras
callback records the live metrics under a lock; the page copies them with
:meth:`TrainingJob.snapshot` and redraws. :meth:`TrainingJob.request_stop` sets an event that the
callback turns into ``model.stop_training = True``.

How fast it trains (same model, same batch size, same epochs as the seed recipes):

* MNIST is scaled and resized **once** per (data set, input size, subset) and kept in memory;
  ``tf.data`` shuffles indices and gathers whole batches from those tensors, with prefetch and
  without autotuning (whose thread could stall the end of an epoch: :func:`without_autotune`).
* Keras runs ``STEPS_PER_EXECUTION`` training steps per call into the TensorFlow graph, so the
  Python side (and our callback) runs once per group of batches. The live points are therefore
  every ``k`` batches, and a stop lands at the end of the current group: at most ``k`` batches
  (``k`` = 16 for LeNet-5, 4 for AlexNet: well under a second on a laptop CPU).
* Validation is one forward pass over the test set in batches of ``VALIDATION_BATCH_SIZE``; the
  last epoch's pass doubles as the final test evaluation.
* On up to two cores, each LeNet-5 batch is cut into one shard per core that the cores train
  at the same time, with one TensorFlow thread per operation (:mod:`cnnviz.parallel`): the same
  weight updates, and for its tiny tensors much less time lost handing one operation between
  threads.
* Adam runs as one fused TensorFlow kernel per weight (:mod:`cnnviz.optimizers`), the same
  update in one pass over memory instead of a dozen.
* XLA (``jit_compile``) is off: on the 2-core CPU it measured 4× slower than TensorFlow's oneDNN
  kernels for these small convolutions.
* ``TrainingConfig.precision="mixed_bfloat16"`` (not the default: the seed computes in float32)
  multiplies in bfloat16 on CPUs that have it; the model is handed over in float32.

At most :func:`max_concurrent_trainings` jobs train at once across the whole server (environment
variable ``CNNVIZ_MAX_TRAININGS``, default 1); the others wait with status "queued". When the
page's session drops its :class:`TrainingJob`, a finaliser asks the thread to stop, and the
model is freed once the thread ends.
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
import threading
import time
import traceback
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cnnviz import MODELS_DIR
from cnnviz.data import Mnist
from cnnviz.models import (
    MNIST_CLASSES,
    SHIPPED_MODELS,
    TrainingConfig,
    build_model,
    float32_copy,
)
from cnnviz.parallel import shard_steps, training_shards

if TYPE_CHECKING:
    import keras

LOGGER = logging.getLogger(__name__)

MAX_TRAININGS_ENV_VAR = "CNNVIZ_MAX_TRAININGS"
DEFAULT_MAX_TRAININGS = 1  # one training saturates a 2-core laptop; more would only starve pages
# Training steps per call into the graph: the callback (live points, stop) runs once per group.
# Sized so a group takes well under a second on a laptop CPU (LeNet ≈ 5 ms, AlexNet ≈ 40 ms a step).
STEPS_PER_EXECUTION = {"lenet": 16, "lenet_original": 16, "alexnet": 4}
MIN_POINTS_PER_EPOCH = 8  # live points per epoch at least, however small the subset
VALIDATION_BATCH_SIZE = 1000  # evaluation only: big batches are much cheaper per image
DATA_CACHE_ENTRIES = 2  # resized training sets kept in memory (full LeNet set: 245 MB float32)
PROBABILITY_EPSILON = 1e-7  # keras' clipping in cross-entropy
# Small, label-preserving changes a handwritten digit could have anyway.
AUGMENT_TRANSLATION = 0.08  # fraction of the side
AUGMENT_ROTATION = 0.04  # fraction of a full turn (≈ 14°)
AUGMENT_ZOOM = 0.08

STATUSES = ("queued", "running", "stopping", "finished", "stopped", "failed")


def max_concurrent_trainings() -> int:
    """How many jobs may train at once on this server (``CNNVIZ_MAX_TRAININGS``, default 1)."""
    raw = os.environ.get(MAX_TRAININGS_ENV_VAR, "")
    try:
        value = int(raw)
    except ValueError:
        return DEFAULT_MAX_TRAININGS
    return value if value >= 1 else DEFAULT_MAX_TRAININGS


# ---------------------------------------------------------------------------------------------
# Records handed to the UI


@dataclass(frozen=True)
class EpochRecord:
    """One finished epoch: training means over the epoch, validation on the test set."""

    epoch: int  # 1-based
    loss: float
    accuracy: float
    val_loss: float | None  # None when the epoch was cut short by a stop
    val_accuracy: float | None
    seconds: float  # wall time of the epoch, validation included


@dataclass(frozen=True)
class JobSnapshot:
    """A consistent copy of a job's state at one moment (safe to read without a lock)."""

    status: str
    config: TrainingConfig
    batch_steps: tuple[int, ...]  # global batch index (batches done so far) of each point
    batch_loss: tuple[float, ...]  # running mean over the current epoch, as keras logs it
    batch_accuracy: tuple[float, ...]
    epochs: tuple[EpochRecord, ...]
    epoch: int  # the epoch in progress (1-based), 0 before training starts
    total_epochs: int
    batches_done: int
    total_batches: int
    progress: float  # 0..1
    elapsed_s: float  # since training (not queueing) began
    images_per_second: float
    eta_s: float | None
    error: str | None
    queue_position: int | None  # 1 = next to train; None when not queued


@dataclass(frozen=True)
class TrainingResult:
    """What a finished (or stopped) job hands over."""

    model: keras.Model
    test_accuracy: float
    test_loss: float
    confusion: np.ndarray  # (10, 10) int, rows = true digit, columns = predicted digit
    test_probabilities: np.ndarray  # (N, 10) float32
    seconds_per_epoch: tuple[float, ...]
    epochs: tuple[EpochRecord, ...] = ()

    def history_csv(self) -> str:
        """The per-epoch history as CSV text (one row per epoch)."""
        return epochs_to_csv(self.epochs)

    def model_bytes(self) -> bytes:
        """The trained model as the bytes of a ``.keras`` file, without optimizer state."""
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "model.keras"
            save_without_optimizer(self.model, path)
            return path.read_bytes()


def epochs_to_csv(epochs: Sequence[EpochRecord]) -> str:
    """Epoch records as CSV: epoch,loss,accuracy,val_loss,val_accuracy,seconds."""
    lines = ["epoch,loss,accuracy,val_loss,val_accuracy,seconds"]
    for record in epochs:
        values = [record.loss, record.accuracy, record.val_loss, record.val_accuracy]
        cells = ["" if value is None else f"{value:.6f}" for value in values]
        lines.append(f"{record.epoch},{','.join(cells)},{record.seconds:.3f}")
    return "\n".join(lines) + "\n"


def save_without_optimizer(model: keras.Model, path: str | os.PathLike) -> None:
    """Save ``model`` as a ``.keras`` file holding architecture and weights, no optimizer state.

    The weights are copied into a fresh, uncompiled copy of the architecture, so the file is
    about a third of the size and loads with ``keras.models.load_model(path, compile=False)``.
    """
    # from_config builds the same layers uncompiled (clone_model would carry the optimizer over),
    # and in float32 whatever precision the model trained in.
    float32_copy(model).save(path)


def load_shipped_history(name: str) -> dict[str, Any]:
    """The training history saved beside a shipped model (``"lenet"`` or ``"alexnet"``).

    Keys: ``command``, ``config``, ``batch_steps``, ``batch_loss``, ``batch_accuracy``,
    ``epochs`` (list of dicts with EpochRecord's fields), ``test_accuracy``, ``test_loss``,
    ``seconds_per_epoch``.
    """
    if name not in SHIPPED_MODELS:
        raise ValueError(f"No shipped model '{name}'; choose one of {sorted(SHIPPED_MODELS)}.")
    path = history_path(MODELS_DIR / SHIPPED_MODELS[name])
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: train it with `python -m cnnviz.train {name}`."
        )
    return json.loads(path.read_text(encoding="utf-8"))


def history_path(model_path: str | os.PathLike) -> Path:
    """Where the history of a model file lives: ``lenet5.keras`` → ``lenet5.history.json``."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.stem + ".history.json")


# ---------------------------------------------------------------------------------------------
# Data: scaled and resized once, then fed from memory


_DATA_CACHE: dict[tuple, tuple] = {}
_DATA_CACHE_LOCK = threading.Lock()


def training_arrays(mnist: Mnist, size: tuple[int, int], subset: int | None, seed: int) -> tuple:
    """``(x_train, y_train, x_test, y_test)`` as TF tensors, scaled to [0, 1] and resized.

    x is (N, H, W, 1) float32, y is (N,) int32. The subset is the first ``subset`` images of a
    permutation drawn from ``seed``. Cached in-process: resizing 60,000 images costs seconds.
    """
    import tensorflow as tf

    from cnnviz.data import to_model_input

    key = (id(mnist.x_train), id(mnist.x_test), tuple(size), subset, seed if subset else None)
    with _DATA_CACHE_LOCK:
        cached = _DATA_CACHE.get(key)
        if cached is not None and cached[0] is mnist.x_train:
            return cached[1]
        x_train, y_train = mnist.x_train, mnist.y_train
        if subset is not None and subset < len(x_train):
            chosen = np.random.default_rng(seed).permutation(len(x_train))[:subset]
            x_train, y_train = x_train[chosen], y_train[chosen]
        arrays = (
            tf.constant(to_model_input(x_train, size)),
            tf.constant(y_train.astype(np.int32)),
            tf.constant(to_model_input(mnist.x_test, size)),
            tf.constant(mnist.y_test.astype(np.int32)),
        )
        while len(_DATA_CACHE) >= DATA_CACHE_ENTRIES:
            _DATA_CACHE.pop(next(iter(_DATA_CACHE)))
        # Keep the source array itself so a recycled id() can never return another data set.
        _DATA_CACHE[key] = (mnist.x_train, arrays)
        return arrays


def training_dataset(x, y, batch_size: int, seed: int, augment: bool = False):
    """A ``tf.data`` pipeline of shuffled batches gathered from in-memory tensors.

    Shuffling indices (not images) and gathering a whole batch at once costs a fraction of
    slicing element by element; the order is reshuffled every epoch, as ``fit`` does.
    """
    import tensorflow as tf

    count = int(x.shape[0])
    indices = tf.data.Dataset.range(count).shuffle(count, seed=seed, reshuffle_each_iteration=True)
    dataset = indices.batch(batch_size).map(
        lambda batch: (tf.gather(x, batch), tf.gather(y, batch)),
        num_parallel_calls=1,
    )
    if augment:
        augmenter = augmentation_layers(seed)
        dataset = dataset.map(
            lambda images, labels: (augmenter(images, training=True), labels),
            num_parallel_calls=1,
        )
    return without_autotune(dataset.prefetch(2))


def without_autotune(dataset):
    """``dataset`` with tf.data's autotuning turned off.

    Its parallelism is fixed anyway, and the autotuner's background thread made deleting an
    iterator (at the end of every epoch and every ``predict``) wait for the thread's next wake-up,
    which comes ever later as the iterator ages: pauses of 14-16 s with both cores idle in three
    of four monitored AlexNet runs (``py-spy dump``: the training thread waiting in
    ``IteratorResource::~IteratorResource``), and up to 40 s in the seed's own ``fit``.
    """
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def augmentation_layers(seed: int):
    """Random shifts, small rotations and zooms (what a handwritten digit may vary by)."""
    import keras
    from keras import layers

    return keras.Sequential(
        [
            layers.RandomTranslation(AUGMENT_TRANSLATION, AUGMENT_TRANSLATION, seed=seed),
            layers.RandomRotation(AUGMENT_ROTATION, seed=seed + 1),
            layers.RandomZoom(AUGMENT_ZOOM, seed=seed + 2),
        ],
        name="augmentation",
    )


def evaluate_probabilities(
    model: keras.Model, x_test, y_test: np.ndarray
) -> tuple[float, float, np.ndarray]:
    """``(loss, accuracy, probabilities)`` of ``model`` on a test set, in big batches."""
    import tensorflow as tf

    # Our own pipeline, not predict's default one: that one is autotuned (see without_autotune).
    batches = without_autotune(
        tf.data.Dataset.from_tensor_slices(x_test).batch(VALIDATION_BATCH_SIZE)
    )
    probabilities = np.asarray(model.predict(batches, verbose=0), dtype=np.float32)
    return (*probability_metrics(probabilities, y_test), probabilities)


def probability_metrics(probabilities: np.ndarray, y_true: np.ndarray) -> tuple[float, float]:
    """``(loss, accuracy)`` of (N, 10) predicted probabilities: mean cross-entropy, hit rate."""
    true_probability = probabilities[np.arange(len(y_true)), y_true]
    loss = float(np.mean(-np.log(np.clip(true_probability, PROBABILITY_EPSILON, 1.0))))
    accuracy = float(np.mean(np.argmax(probabilities, axis=1) == y_true))
    return loss, accuracy


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """(10, 10) counts: row = true digit, column = predicted digit."""
    flat = np.bincount(y_true.astype(np.int64) * MNIST_CLASSES + y_pred, minlength=MNIST_CLASSES**2)
    return flat.reshape(MNIST_CLASSES, MNIST_CLASSES)


# ---------------------------------------------------------------------------------------------
# The server-wide queue


class _TrainingSlots:
    """A fair (first come, first served) limit on how many jobs train at once."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._waiting: list[_JobState] = []
        self._running = 0

    def acquire(self, state: _JobState) -> bool:
        """Wait for a slot; False if the job was asked to stop while it waited."""
        with self._condition:
            self._waiting.append(state)
            try:
                while True:
                    if state.stop_event.is_set():
                        return False
                    if self._waiting[0] is state and self._running < max_concurrent_trainings():
                        self._running += 1
                        return True
                    self._condition.wait(timeout=0.5)
            finally:
                self._waiting.remove(state)
                self._condition.notify_all()

    def release(self) -> None:
        with self._condition:
            self._running -= 1
            self._condition.notify_all()

    def position(self, state: _JobState) -> int | None:
        with self._condition:
            return self._waiting.index(state) + 1 if state in self._waiting else None

    def wake(self) -> None:
        with self._condition:
            self._condition.notify_all()

    @property
    def running(self) -> int:
        with self._condition:
            return self._running


TRAINING_SLOTS = _TrainingSlots()


# ---------------------------------------------------------------------------------------------
# The job


@dataclass
class _JobState:
    """Everything the training thread touches. The thread never holds the TrainingJob itself,
    so dropping the job (e.g. when a Streamlit session ends) lets its finaliser run."""

    config: TrainingConfig
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop_event: threading.Event = field(default_factory=threading.Event)
    done_event: threading.Event = field(default_factory=threading.Event)
    status: str = "queued"
    batch_steps: list[int] = field(default_factory=list)
    batch_loss: list[float] = field(default_factory=list)
    batch_accuracy: list[float] = field(default_factory=list)
    epochs: list[EpochRecord] = field(default_factory=list)
    epoch: int = 0
    batches_done: int = 0
    steps_per_epoch: int = 0
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None
    traceback: str | None = None
    result: TrainingResult | None = None

    def request_stop(self) -> None:
        self.stop_event.set()
        with self.lock:
            if self.status == "running":
                self.status = "stopping"
        TRAINING_SLOTS.wake()


def live_metrics_callback(state: _JobState, validation: tuple, steps_per_epoch: int):
    """A :class:`LiveMetrics` callback (built here so keras is imported only when training)."""
    import keras

    class LiveMetricsCallback(LiveMetrics, keras.callbacks.Callback):
        pass

    return LiveMetricsCallback(state, validation, steps_per_epoch)


class LiveMetrics:
    """Mixed into a Keras callback: records live metrics into a job's state, honours stops.

    Keras calls ``on_train_batch_end`` once per group of ``steps_per_execution`` batches; the
    ``batch`` it passes is the index of the group's last batch in the epoch.
    """

    def __init__(self, state: _JobState, validation: tuple, steps_per_epoch: int) -> None:
        super().__init__()
        self.state = state
        self.x_test, self.y_test = validation
        self.steps_per_epoch = steps_per_epoch
        self.epoch_started = 0.0
        self.last_probabilities: np.ndarray | None = None

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self.epoch_started = time.perf_counter()
        with self.state.lock:
            self.state.epoch = epoch + 1

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        logs = logs or {}
        # keras reports a partial last group as if it were whole: clamp to the epoch's end.
        step = (self.state.epoch - 1) * self.steps_per_epoch + min(batch + 1, self.steps_per_epoch)
        loss, accuracy = float(logs.get("loss", math.nan)), float(logs.get("accuracy", math.nan))
        with self.state.lock:
            self.state.batches_done = step
            self.state.batch_steps.append(step)
            self.state.batch_loss.append(loss)
            self.state.batch_accuracy.append(accuracy)
        if self.state.stop_event.is_set():
            self.model.stop_training = True

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        logs = logs or {}
        val_loss = val_accuracy = None
        self.last_probabilities = None
        if not self.state.stop_event.is_set():
            # Validation on the test set, as the seed's validation_data does, in big batches.
            val_loss, val_accuracy, self.last_probabilities = evaluate_probabilities(
                self.model, self.x_test, self.y_test
            )
        record = EpochRecord(
            epoch=epoch + 1,
            loss=float(logs.get("loss", math.nan)),
            accuracy=float(logs.get("accuracy", math.nan)),
            val_loss=val_loss,
            val_accuracy=val_accuracy,
            seconds=time.perf_counter() - self.epoch_started,
        )
        with self.state.lock:
            self.state.epochs.append(record)
        if self.state.stop_event.is_set():
            self.model.stop_training = True


def _run_job(
    state: _JobState, mnist: Mnist, extra_callbacks: Sequence[Any], on_finish: Callable | None
) -> None:
    """The thread's body: queue, train, evaluate; every outcome ends in a final status."""
    slot_taken = False
    try:
        slot_taken = TRAINING_SLOTS.acquire(state)
        if not slot_taken or state.stop_event.is_set():  # stopped while it waited its turn
            with state.lock:
                state.status = "stopped"
            return
        with state.lock:
            # A stop may land between the check above and here: show it, don't say "running".
            state.status = "stopping" if state.stop_event.is_set() else "running"
            state.started_at = time.perf_counter()
        state.result = _train(state, mnist, extra_callbacks)
        with state.lock:
            state.status = "stopped" if state.stop_event.is_set() else "finished"
    except BaseException as error:  # reported to the UI and the log, never swallowed silently
        details = traceback.format_exc()
        LOGGER.error("Training %s failed:\n%s", state.config, details)
        with state.lock:
            state.status = "failed"
            state.error = f"{type(error).__name__}: {error}"
            state.traceback = details
    finally:
        if slot_taken:
            TRAINING_SLOTS.release()
        with state.lock:
            state.finished_at = time.perf_counter()
        state.done_event.set()
        if on_finish is not None:
            on_finish()


def _train(state: _JobState, mnist: Mnist, extra_callbacks: Sequence[Any]) -> TrainingResult:
    config = state.config
    recipe_size = config.recipe.input_size
    x_train, y_train, x_test, y_test = training_arrays(
        mnist, recipe_size, config.subset, config.seed
    )
    y_test_numpy = y_test.numpy()
    steps_per_epoch = math.ceil(int(x_train.shape[0]) / config.batch_size)
    # Small subsets still get several live points per epoch.
    steps_per_execution = max(
        1, min(STEPS_PER_EXECUTION[config.model], steps_per_epoch // MIN_POINTS_PER_EPOCH)
    )
    with state.lock:
        state.steps_per_epoch = steps_per_epoch
    model = build_model(config, jit_compile=False, steps_per_execution=steps_per_execution)
    # Every core on its own slice of each batch; the same weight updates (see cnnviz.parallel).
    shard_steps(model, training_shards(model))
    live = live_metrics_callback(state, (x_test, y_test_numpy), steps_per_epoch)
    dataset = training_dataset(x_train, y_train, config.batch_size, config.seed, config.augment)
    model.fit(
        dataset,
        epochs=config.resolved_epochs,
        verbose=0,
        shuffle=False,  # the dataset reshuffles itself every epoch
        callbacks=[live, *extra_callbacks],
    )
    # The last epoch's validation pass already evaluated these exact weights on the test set.
    probabilities = live.last_probabilities
    if config.precision != "float32":
        # Hand over a float32 model with the trained weights (it predicts on the canvas and saves
        # like any other, fast on CPUs without bfloat16 too), and test that model.
        model = float32_copy(model)
        probabilities = None
    if probabilities is not None:
        test_loss, test_accuracy = probability_metrics(probabilities, y_test_numpy)
    else:
        test_loss, test_accuracy, probabilities = evaluate_probabilities(
            model, x_test, y_test_numpy
        )
    with state.lock:
        epochs = tuple(state.epochs)
    return TrainingResult(
        model=model,
        test_accuracy=test_accuracy,
        test_loss=test_loss,
        confusion=confusion_matrix(y_test_numpy, np.argmax(probabilities, axis=1)),
        test_probabilities=probabilities,
        seconds_per_epoch=tuple(record.seconds for record in epochs),
        epochs=epochs,
    )


class TrainingJob:
    """One training run of a :class:`~cnnviz.models.TrainingConfig` on MNIST, in the background.

    Keep the job in ``st.session_state``; when the session lets go of it, a finaliser asks the
    thread to stop so its model can be freed. ``extra_callbacks`` are added to ``fit``'s
    callbacks (tests use one to raise inside training).
    """

    def __init__(
        self,
        config: TrainingConfig,
        mnist: Mnist,
        *,
        extra_callbacks: Sequence[Any] = (),
        on_finish: Callable[[], None] | None = None,
    ) -> None:
        if not isinstance(config, TrainingConfig):
            raise ValueError(f"config must be a TrainingConfig, got {type(config).__name__}.")
        self.config = config
        self._mnist = mnist
        self._state = _JobState(config=config)
        self._extra_callbacks = tuple(extra_callbacks)
        self._on_finish = on_finish
        self._thread: threading.Thread | None = None
        # Runs when this object is garbage-collected (or at interpreter exit).
        self._finalizer = weakref.finalize(self, self._state.request_stop)

    def start(self) -> TrainingJob:
        """Start training in a daemon thread (queued if the server is busy); returns at once."""
        if self._thread is not None:
            raise ValueError("This job was already started; create a new TrainingJob.")
        self._thread = threading.Thread(
            target=_run_job,
            args=(self._state, self._mnist, self._extra_callbacks, self._on_finish),
            name=f"cnnviz-training-{self.config.model}",
            daemon=True,
        )
        self._mnist = None  # the thread holds what it needs
        self._thread.start()
        return self

    def request_stop(self) -> None:
        """Ask the job to stop; it stops at the end of the current group of batches."""
        self._state.request_stop()

    @property
    def done(self) -> bool:
        """Whether the job has ended (finished, stopped or failed)."""
        return self._state.done_event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends or ``timeout`` seconds pass; True if it ended."""
        return self._state.done_event.wait(timeout)

    @property
    def result(self) -> TrainingResult | None:
        """The trained model and its evaluation, once the job finished or was stopped."""
        return self._state.result if self.done else None

    @property
    def traceback(self) -> str | None:
        """The full traceback of a failed job, for logs (show users :attr:`JobSnapshot.error`)."""
        return self._state.traceback

    def snapshot(self) -> JobSnapshot:
        """A consistent copy of the live state, taken under the job's lock."""
        state = self._state
        position = TRAINING_SLOTS.position(state)
        with state.lock:
            total_epochs = self.config.resolved_epochs
            total_batches = state.steps_per_epoch * total_epochs
            now = state.finished_at if state.finished_at is not None else time.perf_counter()
            elapsed = now - state.started_at if state.started_at is not None else 0.0
            done = state.batches_done
            rate = done / elapsed if elapsed > 0 and done > 0 else 0.0  # batches per second
            eta = None
            if state.status in ("finished", "stopped", "failed"):
                eta = 0.0
            elif rate > 0 and total_batches:
                eta = max(0.0, (total_batches - done) / rate)
            progress = (
                1.0
                if state.status == "finished"
                else (done / total_batches if total_batches else 0.0)
            )
            return JobSnapshot(
                status=state.status,
                config=self.config,
                batch_steps=tuple(state.batch_steps),
                batch_loss=tuple(state.batch_loss),
                batch_accuracy=tuple(state.batch_accuracy),
                epochs=tuple(state.epochs),
                epoch=state.epoch,
                total_epochs=total_epochs,
                batches_done=done,
                total_batches=total_batches,
                progress=min(1.0, progress),
                elapsed_s=elapsed,
                images_per_second=rate * self.config.batch_size,
                eta_s=eta,
                error=state.error,
                queue_position=position if state.status == "queued" else None,
            )

    def history(self) -> dict[str, Any]:
        """The job's history as a JSON-friendly dict (what the CLI writes beside a model)."""
        snapshot = self.snapshot()
        result = self.result
        return {
            "config": self.config.as_dict(),
            "status": snapshot.status,
            "steps_per_epoch": self._state.steps_per_epoch,
            "batch_steps": list(snapshot.batch_steps),
            "batch_loss": list(snapshot.batch_loss),
            "batch_accuracy": list(snapshot.batch_accuracy),
            "epochs": [record.__dict__ for record in snapshot.epochs],
            "test_accuracy": None if result is None else result.test_accuracy,
            "test_loss": None if result is None else result.test_loss,
            "seconds_per_epoch": [record.seconds for record in snapshot.epochs],
            "elapsed_s": snapshot.elapsed_s,
        }
