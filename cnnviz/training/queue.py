"""The server-wide training queue: at most a few jobs train at once, the others wait in turn.

One training saturates a 2-core laptop, so by default one job trains at a time
(``CNNVIZ_MAX_TRAININGS``); a job that finds every slot taken waits, and can be stopped while it
waits. Waiters are served by priority, then first come first served: in a class the teacher's
run (:attr:`QueueRole.TEACHER`) goes ahead of every waiting student's or visitor's run, so the
demo the class is watching never waits behind thirty Starts. A run that already trains is never
interrupted. No TensorFlow here.
"""

from __future__ import annotations

import os
import threading
from enum import StrEnum
from typing import Protocol

MAX_TRAININGS_ENV_VAR = "CNNVIZ_MAX_TRAININGS"
DEFAULT_MAX_TRAININGS = 1  # one training saturates a 2-core laptop; more would only starve pages
WAIT_RECHECK_S = 0.5  # a waiter rechecks the environment's cap this often, even unwoken


class QueueRole(StrEnum):
    """Whose run waits: it sets the run's place in the queue and what others read about it."""

    TEACHER = "teacher"  # a class's teacher: waits ahead of every student and visitor
    STUDENT = "student"  # a student in a class
    VISITOR = "visitor"  # anyone not in a class

    @property
    def priority(self) -> int:
        """Higher trains first; equal priorities keep their order of arrival."""
        return 1 if self is QueueRole.TEACHER else 0


def max_concurrent_trainings() -> int:
    """How many jobs may train at once on this server (``CNNVIZ_MAX_TRAININGS``, default 1)."""
    raw = os.environ.get(MAX_TRAININGS_ENV_VAR, "")
    try:
        value = int(raw)
    except ValueError:
        return DEFAULT_MAX_TRAININGS
    return value if value >= 1 else DEFAULT_MAX_TRAININGS


class Waiter(Protocol):
    """What waits in the queue: its ``stop_event`` says it no longer wants a slot, its
    ``queue_role`` where it stands."""

    stop_event: threading.Event
    queue_role: QueueRole


class TrainingSlots:
    """A limit on how many jobs train at once; waiters by priority, then by arrival."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._waiting: list[Waiter] = []  # the order they will train in
        self._running: list[Waiter] = []

    def _enqueue(self, waiter: Waiter) -> None:
        """Behind every waiter of the same or a higher priority, ahead of every lower one."""
        priority = waiter.queue_role.priority
        index = len(self._waiting)
        while index > 0 and self._waiting[index - 1].queue_role.priority < priority:
            index -= 1
        self._waiting.insert(index, waiter)

    def acquire(self, waiter: Waiter) -> bool:
        """Wait for a slot; False if the waiter was asked to stop while it waited."""
        with self._condition:
            self._enqueue(waiter)
            try:
                while True:
                    if waiter.stop_event.is_set():
                        return False
                    if self._waiting[0] is waiter and len(self._running) < (
                        max_concurrent_trainings()
                    ):
                        self._running.append(waiter)
                        return True
                    self._condition.wait(timeout=WAIT_RECHECK_S)
            finally:
                self._waiting.remove(waiter)
                self._condition.notify_all()

    def release(self, waiter: Waiter) -> None:
        """Give ``waiter``'s slot back (once per successful :meth:`acquire`)."""
        with self._condition:
            self._running.remove(waiter)
            self._condition.notify_all()

    def position(self, waiter: Waiter) -> int | None:
        """1 for the next job to train, 2 for the one after it; None when not waiting."""
        with self._condition:
            return self._waiting.index(waiter) + 1 if waiter in self._waiting else None

    def ahead(self, waiter: Waiter) -> tuple[QueueRole, ...]:
        """The roles of the runs ahead of a waiter: those training now, then those waiting
        before it (empty when it is not waiting)."""
        with self._condition:
            if waiter not in self._waiting:
                return ()
            before = self._waiting[: self._waiting.index(waiter)]
            return tuple(other.queue_role for other in (*self._running, *before))

    def wake(self) -> None:
        """Make every waiter recheck at once (e.g. after one was asked to stop)."""
        with self._condition:
            self._condition.notify_all()

    @property
    def running(self) -> int:
        """How many slots are taken now."""
        with self._condition:
            return len(self._running)
