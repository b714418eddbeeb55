"""The server-wide training queue: at most a few jobs train at once, the others wait in turn.

One training saturates a 2-core laptop, so by default one job trains at a time
(``CNNVIZ_MAX_TRAININGS``); a job that finds every slot taken waits, first come first served,
and can be stopped while it waits. No TensorFlow here.
"""

from __future__ import annotations

import os
import threading
from typing import Protocol

MAX_TRAININGS_ENV_VAR = "CNNVIZ_MAX_TRAININGS"
DEFAULT_MAX_TRAININGS = 1  # one training saturates a 2-core laptop; more would only starve pages
WAIT_RECHECK_S = 0.5  # a waiter rechecks the environment's cap this often, even unwoken


def max_concurrent_trainings() -> int:
    """How many jobs may train at once on this server (``CNNVIZ_MAX_TRAININGS``, default 1)."""
    raw = os.environ.get(MAX_TRAININGS_ENV_VAR, "")
    try:
        value = int(raw)
    except ValueError:
        return DEFAULT_MAX_TRAININGS
    return value if value >= 1 else DEFAULT_MAX_TRAININGS


class Waiter(Protocol):
    """What waits in the queue: anything whose ``stop_event`` says it no longer wants a slot."""

    stop_event: threading.Event


class TrainingSlots:
    """A fair (first come, first served) limit on how many jobs train at once."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._waiting: list[Waiter] = []
        self._running = 0

    def acquire(self, waiter: Waiter) -> bool:
        """Wait for a slot; False if the waiter was asked to stop while it waited."""
        with self._condition:
            self._waiting.append(waiter)
            try:
                while True:
                    if waiter.stop_event.is_set():
                        return False
                    if self._waiting[0] is waiter and self._running < max_concurrent_trainings():
                        self._running += 1
                        return True
                    self._condition.wait(timeout=WAIT_RECHECK_S)
            finally:
                self._waiting.remove(waiter)
                self._condition.notify_all()

    def release(self) -> None:
        """Give a slot back (once per successful :meth:`acquire`)."""
        with self._condition:
            self._running -= 1
            self._condition.notify_all()

    def position(self, waiter: Waiter) -> int | None:
        """1 for the next job to train, 2 for the one after it; None when not waiting."""
        with self._condition:
            return self._waiting.index(waiter) + 1 if waiter in self._waiting else None

    def wake(self) -> None:
        """Make every waiter recheck at once (e.g. after one was asked to stop)."""
        with self._condition:
            self._condition.notify_all()

    @property
    def running(self) -> int:
        """How many slots are taken now."""
        with self._condition:
            return self._running


TRAINING_SLOTS = TrainingSlots()
