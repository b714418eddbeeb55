"""The training queue shared by several server processes (cnnviz.training.leases).

Two DatabaseTrainingSlots on one database stand for two server processes (each has its own
process token, lease map and heartbeat); the dead-process test kills a real one. On SQLite and,
when the `postgres_url` fixture provides one, on PostgreSQL.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from cnnviz.training import queue
from cnnviz.training.leases import DatabaseTrainingSlots
from cnnviz.training.queue import ClassSeat, QueueRole
from cnnviz.training.slots import SHARED_SLOTS_ENV_VAR, training_slots

TTL_S = 1.0  # short leases, so a dead process's expires within the test
HEARTBEAT_S = 0.2
POLL_S = 0.05
WAIT_S = 10.0  # generous: the machine may be busy


@dataclass(eq=False)
class Waiter:
    queue_role: QueueRole = QueueRole.VISITOR
    class_seat: ClassSeat | None = None
    stop_event: threading.Event = field(default_factory=threading.Event)
    preempted: threading.Event = field(default_factory=threading.Event)

    def preempt(self) -> None:
        self.preempted.set()
        self.stop_event.set()


@pytest.fixture
def processes(fresh_database_url: str) -> Iterator[list[DatabaseTrainingSlots]]:
    """Two "server processes" sharing the database."""
    made = [
        DatabaseTrainingSlots(
            fresh_database_url, lease_ttl_s=TTL_S, heartbeat_s=HEARTBEAT_S, poll_s=POLL_S
        )
        for _ in range(2)
    ]
    yield made
    for slots in made:
        slots.close()


def acquire_in_background(slots: DatabaseTrainingSlots, waiter: Waiter) -> dict:
    """Start ``slots.acquire(waiter)`` on a thread; the dict gets its answer."""
    outcome: dict = {}
    thread = threading.Thread(target=lambda: outcome.update(got=slots.acquire(waiter)))
    thread.start()
    outcome["thread"] = thread
    return outcome


def wait_until(condition, timeout_s: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def test_a_job_in_another_process_waits_for_the_slot_then_gets_it(processes):
    first, second = processes
    holder, waiter = Waiter(), Waiter()
    assert first.acquire(holder) is True
    outcome = acquire_in_background(second, waiter)
    wait_until(lambda: second.position(waiter) == 1)
    assert first.running == second.running == 1
    assert second.ahead(waiter) == (QueueRole.VISITOR,)  # the one training in the other process
    time.sleep(3 * POLL_S)
    assert "got" not in outcome  # still waiting: the cap holds across processes
    first.release(holder)
    outcome["thread"].join(WAIT_S)
    assert outcome["got"] is True
    assert second.position(waiter) is None and first.running == 1
    second.release(waiter)
    assert first.running == 0


def test_the_line_is_by_role_then_by_arrival_across_processes(processes):
    first, second = processes
    holder = Waiter()
    assert first.acquire(holder)
    visitor, student, teacher = Waiter(), Waiter(QueueRole.STUDENT), Waiter(QueueRole.TEACHER)
    outcomes = {}
    for slots, waiter in ((second, visitor), (first, student), (second, teacher)):
        outcomes[id(waiter)] = acquire_in_background(slots, waiter)
        wait_until(lambda slots=slots, waiter=waiter: slots.position(waiter) is not None)
    assert [second.position(teacher), second.position(visitor), first.position(student)] == [
        1,
        2,
        3,
    ]
    assert first.ahead(student) == (QueueRole.VISITOR, QueueRole.TEACHER, QueueRole.VISITOR)
    first.release(holder)
    # The teacher trains next, then the visitor (first to arrive), then the student.
    for slots, waiter in ((second, teacher), (second, visitor), (first, student)):
        outcomes[id(waiter)]["thread"].join(WAIT_S)
        assert outcomes[id(waiter)]["got"] is True
        for other in (visitor, student):
            if other is not waiter and "got" not in outcomes[id(other)]:
                assert (second if other is visitor else first).position(other) is not None
        slots.release(waiter)
    assert first.running == 0


def test_a_job_stopped_while_it_waits_leaves_the_line(processes):
    first, second = processes
    holder, quitter, next_one = Waiter(), Waiter(), Waiter()
    assert first.acquire(holder)
    quitting = acquire_in_background(second, quitter)
    wait_until(lambda: second.position(quitter) == 1)
    following = acquire_in_background(second, next_one)
    wait_until(lambda: second.position(next_one) == 2)
    quitter.stop_event.set()
    second.wake()
    quitting["thread"].join(WAIT_S)
    assert quitting["got"] is False
    wait_until(lambda: second.position(next_one) == 1)  # moved up
    first.release(holder)
    following["thread"].join(WAIT_S)
    assert following["got"] is True
    second.release(next_one)


def test_more_slots_when_the_cap_allows(processes, monkeypatch):
    monkeypatch.setenv(queue.MAX_TRAININGS_ENV_VAR, "2")
    first, second = processes
    one, two, three = Waiter(), Waiter(), Waiter()
    assert first.acquire(one) and second.acquire(two)
    assert first.running == 2
    waiting = acquire_in_background(first, three)
    wait_until(lambda: first.position(three) == 1)
    second.release(two)
    waiting["thread"].join(WAIT_S)
    assert waiting["got"] is True
    first.release(one)
    first.release(three)


HOLDER_SCRIPT = """
import sys, threading, time
from cnnviz.training.leases import DatabaseTrainingSlots
from cnnviz.training.queue import QueueRole

