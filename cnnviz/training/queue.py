"""The server-wide training queue: at most a few jobs train at once, the others wait in turn.

One training saturates a 2-core laptop, so by default one job trains at a time
(``CNNVIZ_MAX_TRAININGS``); a job that finds every slot taken waits, and can be stopped while it
waits. Waiters are served by priority, then first come first served: in a class the teacher's
run (:attr:`QueueRole.TEACHER`) goes ahead of every waiting student's or visitor's run, so the
demo the class is watching never waits behind thirty Starts. A run that already trains keeps
its slot, with one exception: a teacher whose Start finds every slot taken by the runs of the
teacher's own class's students **preempts** the newest of them (:meth:`Waiter.preempt`: it stops
at its next live point and says the teacher needed the machine), so the teacher waits seconds,
not the rest of a 60,000-image run. The teacher can also stop any run of the class
(:meth:`TrainingSlots.class_runs`, :meth:`TrainingSlots.stop_class_run`). No TensorFlow here.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from dataclasses import dataclass
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


@dataclass(frozen=True)
class ClassSeat:
    """Whose run it is in a class: the class's code and the student's number (None for the
    teacher), so the teacher can find and stop the class's runs."""

    code: str
    student_number: int | None = None


@dataclass(frozen=True)
class ClassRun:
    """One run of a class's student, as the teacher's screen lists it."""

    ticket: str  # what :meth:`TrainingSlots.stop_class_run` is given to stop it
    student_number: int | None
    training: bool  # False while it waits for a slot
    since: float  # seconds since the epoch it joined the queue


class Waiter(Protocol):
    """What waits in the queue: its ``stop_event`` says it no longer wants a slot, its
    ``queue_role`` where it stands, its ``class_seat`` whose run it is in a class (or None)."""

    stop_event: threading.Event
    queue_role: QueueRole
    class_seat: ClassSeat | None

    def preempt(self) -> None:
        """The class's teacher needs the slot (or pressed Stop): stop, and say so."""


def preempts(teacher: Waiter, holder: Waiter) -> bool:
    """Whether a teacher's waiting run may stop ``holder``'s: a student's run of the same class."""
    return (
        teacher.queue_role is QueueRole.TEACHER
        and teacher.class_seat is not None
        and holder.queue_role is QueueRole.STUDENT
        and holder.class_seat is not None
        and holder.class_seat.code == teacher.class_seat.code
    )


class TrainingSlots:
    """A limit on how many jobs train at once; waiters by priority, then by arrival."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._waiting: list[Waiter] = []  # the order they will train in
        self._running: list[Waiter] = []
        self._preempted: set[int] = set()  # id() of running waiters asked to make room
        self._tickets: dict[int, str] = {}  # id(waiter) → its ticket, while queued or running
        self._since: dict[int, float] = {}
        self._counter = itertools.count(1)

    def _enqueue(self, waiter: Waiter) -> None:
        """Behind every waiter of the same or a higher priority, ahead of every lower one."""
        priority = waiter.queue_role.priority
        index = len(self._waiting)
        while index > 0 and self._waiting[index - 1].queue_role.priority < priority:
            index -= 1
        self._waiting.insert(index, waiter)

    def acquire(self, waiter: Waiter) -> bool:
        """Wait for a slot; False if the waiter was asked to stop while it waited."""
        granted = False
        with self._condition:
            self._enqueue(waiter)
            self._tickets[id(waiter)] = str(next(self._counter))
            self._since[id(waiter)] = time.time()
            try:
                while True:
                    if waiter.stop_event.is_set():
                        return False
                    if self._waiting[0] is waiter and len(self._running) < (
                        max_concurrent_trainings()
                    ):
                        self._running.append(waiter)
                        granted = True
                        return True
                    self._make_room(waiter)
                    self._condition.wait(timeout=WAIT_RECHECK_S)
            finally:
                self._waiting.remove(waiter)
                if not granted:
                    self._forget(waiter)
                self._condition.notify_all()

    def _make_room(self, waiter: Waiter) -> None:
        """A teacher's run that would wait preempts its class's newest student run, one per
        teacher waiting at or ahead of it that the slots being freed cannot serve yet."""
        if waiter.queue_role is not QueueRole.TEACHER:
            return
        staying = [r for r in self._running if id(r) not in self._preempted]
        teachers = self._waiting.index(waiter) + 1  # teachers wait ahead of everyone else
        if teachers <= max_concurrent_trainings() - len(staying):
            return  # enough slots are already being freed
        for holder in reversed(staying):
            if preempts(waiter, holder):
                self._preempted.add(id(holder))
                holder.preempt()
                return

    def _forget(self, waiter: Waiter) -> None:
        self._preempted.discard(id(waiter))
        self._tickets.pop(id(waiter), None)
        self._since.pop(id(waiter), None)

    def release(self, waiter: Waiter) -> None:
        """Give ``waiter``'s slot back (once per successful :meth:`acquire`)."""
        with self._condition:
            self._running.remove(waiter)
            self._forget(waiter)
            self._condition.notify_all()

    def class_runs(self, code: str) -> tuple[ClassRun, ...]:
        """The runs of class ``code``'s students, training ones first, then the waiting ones."""
        with self._condition:
            return tuple(
                ClassRun(
                    ticket=self._tickets[id(w)],
                    student_number=w.class_seat.student_number,
                    training=w in self._running,
                    since=self._since[id(w)],
                )
                for w in (*self._running, *self._waiting)
                if w.queue_role is QueueRole.STUDENT
                and w.class_seat is not None
                and w.class_seat.code == code
                and not w.stop_event.is_set()
            )

    def stop_class_run(self, code: str, ticket: str) -> bool:
        """The teacher stops a run of class ``code`` (from :meth:`class_runs`); False when it
        is no longer queued or training (it ended meanwhile)."""
        with self._condition:
            for waiter in (*self._running, *self._waiting):
                if (
                    self._tickets.get(id(waiter)) == ticket
                    and waiter.class_seat is not None
                    and waiter.class_seat.code == code
                ):
                    self._preempted.add(id(waiter))
                    waiter.preempt()
                    self._condition.notify_all()
                    return True
            return False

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
