"""The server's training queue with fake waiters (nothing trains here): priority, order, stop."""

import threading
import time
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
import pytest

from cnnviz.models import TrainingConfig
from cnnviz.training import TrainingJob
from cnnviz.training.queue import ClassSeat, QueueRole, TrainingSlots

WAIT_S = 5.0


@dataclass(eq=False)  # compared by identity, as the queue compares jobs
class FakeWaiter:
    queue_role: QueueRole
    class_seat: ClassSeat | None = None
    stop_event: threading.Event = field(default_factory=threading.Event)
    got_slot: threading.Event = field(default_factory=threading.Event)
    preempted: threading.Event = field(default_factory=threading.Event)
    result: bool | None = None

    def preempt(self) -> None:
        self.preempted.set()
        self.stop_event.set()


@pytest.fixture(autouse=True)
def one_training_at_a_time(monkeypatch):
    monkeypatch.setenv("CNNVIZ_MAX_TRAININGS", "1")


def wait_for(condition, timeout: float = WAIT_S) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def queue_up(slots: TrainingSlots, waiter: FakeWaiter) -> threading.Thread:
    """Wait for a slot in a thread, as a job's thread does; returns once it is in the queue."""

    def body() -> None:
        waiter.result = slots.acquire(waiter)
        if waiter.result:
            waiter.got_slot.set()

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    assert wait_for(lambda: slots.position(waiter) is not None or waiter.got_slot.is_set())
    return thread


def test_a_teacher_who_starts_last_trains_first_and_the_running_student_is_not_interrupted():
    slots = TrainingSlots()
    running = FakeWaiter(QueueRole.STUDENT)
    queue_up(slots, running)
    assert running.got_slot.wait(WAIT_S) and slots.running == 1
    first, second = FakeWaiter(QueueRole.STUDENT), FakeWaiter(QueueRole.STUDENT)
    visitor = FakeWaiter(QueueRole.VISITOR)
    teacher = FakeWaiter(QueueRole.TEACHER)
    for waiter in (first, second, visitor, teacher):
        queue_up(slots, waiter)
    assert [slots.position(w) for w in (teacher, first, second, visitor)] == [1, 2, 3, 4]
    assert not running.stop_event.is_set() and slots.running == 1  # still training
    assert slots.ahead(teacher) == (QueueRole.STUDENT,)  # only the run training now
    assert slots.ahead(second) == (QueueRole.STUDENT, QueueRole.TEACHER, QueueRole.STUDENT)
    assert slots.ahead(running) == ()  # not waiting

    slots.release(running)
    assert teacher.got_slot.wait(WAIT_S)
    assert not first.got_slot.is_set() and slots.position(first) == 1
    assert slots.ahead(first) == (QueueRole.TEACHER,)
    slots.release(teacher)
    assert first.got_slot.wait(WAIT_S) and not second.got_slot.is_set()
    slots.release(first)
    assert second.got_slot.wait(WAIT_S) and not visitor.got_slot.is_set()
    slots.release(second)
    assert visitor.got_slot.wait(WAIT_S)
    slots.release(visitor)
    assert slots.running == 0


def test_teachers_keep_their_order_among_themselves_and_go_ahead_of_every_student():
    slots = TrainingSlots()
    running = FakeWaiter(QueueRole.VISITOR)
    queue_up(slots, running)
    assert running.got_slot.wait(WAIT_S)
    student = FakeWaiter(QueueRole.STUDENT)
    lenet, alexnet = FakeWaiter(QueueRole.TEACHER), FakeWaiter(QueueRole.TEACHER)
    later_student = FakeWaiter(QueueRole.STUDENT)
    for waiter in (student, lenet, alexnet, later_student):
        queue_up(slots, waiter)
    order = [slots.position(w) for w in (lenet, alexnet, student, later_student)]
    assert order == [1, 2, 3, 4]
    slots.release(running)
    assert lenet.got_slot.wait(WAIT_S) and not alexnet.got_slot.is_set()
    slots.release(lenet)
    assert alexnet.got_slot.wait(WAIT_S) and not student.got_slot.is_set()
    slots.release(alexnet)
    assert student.got_slot.wait(WAIT_S)
    slots.release(student)
    assert later_student.got_slot.wait(WAIT_S)
    slots.release(later_student)


