"""Filters that learn: snapshots of the first layer while a network trains (no TensorFlow).

Every :data:`SNAPSHOT_SECONDS` of training, and every ``MAX_SNAPSHOTS - 2``-th part of the
run's length (so that a run over in seconds has pictures to scrub too), the fitting code copies
the first convolution's filters and its feature maps for one fixed probe digit
(:data:`PROBE_INDEX` of the MNIST test set) into a :class:`FilterSnapshot`, a record of the
live stream like a batch point. A :class:`SnapshotSeries` keeps at most :data:`MAX_SNAPSHOTS` of
them: when it is full it drops every other one (keeping the newest), and the fitting code's
:class:`SnapshotSchedule` doubles its spacings at the same moment, so the snapshots stay spread
over the whole run however long it lasts, and the memory stays bounded (AlexNet: 48 filters of
11 × 11 and 14 × 14 × 48 maps, 61 KB a snapshot in float32).

History files keep snapshots quantised to 8 bits and compressed (:meth:`FilterSnapshot.as_json`):
enough for a grey or red-blue picture, about 5 KB a snapshot for LeNet-5.

Examples
--------
>>> schedule = SnapshotSchedule(interval=1.0, capacity=4)
>>> taken = [t for t in range(40) if schedule.due(t) and schedule.taken(t) is None]
>>> taken                       # 1 s apart, then 2 s, then 4 s ... as the series thins
[0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32]
>>> series = SnapshotSeries(capacity=4)
>>> for t in taken:
...     series.add(t)
>>> series.items                # evenly spread over the run, the newest kept, never over 4
(0, 16, 32)
"""

from __future__ import annotations

import base64
import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "MAX_SNAPSHOTS",
    "PROBE_INDEX",
    "SNAPSHOT_SECONDS",
    "FilterSnapshot",
    "SnapshotSchedule",
    "SnapshotSeries",
    "thin",
]

# Every few seconds of training: a live view redraws about every second, so a new picture every
# 2 s is visibly alive, and copying AlexNet's first layer (a few ms) that often costs well under
# 1% of its training time (bench/README.md).
SNAPSHOT_SECONDS = 2.0
# Enough pictures for a smooth scrub through a run, few enough to keep a history file small.
MAX_SNAPSHOTS = 24
# The probe digit: MNIST's first test image (a 7), the same for every run, so runs compare.
PROBE_INDEX = 0
QUANTISATION_LEVELS = 255  # 8 bits per value in a history file


def thin(items: Sequence[Any]) -> list[Any]:
    """Every other item, counted from the newest, so the newest is always kept.

    >>> thin([0, 1, 2, 3, 4])
    [0, 2, 4]
    >>> thin([0, 1, 2, 3])
    [1, 3]
    """
    return list(items)[::-1][::2][::-1]


