"""A stand-in for a training job, for page tests that need a run in a given state without
training one: it answers what the page asks a ``TrainingJob`` (snapshot, done, result)."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from cnnviz import models
from cnnviz.training import EpochRecord, JobSnapshot, JobStatus, TrainingResult
from cnnviz.training.records import keras_file_bytes


@functools.cache
def model_file(model_key: str) -> bytes:
    """The ``.keras`` bytes of an untrained model (built once per test session)."""
    return keras_file_bytes(models.MODEL_SPECS[model_key].builder())


def fake_result(
    model_key: str, test_accuracy: float, test_count: int, test_loss: float = 1.5
) -> TrainingResult:
    """A result with ``test_accuracy`` and made-up test answers for ``test_count`` digits."""
    probabilities = np.random.default_rng(0).dirichlet(np.ones(10), size=test_count)
    confusion = np.zeros((10, 10), dtype=np.int64)
    confusion[np.arange(10), np.arange(10)] = test_count // 10
    return TrainingResult(
        model_file=model_file(model_key),
        test_accuracy=test_accuracy,
        test_loss=test_loss,
        confusion=confusion,
        test_probabilities=probabilities.astype(np.float32),
        seconds_per_epoch=(3.0,),
        epochs=(EpochRecord(1, 2.0, test_accuracy, 2.0, test_accuracy, 3.0),),
    )


@dataclass
class FakeJob:
    """A job frozen in one state. ``losses`` become per-batch points 1, 2, 3 …"""

    config: models.TrainingConfig
    status: JobStatus = JobStatus.RUNNING
    losses: Sequence[float] = (2.3, 2.0, 1.7)
    images_per_epoch: int = 512
    batches_done: int | None = None  # default: one per loss
    total_batches: int | None = None  # default: images_per_epoch / batch size × epochs
    epochs: tuple[EpochRecord, ...] = ()
    result: TrainingResult | None = None
    queue_position: int | None = None
    stop_requests: list[str] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.status.ended

    def start(self) -> FakeJob:
        return self

    def request_stop(self) -> None:
        self.stop_requests.append("stop")

    def abandon(self) -> None:
        self.stop_requests.append("abandon")

    def snapshot(self) -> JobSnapshot:
        steps = tuple(range(1, len(self.losses) + 1))
        total_epochs = self.config.resolved_epochs
        total = self.total_batches
        if total is None:
            total = math.ceil(self.images_per_epoch / self.config.batch_size) * total_epochs
        done = len(steps) if self.batches_done is None else self.batches_done
        return JobSnapshot(
            status=self.status,
            config=self.config,
            batch_steps=steps,
            batch_loss=tuple(self.losses),
            batch_accuracy=tuple(0.1 for _ in steps),
            epochs=self.epochs,
            epoch=0 if self.status == JobStatus.QUEUED else max(len(self.epochs), 1),
            total_epochs=total_epochs,
            batches_done=done,
            total_batches=total,
            progress=done / total if total else 0.0,
            elapsed_s=0.0 if self.status == JobStatus.QUEUED else 4.0,
            images_per_second=0.0 if self.status == JobStatus.QUEUED else 500.0,
            eta_s=None,
            error=None,
            queue_position=self.queue_position,
        )
