"""A class's trainings: whose run a Start makes, and the teacher's list of the class's runs.

A student's run carries its class seat (the class code and the student's number), so the
server's training queue (``cnnviz.training.slots``) can list the class's runs for the teacher,
stop one at the teacher's word, and let a teacher's Start preempt a student's run that holds the
machine (``cnnviz.training.queue``). The Class page shows :func:`class_runs_panel` to the teacher.
"""

from __future__ import annotations

import time

import streamlit as st

from cnnviz.classroom import ClassroomError
from cnnviz.training.queue import ClassSeat
from cnnviz.training.slots import TRAINING_SLOTS
from pages.glue.class_membership import (
    CLASS_CODE_KEY,
    STUDENT_ID_KEY,
    class_store,
    is_student,
    is_teacher,
)

RUNS_REFRESH_S = 2.0  # the teacher's list of the class's runs refreshes this often


def class_seat() -> ClassSeat | None:
    """This browser's seat in its class (None outside a class): the code, and the student's
    number for a student (read from the store, so a foreign id gets no seat)."""
    if is_teacher():
        return ClassSeat(st.session_state[CLASS_CODE_KEY])
    if not is_student():
        return None
    code = st.session_state[CLASS_CODE_KEY]
    try:
        student = class_store().student(code, st.session_state[STUDENT_ID_KEY])
    except ClassroomError:
        return None
    return ClassSeat(code, student.number)


def stop_run(code: str, ticket: str) -> None:
    if not TRAINING_SLOTS.stop_class_run(code, ticket):
        st.toast("That run had already ended.")


@st.fragment(run_every=RUNS_REFRESH_S)
def class_runs_panel(code: str) -> None:
    """(The teacher's Class page.) Every student run of the class, training or waiting, with a
    Stop each; the student reads that the teacher needed the machine."""
    runs = TRAINING_SLOTS.class_runs(code)
    if not runs:
        st.caption("No student of the class is training or waiting to train.")
        return
    st.caption(f"Students' runs: {len(runs)}. Your Start stops one that holds the machine.")
    now = time.time()
    for run in runs:
        text, stop = st.columns([3, 1], vertical_alignment="center")
        doing = "training" if run.training else "waiting"
        text.markdown(f"Student #{run.student_number}: {doing}, {now - run.since:.0f} s")
        stop.button(
            "Stop",
            key=f"class_run_stop_{run.ticket}",
            on_click=stop_run,
            args=(code, run.ticket),
            width="stretch",
        )
