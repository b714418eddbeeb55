"""Using every CPU core for small convolutional networks: thread pools and batch shards.

TensorFlow can use several cores in two ways: *inside* an operation (the intra-op pool splits
one convolution across threads) or *between* operations (the inter-op pool runs independent
operations at the same time). For LeNet-5's tiny tensors (batch 32, at most 16 channels),
splitting one operation costs more in hand-offs than it saves. So cnnviz:

* gives TensorFlow one thread per operation and one inter-op thread per core on a machine with
  up to two cores (:func:`set_thread_defaults`, called when ``cnnviz`` is imported, before
  TensorFlow starts: it reads these settings once);
* cuts each batch into one *shard* per core inside the training step
  (:func:`shard_steps`). The shards' forward and backward passes do not depend on each other,
  so the inter-op pool runs them on different cores at once, and their gradients are summed
  before one optimizer step. The sum of the shards' per-image losses divided by the batch size
  *is* the batch's mean loss, so the weights move exactly as with the whole batch at once (up to
  float rounding): same model, same batch size, same optimizer, same recipe.

Two shards made a LeNet-5 step shorter on a 2-core laptop CPU (the step times are in
bench/README.md, "Training speed"). AlexNet is not sharded: Keras' dropout draws its random
masks from one shared seed variable, which forces the shards to run one after the other, so a
sharded step took almost twice as long; unsharded, it already keeps both cores busy. Set
``TF_NUM_INTRAOP_THREADS`` / ``TF_NUM_INTEROP_THREADS`` yourself to override the defaults
(``0`` means TensorFlow's own choice).
"""

from __future__ import annotations

import functools
import itertools
import os
from pathlib import Path
from types import MethodType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import keras

INTRA_OP_ENV_VAR = "TF_NUM_INTRAOP_THREADS"
INTER_OP_ENV_VAR = "TF_NUM_INTEROP_THREADS"
MAX_SHARDS = 4  # beyond this a shard of a 32-image batch is too small to pay for itself
MEASURED_MAX_CORES = 2  # the thread defaults were measured on a 2-core laptop CPU
BFLOAT16_CPU_FLAGS = {"avx512_bf16", "amx_bf16", "bf16"}  # x86 AVX512-BF16 and AMX, Arm BF16


