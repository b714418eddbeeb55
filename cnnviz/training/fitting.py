"""The fit itself: MNIST as in-memory tensors, the tf.data pipeline, live metrics, evaluation.

This is the only module of :mod:`cnnviz.training` that imports TensorFlow, at its top; the job
imports it lazily, when a training starts. :func:`fit` trains one
:class:`~cnnviz.models.TrainingConfig` and reports its progress as a stream of records
(:mod:`cnnviz.training.records`) through a ``report`` callable, so the same code feeds a job's
state in this process or a pipe to the server from a worker process.

How fast it trains (same model, same batch size, same epochs as the seed recipes; the figures are
in ``bench/README.md``):

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
  at the same time, with one TensorFlow thread per operation (:mod:`cnnviz.parallel`).
* Adam runs as one fused TensorFlow kernel per weight (:mod:`cnnviz.optimizers`).
* XLA (``jit_compile``) is off: on a 2-core CPU it is slower than TensorFlow's oneDNN kernels
  for these small convolutions (bench/README.md, "XLA").
* ``TrainingConfig.precision="mixed_bfloat16"`` (not the default: the seed computes in float32)
  multiplies in bfloat16 on CPUs that have it; the model is handed over in float32.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from cnnviz.data import Mnist, to_model_input
from cnnviz.evaluation import confusion_counts, probability_metrics
from cnnviz.models import TrainingConfig, build_model, float32_copy, held_out_count
from cnnviz.parallel import shard_steps, training_shards
from cnnviz.training.records import (
    BatchPoint,
    EpochRecord,
    EpochStarted,
    TrainingPlan,
    TrainingResult,
    keras_file_bytes,
)
from cnnviz.training.snapshots import (
    PROBE_INDEX,
    SNAPSHOT_SECONDS,
    FilterSnapshot,
    SnapshotSchedule,
)

# Training steps per call into the graph: the callback (live points, stop) runs once per group.
# Sized so a group takes well under a second on a laptop CPU (the step times behind it: the
# training-speed rows of bench/README.md), so a Stop lands and the charts move at least that often.
STEPS_PER_EXECUTION = {"lenet": 16, "lenet_original": 16, "alexnet": 4}
MIN_POINTS_PER_EPOCH = 8  # live points per epoch at least, however small the subset
VALIDATION_BATCH_SIZE = 1000  # evaluation only: big batches are much cheaper per image
DATA_CACHE_ENTRIES = 2  # resized training sets kept in memory (full LeNet set: 245 MB float32)
# Small, label-preserving changes a handwritten digit could have anyway.
AUGMENT_TRANSLATION = 0.08  # fraction of the side
AUGMENT_ROTATION = 0.04  # fraction of a full turn (≈ 14°)
AUGMENT_ZOOM = 0.08

Report = Callable[[object], None]  # receives each record of the live stream, in order


# ---------------------------------------------------------------------------------------------
# Data: scaled and resized once, then fed from memory


_DATA_CACHE: dict[tuple, tuple] = {}
_DATA_CACHE_LOCK = threading.Lock()


def training_arrays(mnist: Mnist, size: tuple[int, int], subset: int | None, seed: int) -> tuple:
    """``(x_train, y_train, x_test, y_test)`` as TF tensors, scaled to [0, 1] and resized.

    x is (N, H, W, 1) float32, y is (N,) int32. The subset is the first ``subset`` images of a
    permutation drawn from ``seed``. Cached in-process: resizing 60,000 images costs seconds.
    """
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


def training_dataset(x, y, batch_size: int, seed: int, augment: bool = False) -> tf.data.Dataset:
    """A ``tf.data`` pipeline of shuffled batches gathered from in-memory tensors.

    Shuffling indices (not images) and gathering a whole batch at once costs a fraction of
    slicing element by element; the order is reshuffled every epoch, as ``fit`` does.
    """
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


def without_autotune(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """``dataset`` with tf.data's autotuning turned off.

    Its parallelism is fixed anyway, and the autotuner's background thread made deleting an
    iterator (at the end of every epoch and every ``predict``) wait for the thread's next wake-up,
    which comes ever later as the iterator ages: pauses of many seconds with both cores idle
    (``py-spy dump``: the training thread waiting in ``IteratorResource::~IteratorResource``).
    """
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def augmentation_layers(seed: int) -> keras.Sequential:
    """Random shifts, small rotations and zooms (what a handwritten digit may vary by)."""
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
    # Our own pipeline, not predict's default one: that one is autotuned (see without_autotune).
    batches = without_autotune(
        tf.data.Dataset.from_tensor_slices(x_test).batch(VALIDATION_BATCH_SIZE)
    )
    probabilities = np.asarray(model.predict(batches, verbose=0), dtype=np.float32)
    return (*probability_metrics(probabilities, y_test), probabilities)


# ---------------------------------------------------------------------------------------------
# Live metrics


class FirstLayerProbe:
    """Copies a model's first convolution: its filters and its maps for one fixed probe digit.

    The sub-model from the input to that layer is built and traced once; one copy costs a
    forward pass of a single image through the first layer (and AlexNet's resizing) plus
    reading the kernel.
    """

    def __init__(self, model: keras.Model, probe: tf.Tensor) -> None:
        convolutions = [layer for layer in model.layers if isinstance(layer, layers.Conv2D)]
        if not convolutions:
            raise ValueError(f"Model '{model.name}' has no convolution to take snapshots of.")
        self.layer = convolutions[0]
        self.probe = probe  # (1, H, W, 1), as the model takes it
        submodel = keras.Model(model.inputs, self.layer.output)
        # Traced once into a graph: called eagerly, keras walks the layers in Python (tens of
        # ms on a busy machine, as long as many training steps); traced, a fraction of a ms.
        self.forward = tf.function(lambda images: submodel(images, training=False))

    def take(self, step: int, elapsed_s: float) -> FilterSnapshot:
        # keras keeps (kernel height, kernel width, input channels, filters); one grey channel.
        kernel = np.asarray(self.layer.kernel, dtype=np.float32)[:, :, 0, :]
        maps = self.forward(self.probe)  # (1, H, W, filters)
        return FilterSnapshot(
            step=step,
            elapsed_s=elapsed_s,
            kernels=np.moveaxis(kernel, -1, 0),
            maps=np.asarray(tf.cast(maps, tf.float32))[0],
        )


class LiveMetrics(keras.callbacks.Callback):
    """Reports live metrics as records of the stream and turns a stop request into a stop.

    Keras calls ``on_train_batch_end`` once per group of ``steps_per_execution`` batches; the
    ``batch`` it passes is the index of the group's last batch in the epoch. With a ``probe``,
    it also reports a :class:`~cnnviz.training.snapshots.FilterSnapshot` before the first
    batch, whenever its ``schedule`` says one is due, and after the last batch.

    Each group of batches is timed from keras' call before it to its call after it, so an
    epoch's ``train_seconds`` hold the fit of its training batches only: not the validation
    after them, nor our own reporting, nor the run's first group, which also traces the graph.
    """

    def __init__(
        self,
        report: Report,
        stop_requested: Callable[[], bool],
        validation: tuple,
        steps_per_epoch: int,
        probe: FirstLayerProbe | None = None,
        schedule: SnapshotSchedule | None = None,
        *,
        batch_size: int,
        epoch_images: int,
    ) -> None:
        super().__init__()
        self.report = report
        self.stop_requested = stop_requested
        self.x_test, self.y_test = validation
        self.steps_per_epoch = steps_per_epoch
        self.batch_size = batch_size
        self.epoch_images = epoch_images  # the last batch of an epoch may be partial
        self.group_started = 0.0
        self.train_seconds = 0.0  # this epoch's timed training groups
        self.train_images = 0
        self.images_done = 0  # images of this epoch's batches so far, timed or not
        self.traced = False  # whether the run's first group (the graph's tracing) is behind
        self.probe = probe
        self.schedule = schedule if schedule is not None or probe is None else SnapshotSchedule()
        self.epoch = 0  # 1-based, the epoch in progress
        self.step = 0  # batches done in the whole run
        self.epoch_started = 0.0
        self.train_started = 0.0
        self.last_snapshot_step: int | None = None
        self.last_probabilities: np.ndarray | None = None

    def _snapshot(self) -> None:
        elapsed = time.perf_counter() - self.train_started
        self.report(self.probe.take(self.step, elapsed))
        self.schedule.taken(elapsed, self.step)
        self.last_snapshot_step = self.step

    def on_train_begin(self, logs=None) -> None:
        self.train_started = time.perf_counter()
        if self.probe is not None:
            self._snapshot()  # the random filters training starts from

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self.epoch_started = time.perf_counter()
        self.epoch = epoch + 1
        self.train_seconds, self.train_images, self.images_done = 0.0, 0, 0
        self.report(EpochStarted(self.epoch))

    def on_train_batch_begin(self, batch: int, logs=None) -> None:
        self.group_started = time.perf_counter()

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        seconds = time.perf_counter() - self.group_started
        logs = logs or {}
        # keras reports a partial last group as if it were whole: clamp to the epoch's end.
        steps_in_epoch = min(batch + 1, self.steps_per_epoch)
        images = min(steps_in_epoch * self.batch_size, self.epoch_images) - self.images_done
        self.images_done += images
        if self.traced:
            self.train_seconds += seconds
            self.train_images += images
        self.traced = True
        step = (self.epoch - 1) * self.steps_per_epoch + steps_in_epoch
        self.step = step
        loss, accuracy = float(logs.get("loss", math.nan)), float(logs.get("accuracy", math.nan))
        self.report(BatchPoint(step, loss, accuracy))
        if self.probe is not None and self.schedule.due(
            time.perf_counter() - self.train_started, step
        ):
            self._snapshot()
        if self.stop_requested():
            self.model.stop_training = True

    def on_train_end(self, logs=None) -> None:
        if self.probe is not None and self.last_snapshot_step != self.step:
            self._snapshot()  # the filters as training left them

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        logs = logs or {}
        timed = self.train_images > 0
        val_loss = val_accuracy = None
        self.last_probabilities = None
        stopping = self.stop_requested()
        if not stopping:
            # Validation on the test set, as the seed's validation_data does (or on held-out
            # training images), in big batches.
            val_loss, val_accuracy, self.last_probabilities = evaluate_probabilities(
                self.model, self.x_test, self.y_test
            )
        self.report(
            EpochRecord(
                epoch=epoch + 1,
                loss=float(logs.get("loss", math.nan)),
                accuracy=float(logs.get("accuracy", math.nan)),
                val_loss=val_loss,
                val_accuracy=val_accuracy,
                seconds=time.perf_counter() - self.epoch_started,
                # None when the epoch was the run's first group alone: nothing left to time.
                train_seconds=self.train_seconds if timed else None,
                train_images=self.train_images if timed else None,
            )
        )
        if stopping:
            self.model.stop_training = True


def hold_out(x_train, y_train, seed: int) -> tuple:
    """``(x_train, y_train, x_held, y_held)``: a seeded random ``HOLDOUT_SHARE`` of the training
    images (at least one) kept apart for validation, the rest to train on."""
    count = int(x_train.shape[0])
    held = held_out_count(count)
    order = np.random.default_rng(seed).permutation(count)
    kept, held_out = order[held:], order[:held]
    return (
        tf.gather(x_train, kept),
        tf.gather(y_train, kept),
        tf.gather(x_train, held_out),
        tf.gather(y_train, held_out),
    )


# ---------------------------------------------------------------------------------------------
# The fit


class _EpochCollector:
    """Passes each record on to ``report`` and keeps the epoch records for the result."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.epochs: list[EpochRecord] = []

    def __call__(self, record: object) -> None:
        if isinstance(record, EpochRecord):
            self.epochs.append(record)
        self.report(record)


def fit(
    config: TrainingConfig,
    mnist: Mnist,
    report: Report,
    stop_requested: Callable[[], bool],
    extra_callbacks: Sequence[keras.callbacks.Callback] = (),
    snapshot_seconds: float | None = SNAPSHOT_SECONDS,
) -> TrainingResult:
    """Train ``config`` on ``mnist``, reporting the live stream; returns the evaluated model.

    ``report`` receives a :class:`~cnnviz.training.records.TrainingPlan`, then per epoch an
    :class:`~cnnviz.training.records.EpochStarted`, its
    :class:`~cnnviz.training.records.BatchPoint` s and its
    :class:`~cnnviz.training.records.EpochRecord`. ``stop_requested`` is polled at every live
    point: once it is true, training ends at the end of the current group of batches and the
    model trained so far is evaluated and returned. ``extra_callbacks`` run after ours.
    Every ``snapshot_seconds`` (thinning out as the run grows: :mod:`cnnviz.training.snapshots`)
    it also reports a :class:`~cnnviz.training.snapshots.FilterSnapshot` of the first layer;
    ``None`` takes none.
    """
    collector = _EpochCollector(report)
    x_train, y_train, x_test, y_test = training_arrays(
        mnist, config.recipe.input_size, config.subset, config.seed
    )
    y_test_numpy = y_test.numpy()
    validation = (x_test, y_test_numpy)  # the seed validates on the test set
    if config.holdout:
        x_train, y_train, x_held, y_held = hold_out(x_train, y_train, config.seed)
        validation = (x_held, y_held.numpy())
    steps_per_epoch = math.ceil(int(x_train.shape[0]) / config.batch_size)
    # Small subsets still get several live points per epoch.
    steps_per_execution = max(
        1, min(STEPS_PER_EXECUTION[config.model], steps_per_epoch // MIN_POINTS_PER_EPOCH)
    )
    collector(TrainingPlan(steps_per_epoch))
    model = build_model(config, jit_compile=False, steps_per_execution=steps_per_execution)
    # Every core on its own slice of each batch; the same weight updates (see cnnviz.parallel).
    shard_steps(model, training_shards(model))
    probe = schedule = None
    if snapshot_seconds is not None:
        probe = FirstLayerProbe(model, x_test[PROBE_INDEX : PROBE_INDEX + 1])
        schedule = SnapshotSchedule(
            interval=snapshot_seconds, total_steps=steps_per_epoch * config.resolved_epochs
        )
    live = LiveMetrics(
        collector,
        stop_requested,
        validation,
        steps_per_epoch,
        probe,
        schedule,
        batch_size=config.batch_size,
        epoch_images=int(x_train.shape[0]),
    )
    dataset = training_dataset(x_train, y_train, config.batch_size, config.seed, config.augment)
    model.fit(
        dataset,
        epochs=config.resolved_epochs,
        verbose=0,
        shuffle=False,  # the dataset reshuffles itself every epoch
        callbacks=[live, *extra_callbacks],
    )
    # The last epoch's validation pass already evaluated these exact weights on the test set
    # (unless it validated on held-out training images).
    probabilities = None if config.holdout else live.last_probabilities
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
    epochs = tuple(collector.epochs)
    return TrainingResult(
        model_file=keras_file_bytes(model),
        test_accuracy=test_accuracy,
        test_loss=test_loss,
        confusion=confusion_counts(y_test_numpy, np.argmax(probabilities, axis=1)),
        test_probabilities=probabilities,
        seconds_per_epoch=tuple(record.seconds for record in epochs),
        epochs=epochs,
    )