class Waiter:
    queue_role = QueueRole.TEACHER
    class_seat = None
    stop_event = threading.Event()

    def preempt(self):
        self.stop_event.set()

slots = DatabaseTrainingSlots(sys.argv[1], lease_ttl_s={ttl}, heartbeat_s={beat})
assert slots.acquire(Waiter())
print("held", flush=True)
time.sleep(120)
"""


def test_a_killed_process_lease_expires_and_the_next_job_trains(processes, fresh_database_url):
    _, survivor = processes
    script = HOLDER_SCRIPT.format(ttl=TTL_S, beat=HEARTBEAT_S)
    holder = subprocess.Popen(
        [sys.executable, "-c", script, fresh_database_url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        waiter = Waiter()
        outcome = acquire_in_background(survivor, waiter)
        # Alive, the other process renews its lease: it keeps the slot well past the TTL.
        time.sleep(3 * TTL_S)
        assert "got" not in outcome and survivor.position(waiter) == 1
        holder.kill()  # no release: its heartbeats just stop
        holder.wait(WAIT_S)
        killed_at = time.monotonic()
        outcome["thread"].join(WAIT_S)
        assert outcome["got"] is True
        assert time.monotonic() - killed_at < TTL_S + 2.0
        survivor.release(waiter)
    finally:
        holder.kill()
        holder.wait(WAIT_S)
        holder.stdout.close()


def test_the_environment_chooses_the_shared_queue(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNVIZ_DATABASE_URL", f"sqlite:///{tmp_path / 'classes.sqlite'}")
    monkeypatch.setenv(SHARED_SLOTS_ENV_VAR, "1")
    shared = training_slots()
    assert isinstance(shared, DatabaseTrainingSlots)
    waiter = Waiter()
    assert shared.acquire(waiter) and shared.running == 1
    shared.release(waiter)
    shared.close()
    monkeypatch.delenv(SHARED_SLOTS_ENV_VAR)
    assert isinstance(training_slots(), queue.TrainingSlots)


def test_a_heartbeat_must_beat_within_the_lease():
    with pytest.raises(ValueError, match="shorter than the lease"):
        DatabaseTrainingSlots("sqlite://", lease_ttl_s=1.0, heartbeat_s=2.0)


def test_a_teacher_in_one_process_preempts_a_student_run_in_another(processes):
    student_process, teacher_process = processes
    student = Waiter(QueueRole.STUDENT, ClassSeat("ABC123", 4))
    assert student_process.acquire(student)
    assert [(r.student_number, r.training) for r in teacher_process.class_runs("ABC123")] == [
        (4, True)
    ]
    teacher = Waiter(QueueRole.TEACHER, ClassSeat("ABC123"))
    outcome = acquire_in_background(teacher_process, teacher)
    wait_until(student.preempted.is_set)  # the student's process saw the mark at a heartbeat
    assert teacher_process.class_runs("ABC123") == ()  # stopping: no longer listed
    student_process.release(student)
    outcome["thread"].join(WAIT_S)
    assert outcome["got"] is True
    teacher_process.release(teacher)


def test_the_teacher_stops_a_waiting_student_run_from_another_process(processes):
    first, second = processes
    visitor = Waiter()
    assert first.acquire(visitor)
    student = Waiter(QueueRole.STUDENT, ClassSeat("ABC123", 2))
    outcome = acquire_in_background(first, student)
    wait_until(lambda: second.class_runs("ABC123") != ())
    (run,) = second.class_runs("ABC123")
    assert not run.training
    assert second.stop_class_run("ZZZ999", run.ticket) is False
    assert second.stop_class_run("ABC123", run.ticket) is True
    outcome["thread"].join(WAIT_S)
    assert outcome["got"] is False and student.preempted.is_set()
    assert not visitor.preempted.is_set()
    first.release(visitor)