@dataclass(frozen=True)
class FilterSnapshot:
    """The first convolution at one moment of training, as a record of the live stream.

    Attributes
    ----------
    step : int
        Batches trained so far when it was taken (0: the untrained, random filters).
    elapsed_s : float
        Seconds of training so far.
    kernels : ndarray, shape (filters, kernel height, kernel width), float32
        Each filter's weights on the grey input channel.
    maps : ndarray, shape (H, W, filters), float32
        The layer's output (after its activation) for the probe digit.
    """

    step: int
    elapsed_s: float
    kernels: np.ndarray
    maps: np.ndarray

    def __post_init__(self) -> None:
        kernels = np.array(self.kernels, dtype=np.float32)
        maps = np.array(self.maps, dtype=np.float32)
        if kernels.ndim != 3 or maps.ndim != 3 or kernels.shape[0] != maps.shape[2]:
            raise ValueError(
                "A filter snapshot needs kernels (filters, height, width) and maps "
                f"(H, W, filters) with as many filters, got {kernels.shape} and {maps.shape}."
            )
        kernels.flags.writeable = maps.flags.writeable = False  # shared between readers
        object.__setattr__(self, "kernels", kernels)
        object.__setattr__(self, "maps", maps)

    @property
    def nbytes(self) -> int:
        return self.kernels.nbytes + self.maps.nbytes

    def as_json(self) -> dict[str, Any]:
        """A JSON-friendly dict: each array quantised to 8 bits, compressed, base64-encoded."""
        return {
            "step": self.step,
            "elapsed_s": round(self.elapsed_s, 3),
            "kernels": _pack(self.kernels),
            "maps": _pack(self.maps),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FilterSnapshot:
        """The snapshot :meth:`as_json` wrote (values within 1/255 of their range).

        Raises
        ------
        ValueError
            If ``data`` is not such a dict (an older or damaged history file).
        """
        try:
            return cls(
                step=int(data["step"]),
                elapsed_s=float(data["elapsed_s"]),
                kernels=_unpack(data["kernels"]),
                maps=_unpack(data["maps"]),
            )
        except (KeyError, TypeError, ValueError, zlib.error) as error:
            raise ValueError(f"Not a filter snapshot ({type(error).__name__}: {error}).") from error


def _pack(array: np.ndarray) -> dict[str, Any]:
    low, high = float(array.min()), float(array.max())
    span = high - low or 1.0
    levels = np.round((array - low) / span * QUANTISATION_LEVELS).astype(np.uint8)
    data = base64.b64encode(zlib.compress(levels.tobytes(), 9)).decode("ascii")
    return {"shape": list(array.shape), "low": low, "high": high, "data": data}


def _unpack(packed: dict[str, Any]) -> np.ndarray:
    shape = tuple(int(size) for size in packed["shape"])
    raw = zlib.decompress(base64.b64decode(packed["data"]))
    levels = np.frombuffer(raw, dtype=np.uint8).reshape(shape)
    low, high = float(packed["low"]), float(packed["high"])
    span = high - low or 1.0
    return (low + levels.astype(np.float32) / QUANTISATION_LEVELS * span).astype(np.float32)


class SnapshotSchedule:
    """When the fitting code takes the next snapshot: every ``interval`` seconds, and, for a run
    of a known ``total_steps`` batches, every ``1 / (capacity - 2)`` of its length too, both
    spacings doubling each time the series it feeds (same ``capacity``) thins itself.

    The spacing in time keeps a long run's pictures coming while one watches; the spacing by the
    run's length gives a run over in a few seconds as many pictures to scrub as a long one
    (capacity − 2 between the first and the last), where 2 s of training apart it kept only
    those two. Not thread-safe: one fitting loop owns it.

    >>> schedule = SnapshotSchedule(interval=60.0, capacity=6, total_steps=100)
    >>> [step for step in range(101) if schedule.due(step / 100, step)
    ...  and schedule.taken(step / 100, step) is None]
    [0, 25, 50, 75, 100]
    """

    def __init__(
        self,
        interval: float = SNAPSHOT_SECONDS,
        capacity: int = MAX_SNAPSHOTS,
        *,
        total_steps: int | None = None,
    ) -> None:
        if not interval > 0:
            raise ValueError(f"interval must be a positive number of seconds, got {interval}.")
        if capacity < 3:
            raise ValueError(f"capacity must be at least 3 snapshots, got {capacity}.")
        if total_steps is not None and total_steps < 1:
            raise ValueError(f"total_steps must be at least 1 batch, got {total_steps}.")
        self.interval = float(interval)
        self.capacity = capacity
        # The first and the last snapshot come on their own (fitting's begin and end), so the
        # run's length is cut into capacity - 2 parts: the whole run then fits without thinning.
        self.step_interval = (
            None if total_steps is None else max(1, math.ceil(total_steps / (capacity - 2)))
        )
        self.kept = 0  # how many snapshots the series holds after the last one
        self.next_at = 0.0
        self.next_step = 0

    def due(self, elapsed_s: float, step: int = 0) -> bool:
        """Whether a snapshot is due ``elapsed_s`` seconds and ``step`` batches into training."""
        by_length = self.step_interval is not None and step >= self.next_step
        return elapsed_s >= self.next_at or by_length

    def taken(self, elapsed_s: float, step: int = 0) -> None:
        """Note a snapshot taken at ``elapsed_s`` (``step``); when the series thins, double the
        spacings."""
        self.kept += 1
        if self.kept > self.capacity:
            self.kept = len(thin(range(self.kept)))
            self.interval *= 2
            if self.step_interval is not None:
                self.step_interval *= 2
        self.next_at = elapsed_s + self.interval
        if self.step_interval is not None:
            self.next_step = step + self.step_interval


class SnapshotSeries:
    """At most ``capacity`` snapshots, evenly thinned (newest kept) whenever one more arrives.

    Not locked itself: the job adds and copies under its own lock.
    """

    def __init__(self, capacity: int = MAX_SNAPSHOTS) -> None:
        if capacity < 2:
            raise ValueError(f"capacity must be at least 2 snapshots, got {capacity}.")
        self.capacity = capacity
        self._items: list[Any] = []

    def add(self, snapshot: Any) -> None:
        self._items.append(snapshot)
        if len(self._items) > self.capacity:
            self._items = thin(self._items)

    @property
    def items(self) -> tuple[Any, ...]:
        return tuple(self._items)

    def __len__(self) -> int:
        return len(self._items)