def test_a_stopped_waiter_leaves_the_queue_and_the_next_moves_up():
    slots = TrainingSlots()
    running = FakeWaiter(QueueRole.STUDENT)
    queue_up(slots, running)
    assert running.got_slot.wait(WAIT_S)
    teacher, student = FakeWaiter(QueueRole.TEACHER), FakeWaiter(QueueRole.STUDENT)
    teacher_thread = queue_up(slots, teacher)
    queue_up(slots, student)
    assert slots.position(student) == 2
    teacher.stop_event.set()
    slots.wake()
    teacher_thread.join(WAIT_S)
    assert teacher.result is False and slots.position(teacher) is None
    assert slots.position(student) == 1 and slots.ahead(student) == (QueueRole.STUDENT,)
    slots.release(running)
    assert student.got_slot.wait(WAIT_S)
    slots.release(student)
    assert slots.running == 0


def test_a_job_refuses_an_unknown_queue_role():
    mnist = SimpleNamespace(x_train=np.zeros((64, 28, 28), np.float32))
    with pytest.raises(ValueError, match="queue_role must be one of teacher, student, visitor"):
        TrainingJob(TrainingConfig(subset=64), mnist, queue_role="principal")
    job = TrainingJob(TrainingConfig(subset=64), mnist, queue_role="teacher")
    assert job.snapshot().queue_ahead == ()  # not started: not in the queue


def test_a_teachers_start_preempts_the_newest_student_run_of_the_class_and_no_one_else():
    slots = TrainingSlots()
    student = FakeWaiter(QueueRole.STUDENT, ClassSeat("ABC123", 7))
    queue_up(slots, student)
    assert student.got_slot.wait(WAIT_S)
    other_class = FakeWaiter(QueueRole.TEACHER, ClassSeat("ZZZ999"))
    queue_up(slots, other_class)
    time.sleep(0.2)
    assert not student.preempted.is_set()  # another class's teacher waits its turn
    other_class.stop_event.set()
    teacher = FakeWaiter(QueueRole.TEACHER, ClassSeat("ABC123"))
    queue_up(slots, teacher)
    assert student.preempted.wait(WAIT_S) and student.stop_event.is_set()
    slots.release(student)  # the preempted run stops and frees its slot
    assert teacher.got_slot.wait(WAIT_S)
    slots.release(teacher)


def test_a_visitors_run_is_never_preempted():
    slots = TrainingSlots()
    visitor = FakeWaiter(QueueRole.VISITOR)
    queue_up(slots, visitor)
    assert visitor.got_slot.wait(WAIT_S)
    teacher = FakeWaiter(QueueRole.TEACHER, ClassSeat("ABC123"))
    queue_up(slots, teacher)
    time.sleep(0.2)
    assert not visitor.preempted.is_set() and slots.position(teacher) == 1
    teacher.stop_event.set()
    slots.release(visitor)


def test_the_teacher_lists_and_stops_the_class_runs_waiting_or_training():
    slots = TrainingSlots()
    training = FakeWaiter(QueueRole.STUDENT, ClassSeat("ABC123", 1))
    queue_up(slots, training)
    assert training.got_slot.wait(WAIT_S)
    waiting = FakeWaiter(QueueRole.STUDENT, ClassSeat("ABC123", 2))
    stranger = FakeWaiter(QueueRole.STUDENT, ClassSeat("ZZZ999", 3))
    queue_up(slots, waiting)
    queue_up(slots, stranger)
    runs = slots.class_runs("ABC123")
    assert [(run.student_number, run.training) for run in runs] == [(1, True), (2, False)]
    assert slots.stop_class_run("ZZZ999", runs[1].ticket) is False  # not that class's run
    assert slots.stop_class_run("ABC123", runs[1].ticket) is True
    assert waiting.preempted.is_set()
    assert wait_for(lambda: waiting.result is False)  # it left the queue without training
    assert [run.student_number for run in slots.class_runs("ABC123")] == [1]
    stranger.stop_event.set()
    slots.release(training)