def cpu_cores() -> int:
    """The cores this process may run on (a container's CPU set, not the host's core count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def native_bfloat16(cpuinfo: str | None = None) -> bool | None:
    """Whether this CPU multiplies bfloat16 numbers in hardware: x86's AVX512-BF16 or AMX-BF16,
    Arm's BF16. ``None`` where it cannot tell (no ``/proc/cpuinfo``, e.g. not Linux).

    ``cpuinfo`` is the text of ``/proc/cpuinfo`` (read from the system when not given).

    >>> native_bfloat16("flags\t: fpu sse2 avx2 avx512f avx512_bf16")
    True
    >>> native_bfloat16("flags\t: fpu sse2 avx2 avx512f")
    False
    """
    if cpuinfo is None:
        cpuinfo = _system_cpuinfo()
        if cpuinfo is None:
            return None
    flags: set[str] = set()
    for line in cpuinfo.splitlines():
        if line.startswith(("flags", "Features")):  # x86 says "flags", Arm "Features"
            flags.update(line.partition(":")[2].split())
    if not flags:
        return None
    return bool(flags & BFLOAT16_CPU_FLAGS)


@functools.cache  # the CPU does not change while the server runs; pages ask on every rerun
def _system_cpuinfo() -> str | None:
    try:
        return Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def thread_defaults(cores: int) -> dict[str, str]:
    """The TensorFlow thread settings cnnviz uses on a machine with ``cores`` cores.

    One thread per operation and one inter-op thread per core on up to
    :data:`MEASURED_MAX_CORES` cores, where it was measured to help both models. On bigger
    machines nothing: TensorFlow's own defaults, and no shards. (With one thread per
    operation AlexNet, which is not sharded, could then only use the few cores its graph keeps
    busy at once.)

    >>> thread_defaults(2)
    {'TF_NUM_INTRAOP_THREADS': '1', 'TF_NUM_INTEROP_THREADS': '2'}
    >>> thread_defaults(8)
    {}
    """
    if cores > MEASURED_MAX_CORES:
        return {}
    return {INTRA_OP_ENV_VAR: "1", INTER_OP_ENV_VAR: str(cores)}


def set_thread_defaults() -> None:
    """Put :func:`thread_defaults` in the environment, unless it already says otherwise. Takes
    effect only if TensorFlow has not started yet."""
    for name, value in thread_defaults(cpu_cores()).items():
        os.environ.setdefault(name, value)


def training_shards(model: keras.Model) -> int:
    """How many shards to cut a training batch of ``model`` into: one per core (at most
    :data:`MAX_SHARDS`); 1 when the model has dropout (its shared seed variable serialises the
    shards) or when TensorFlow was told to split operations itself (``TF_NUM_INTRAOP_THREADS``
    other than 1)."""
    from keras import layers

    if os.environ.get(INTRA_OP_ENV_VAR) != "1":
        return 1
    if any(isinstance(layer, layers.Dropout) for layer in model.layers):
        return 1
    return min(cpu_cores(), MAX_SHARDS)


def shard_bounds(batch_size, shards: int) -> list:
    """Where shard ``i`` of a batch starts and ends: ``bounds[i]:bounds[i + 1]``.

    Works on Python ints and on TensorFlow scalars alike; the shards differ in size by at most
    one image, and some are empty when the batch has fewer images than shards (the sharded
    steps then take the batch whole).

    >>> shard_bounds(32, 2)
    [0, 16, 32]
    >>> shard_bounds(5, 4)
    [0, 1, 2, 3, 5]
    """
    return [0] + [(batch_size * (index + 1)) // shards for index in range(shards)]


def shard_steps(model: keras.Model, shards: int) -> keras.Model:
    """Make ``fit`` train each batch of ``model`` as ``shards`` independent slices.

    Replaces the model's ``train_step`` on this object only (when ``shards`` > 1): the class,
    prediction, the saved ``.keras`` file and every other model are untouched. The model must
    be compiled with sparse categorical cross-entropy (as :func:`cnnviz.models.build_model`
    does) and have no weight or activity regularisers, whose losses the sharded step does not
    add. Returns ``model``.

    Raises
    ------
    ValueError
        If ``shards`` is not a positive integer, or the model has a regulariser.
    """
    if not isinstance(shards, int) or isinstance(shards, bool) or shards < 1:
        raise ValueError(f"shards must be a positive integer, got {shards!r}.")
    regularised = [
        layer.name
        for layer in model.layers
        for attribute in ("kernel_regularizer", "bias_regularizer", "activity_regularizer")
        if getattr(layer, attribute, None) is not None
    ]
    if regularised:
        raise ValueError(
            f"Layers {sorted(set(regularised))} have regularisers, which the sharded training "
            "step does not add to the loss; train this model without shard_steps."
        )
    if shards > 1:
        model.train_step = MethodType(_sharded_train_step(shards), model)
    return model


def _sharded_train_step(shards: int):
    import keras
    import tensorflow as tf

    def gradients_and_predictions(model, x, y, bounds, batch_size):
        """Summed gradients, predictions and mean loss of the batch, computed slice by slice."""
        gradients, predictions, batch_loss = None, [], 0.0
        for start, end in itertools.pairwise(bounds):
            with tf.GradientTape() as tape:
                slice_predictions = model(x[start:end], training=True)
                # The slice's share of the batch mean: its summed loss over the whole batch size.
                per_image = keras.losses.sparse_categorical_crossentropy(
                    y[start:end], slice_predictions
                )
                slice_loss = tf.reduce_sum(per_image) / tf.cast(batch_size, tf.float32)
            slice_gradients = tape.gradient(slice_loss, model.trainable_weights)
            gradients = (
                slice_gradients
                if gradients is None
                else [total + part for total, part in zip(gradients, slice_gradients, strict=True)]
            )
            predictions.append(slice_predictions)
            batch_loss += slice_loss
        return gradients, tf.concat(predictions, axis=0), batch_loss

    def train_step(self: keras.Model, data: Any) -> dict:
        """Keras' own train step (keras/src/backend/tensorflow/trainer.py), batch in shards."""
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)  # the engine passes no weights
        batch_size = tf.shape(x)[0]
        # An empty shard would crash the convolutions: an epoch's last, smaller batch may have
        # fewer images than shards, and then goes through whole.
        gradients, predictions, batch_loss = tf.cond(
            batch_size >= shards,
            lambda: gradients_and_predictions(
                self, x, y, shard_bounds(batch_size, shards), batch_size
            ),
            lambda: gradients_and_predictions(self, x, y, [0, batch_size], batch_size),
        )
        self._loss_tracker.update_state(batch_loss, sample_weight=batch_size)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_weights, strict=True))
        return self.compute_metrics(x, y, predictions, sample_weight=None)

    return train_step
