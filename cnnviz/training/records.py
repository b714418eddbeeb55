"""Run records and files: what a training job reports, hands over and saves (no TensorFlow).

A job's life is a :class:`JobStatus`; while it trains, the fitting code reports its progress as
a stream of small records (:class:`TrainingPlan`, :class:`EpochStarted`, :class:`BatchPoint`,
:class:`EpochRecord`), which the job folds into its live state; a page reads that state as a
:class:`JobSnapshot`; the end of a run is a :class:`TrainingResult`. The history of a run is
written beside its ``.keras`` file (:func:`history_path`) and read back for the shipped models
(:func:`load_shipped_history`).
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cnnviz import MODELS_DIR
from cnnviz.models import TrainingConfig, config_from_dict, float32_copy, shipped_files

if TYPE_CHECKING:
    import keras

    from cnnviz.training.snapshots import FilterSnapshot


class JobStatus(StrEnum):
    """Where a job is in its life. A ``StrEnum``: each member equals (and prints as) its string,
    so pages, JSON histories and tests read ``"finished"`` as before."""

    QUEUED = "queued"  # waiting for one of the server's training slots
    RUNNING = "running"
    STOPPING = "stopping"  # asked to stop; ends at the end of the current group of batches
    FINISHED = "finished"
    STOPPED = "stopped"
    FAILED = "failed"

    @property
    def ended(self) -> bool:
        """Whether the job can change no more (finished, stopped or failed)."""
        return self in (JobStatus.FINISHED, JobStatus.STOPPED, JobStatus.FAILED)


# ---------------------------------------------------------------------------------------------
# The live stream: what the fitting code reports while it trains


@dataclass(frozen=True)
class TrainingPlan:
    """Sent once before the first batch: how long an epoch is."""

    steps_per_epoch: int


@dataclass(frozen=True)
class EpochStarted:
    """An epoch begins."""

    epoch: int  # 1-based


@dataclass(frozen=True)
class BatchPoint:
    """One live point, at the end of a group of batches."""

    step: int  # global batch index: batches done so far in the whole run
    loss: float  # running mean over the current epoch, as keras logs it
    accuracy: float


@dataclass(frozen=True)
class EpochRecord:
    """One finished epoch: training means over the epoch, validation on the test set.

    ``train_seconds`` and ``train_images`` time the training batches alone, for a speed per
    training image; histories written before they were recorded (the shipped models') read
    back with None there.
    """

    epoch: int  # 1-based
    loss: float
    accuracy: float
    val_loss: float | None  # None when the epoch was cut short by a stop
    val_accuracy: float | None
    seconds: float  # wall time of the epoch, validation included
    # Fit time of the epoch's training batches: no validation, and without the run's first group
    # of batches, which also traces the graph (seconds of start-up, whatever the subset).
    train_seconds: float | None = None
    train_images: int | None = None  # the images of the batches train_seconds timed


# ---------------------------------------------------------------------------------------------
# What a page reads, what a run hands over


@dataclass(frozen=True)
class JobSnapshot:
    """A consistent copy of a job's state at one moment (safe to read without a lock)."""

    status: JobStatus
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
    # The roles (cnnviz.training.queue.QueueRole) of the runs ahead of a queued job: those
    # training now, then those waiting before it; empty when not queued.
    queue_ahead: tuple[str, ...] = ()
    # The first layer every few seconds, oldest first (cnnviz.training.snapshots).
    filter_snapshots: tuple[FilterSnapshot, ...] = ()
    # The class's teacher stopped it (a Stop on the Class page, or a Start that needed the slot).
    stopped_by_teacher: bool = False


@dataclass(frozen=True)
class TrainingResult:
    """What a finished (or stopped) job hands over: picklable, so a worker process can send it.

    The model travels as the bytes of its ``.keras`` file (float32, without optimizer state);
    :attr:`model` loads it, uncompiled, the first time it is read.
    """

    model_file: bytes
    test_accuracy: float
    test_loss: float
    confusion: np.ndarray  # (10, 10) int, rows = true digit, columns = predicted digit
    test_probabilities: np.ndarray  # (N, 10) float32
    seconds_per_epoch: tuple[float, ...]
    epochs: tuple[EpochRecord, ...] = ()

    @functools.cached_property
    def model(self) -> keras.Model:
        """The trained model (loaded once from :attr:`model_file`; uncompiled, for predicting)."""
        import keras  # lazy: only a page that uses the model pays for TensorFlow

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "model.keras"
            path.write_bytes(self.model_file)
            return keras.models.load_model(path, safe_mode=True, compile=False)

    def history_csv(self) -> str:
        """The per-epoch history as CSV text (one row per epoch)."""
        return epochs_to_csv(self.epochs)

    def model_bytes(self) -> bytes:
        """The trained model as the bytes of a ``.keras`` file, without optimizer state."""
        return self.model_file


# ---------------------------------------------------------------------------------------------
# Files


def epochs_to_csv(epochs: Sequence[EpochRecord]) -> str:
    """Epoch records as CSV: epoch,loss,accuracy,val_loss,val_accuracy,seconds.

    >>> print(epochs_to_csv([EpochRecord(1, 0.5, 0.8, None, None, 1.25)]), end="")
    epoch,loss,accuracy,val_loss,val_accuracy,seconds
    1,0.500000,0.800000,,,1.250
    """
    lines = ["epoch,loss,accuracy,val_loss,val_accuracy,seconds"]
    for record in epochs:
        values = [record.loss, record.accuracy, record.val_loss, record.val_accuracy]
        cells = ["" if value is None else f"{value:.6f}" for value in values]
        lines.append(f"{record.epoch},{','.join(cells)},{record.seconds:.3f}")
    return "\n".join(lines) + "\n"


def keras_file_bytes(model: keras.Model) -> bytes:
    """``model`` as the bytes of a ``.keras`` file, without optimizer state (see below)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        save_without_optimizer(model, path)
        return path.read_bytes()


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
    files = shipped_files()
    if name not in files:
        raise ValueError(f"No shipped model '{name}'; choose one of {sorted(files)}.")
    path = history_path(MODELS_DIR / files[name])
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: train it with `python -m cnnviz.train {name}`."
        )
    return json.loads(path.read_text(encoding="utf-8"))


def trained_config(model_path: str | os.PathLike) -> TrainingConfig | None:
    """How the model in ``model_path`` was trained, from the history beside it; None when there
    is no readable history (a model trained elsewhere)."""
    path = history_path(model_path)
    try:
        return config_from_dict(json.loads(path.read_text(encoding="utf-8"))["config"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def history_path(model_path: str | os.PathLike) -> Path:
    """Where the history of a model file lives: ``lenet5.keras`` → ``lenet5.history.json``.

    >>> history_path("models/lenet5.keras").name
    'lenet5.history.json'
    """
    model_path = Path(model_path)
    return model_path.with_name(model_path.stem + ".history.json")
