"""AppTest of the Live training page in a class: the teacher's permission, the teacher first.

Nothing trains here: a fake run holds the server's only training slot for the whole test, so
the page's real jobs wait in the queue (and are abandoned at the end, before they take a slot).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz import training
from cnnviz.classroom import ClassroomStore, teaching
from cnnviz.training.queue import ClassSeat, QueueRole
from cnnviz.training.slots import TRAINING_SLOTS
from pages.glue import class_membership
from tests.apptest_helpers import APP, TENSORFLOW_TIMEOUT_S, texts

PAGE = "pages/training.py"


@dataclass(eq=False)
class RunningElsewhere:
    """A run that trains (in the queue's eyes) for the whole test."""

    queue_role: QueueRole
    class_seat: ClassSeat | None = None
    stop_event: threading.Event = field(default_factory=threading.Event)

    def preempt(self) -> None:
        self.stop_event.set()


@pytest.fixture
def class_store(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_DATABASE_URL", f"sqlite:///{tmp_path / 'class.sqlite'}")
    monkeypatch.setenv("CNNVIZ_MAX_TRAININGS", "1")
    monkeypatch.setattr(training, "prewarm_worker", lambda: None)  # no worker: nothing trains
    class_membership.class_store.clear()  # only the store: the page's models stay cached
    yield ClassroomStore()
    class_membership.class_store.clear()


@pytest.fixture
def busy_server():
    """The only training slot, taken by a student's run that never ends; every page job the
    test starts is abandoned before the slot is given back."""
    holder = RunningElsewhere(QueueRole.STUDENT)
    assert TRAINING_SLOTS.acquire(holder)
    started: list[AppTest] = []
    yield started
    for app in started:
        for job in app.session_state["training_jobs"].values():
            job.abandon()
            assert job.wait(10), "a queued job did not leave the queue"
    TRAINING_SLOTS.release(holder)


def training_page(busy_server: list, **membership: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=TENSORFLOW_TIMEOUT_S)
    # Every AppTest in a process shares one session id, so the page's session-scoped job dict
    # would be shared too: each browser here gets its own, as each real session does.
    app.session_state["training_jobs"] = {}
    app.session_state["training_message"] = None
    for key, value in membership.items():
        app.session_state[key] = value
    app.run()
    app.switch_page(PAGE).run()
    assert [e.value for e in app.exception] == []
    busy_server.append(app)
    return app


def as_student(store: ClassroomStore, code: str) -> dict[str, str]:
    return {"class_code": code, "class_student_id": store.join(code)}


def press_start(app: AppTest, subset: int | None = None) -> None:
    if subset is not None:
        app.number_input(key="train_subset").set_value(subset)
    next(b for b in app.button if b.label == "Start training").click().run()
    assert [e.value for e in app.exception] == []


def test_with_training_off_a_students_start_is_refused_and_says_why(class_store, busy_server):
    code, secret = class_store.create_class("Period 3")
    class_store.set_training_permission(code, secret, "off")
    student = training_page(busy_server, **as_student(class_store, code))
    assert teaching.student_training_rule("off") in texts(student.info)
    press_start(student)
    assert student.session_state["training_jobs"] == {}
    (refusal,) = texts(student.error)
    assert refusal.startswith("Your teacher has turned training off for students in this class")


def in_page_order(app: AppTest) -> list:
    """Every element of the main area, in the order the page shows them (top to bottom)."""
    found = []

    def walk(node) -> None:
        if hasattr(node, "children"):
            for _, child in sorted(node.children.items()):
                walk(child)
        else:
            found.append(node)

    walk(app.main)
    return found


def test_a_refused_start_says_why_right_under_the_start_button(class_store, busy_server):
    code, secret = class_store.create_class("Period 3")
    class_store.set_training_permission(code, secret, "off")
    student = training_page(busy_server, **as_student(class_store, code))
    press_start(student)
    shown = in_page_order(student)
    start = next(i for i, e in enumerate(shown) if getattr(e, "label", None) == "Start training")
    after_start = shown[start + 1]
    assert after_start.type == "error"
    assert after_start.value.startswith("Your teacher has turned training off for students")


def test_a_refusal_goes_once_the_teacher_allows_training_again(class_store, busy_server):
    code, secret = class_store.create_class("Period 3")
    class_store.set_training_permission(code, secret, "off")
    student = training_page(busy_server, **as_student(class_store, code))
    press_start(student)
    assert len(texts(student.error)) == 1
    class_store.set_training_permission(code, secret, "on")
    student.run()
    assert texts(student.error) == [] and texts(student.warning) == []
    assert teaching.student_training_rule("on") in texts(student.info)


def test_no_small_subsets_note_stays_beside_training_off_after_a_change_or_a_reset(
    class_store, busy_server
):
    code, secret = class_store.create_class("Period 3")  # small subsets only
    student = training_page(busy_server, **as_student(class_store, code))
    press_start(student, subset=60_000)
    assert len(texts(student.warning)) == 1  # the run was cut to 2,000 images
    class_store.set_training_permission(code, secret, "off")
    student.run()
    assert texts(student.warning) == []  # "small subsets" no longer holds: the rule says off
    assert teaching.student_training_rule("off") in texts(student.info)
    class_store.set_training_permission(code, secret, "subsets")
    next(b for b in student.button if b.label == "Reset").click().run()
    assert texts(student.warning) == [] and texts(student.error) == []  # no run, nothing to say
    class_store.set_training_permission(code, secret, "off")
    student.run()
    assert texts(student.warning) == [] and texts(student.error) == []
    assert teaching.student_training_rule("off") in texts(student.info)


def test_small_subsets_only_clamps_a_students_run_and_the_form_shows_it(class_store, busy_server):
    code, _ = class_store.create_class("Period 3")  # a new class allows small subsets only
    student = training_page(busy_server, **as_student(class_store, code))
    press_start(student, subset=60_000)
    (job,) = student.session_state["training_jobs"].values()
    assert job.config.subset == teaching.STUDENT_SUBSET_MAX == 2000
    assert student.number_input(key="train_subset").value == 2000
    assert texts(student.warning) == [
        "Your teacher allows small subsets only in this class, so this run trains on 2,000 "
        "images instead of the 60,000 you asked for."
    ]
    # Within the cap nothing changes and nothing is said.
    next(b for b in student.button if b.label == "Reset").click().run()
    press_start(student, subset=1024)
    (job,) = student.session_state["training_jobs"].values()
    assert job.config.subset == 1024 and texts(student.warning) == []


def test_with_training_on_a_student_trains_what_they_asked_for(class_store, busy_server):
    code, secret = class_store.create_class("Period 3")
    class_store.set_training_permission(code, secret, "on")
    student = training_page(busy_server, **as_student(class_store, code))
    press_start(student, subset=60_000)
    (job,) = student.session_state["training_jobs"].values()
    assert job.config.subset == 60_000 and texts(student.warning) == []


def test_the_teachers_run_goes_ahead_of_a_waiting_student_and_both_are_told(
    class_store, busy_server
):
    code, secret = class_store.create_class("Period 3")
    class_store.set_training_permission(code, secret, "on")
    student = training_page(busy_server, **as_student(class_store, code))
    press_start(student, subset=60_000)
    assert "Busy, you are next: a student's run is training now" in " ".join(texts(student.info))

    teacher = training_page(busy_server, class_code=code, class_teacher_secret=secret)
    class_store.set_training_permission(code, secret, "off")  # for students, never the teacher
    press_start(teacher, subset=60_000)
    (teacher_job,) = teacher.session_state["training_jobs"].values()
    assert teacher_job.config.subset == 60_000 and texts(teacher.error) == []
    assert f"You lead a class. {teaching.TEACHER_FIRST}" in texts(teacher.caption)
    assert teacher_job.snapshot().queue_position == 1
    assert "Busy, you are next: a student's run is training now" in " ".join(texts(teacher.info))

    student.run()
    (student_job,) = student.session_state["training_jobs"].values()
    assert student_job.snapshot().queue_position == 2
    assert student_job.snapshot().queue_ahead == ("student", "teacher")
    assert (
        "Busy: the teacher's run and a student's run are ahead of you; yours starts by itself."
        in texts(student.info)
    )


def test_the_teachers_start_preempts_the_class_students_run_that_holds_the_machine(class_store):
    code, secret = class_store.create_class("Period 3")
    student_run = RunningElsewhere(QueueRole.STUDENT, ClassSeat(code, 1))
    assert TRAINING_SLOTS.acquire(student_run)
    teachers: list[AppTest] = []
    try:
        teacher = training_page(teachers, class_code=code, class_teacher_secret=secret)
        press_start(teacher, subset=60_000)
        (teacher_job,) = teacher.session_state["training_jobs"].values()
        assert student_run.stop_event.wait(10), "the student's run was not asked to stop"
        assert teacher_job.snapshot().queue_position == 1  # next, once the student's run ends
    finally:
        for job in teachers[0].session_state["training_jobs"].values() if teachers else ():
            job.abandon()
            assert job.wait(10)
        TRAINING_SLOTS.release(student_run)


def test_the_teacher_stops_a_students_waiting_run_from_the_class_page_and_the_student_reads_why(
    class_store, busy_server
):
    code, secret = class_store.create_class("Period 3")
    class_store.set_training_permission(code, secret, "on")
    student = training_page(busy_server, **as_student(class_store, code))
    press_start(student, subset=1024)
    (student_job,) = student.session_state["training_jobs"].values()

    teacher = AppTest.from_file(APP, default_timeout=TENSORFLOW_TIMEOUT_S)
    teacher.session_state["class_code"] = code
    teacher.session_state["class_teacher_secret"] = secret
    teacher.run()
    teacher.switch_page("pages/classroom.py").run()
    assert [e.value for e in teacher.exception] == []
    assert "Student #1: waiting" in " ".join(m.value for m in teacher.markdown)
    next(b for b in teacher.button if b.label == "Stop").click().run()
    assert student_job.wait(10), "the stopped run did not leave the queue"
    assert "No student of the class is training or waiting to train." in texts(teacher.caption)

    student.toggle(key="class_follow_toggle").set_value(False).run()  # explore: stay here
    student.switch_page(PAGE).run()
    assert "The teacher needed the machine: your run stopped before it began training." in texts(
        student.warning
    )
