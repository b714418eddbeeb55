"""This browser's place in a class: teacher, student, or neither, and joining and leaving.

The membership (the class code, and the student's id or the teacher's secret) is in the
session; the class itself is in the database (``cnnviz.classroom``), reached through
:func:`class_store`. A student's code and id are also kept in their address
(:func:`membership_in_url`), so a reload finds the same student (``class_panel``).
"""

from __future__ import annotations

import streamlit as st

from cnnviz.classroom import (
    ClassroomError,
    ClassroomStore,
    TrainingPermission,
    UnknownClassError,
    teaching,
)

# Session keys of class mode (this browser's membership; the class itself is in the database).
CLASS_CODE_KEY = "class_code"
STUDENT_ID_KEY = "class_student_id"
TEACHER_SECRET_KEY = "class_teacher_secret"
FOLLOW_KEY = "class_follow"  # the student's own choice, kept apart from the toggle's widget key
APPLIED_VERSION_KEY = "class_applied_version"  # the class version this browser last took over
PRESENCE_KEY = "class_presence"  # (page, following, monotonic time) of the last report
PUBLISHED_KEY = "class_published"  # the teacher's last published (page, settings)
# An exploring student's address says so (``&follow=off``): a reload or a restart keeps it.
FOLLOW_QUERY_PARAMETER = "follow"
NOT_FOLLOWING = "off"
# This session left the teacher's role: the teacher cookie it came with no longer leads.
TEACHER_LEFT_KEY = "class_teacher_left"


@st.cache_resource(show_spinner=False)
def class_store() -> ClassroomStore:
    """The server's connection to the class database (one pool, shared by every session)."""
    store = ClassroomStore()
    store.remove_expired()
    return store


def is_teacher() -> bool:
    return TEACHER_SECRET_KEY in st.session_state and CLASS_CODE_KEY in st.session_state


def is_student() -> bool:
    return STUDENT_ID_KEY in st.session_state and CLASS_CODE_KEY in st.session_state


def leave_class() -> None:
    """Forget this browser's class (the class and its data stay in the database)."""
    if is_teacher():
        st.session_state[TEACHER_LEFT_KEY] = True  # its teacher cookie goes too
    for key in (CLASS_CODE_KEY, STUDENT_ID_KEY, TEACHER_SECRET_KEY, APPLIED_VERSION_KEY):
        st.session_state.pop(key, None)
    st.session_state.pop(PUBLISHED_KEY, None)
    st.query_params.pop(teaching.STUDENT_QUERY_PARAMETER, None)  # a reload must not rejoin
    st.query_params.pop(FOLLOW_QUERY_PARAMETER, None)


def join(code: str, nickname: str) -> None:
    """Join ``code`` as a student; a bad code or a full class shows why and changes nothing."""
    store = class_store()
    try:
        student_id = store.join(code, nickname or None)
    except ClassroomError as error:
        st.error(str(error))
        return
    leave_class()
    st.session_state[CLASS_CODE_KEY] = store.state(code).code
    st.session_state[STUDENT_ID_KEY] = student_id
    st.session_state[FOLLOW_KEY] = True
    st.rerun()


def membership_in_url() -> dict[str, str]:
    """This student's class code and id as query parameters, and whether they explore (empty
    for anyone else)."""
    if not is_student():
        return {}
    membership = {
        teaching.CLASS_QUERY_PARAMETER: st.session_state[CLASS_CODE_KEY],
        teaching.STUDENT_QUERY_PARAMETER: st.session_state[STUDENT_ID_KEY],
    }
    if not st.session_state.get(FOLLOW_KEY, True):
        membership[FOLLOW_QUERY_PARAMETER] = NOT_FOLLOWING
    return membership


def class_queue_role() -> str:
    """This browser's role in the server's training queue (``cnnviz.training.queue.QueueRole``):
    the teacher of a class trains first. The teacher's secret was checked when it was given."""
    if is_teacher():
        return "teacher"
    return "student" if is_student() else "visitor"


def class_training_permission() -> TrainingPermission | None:
    """The teacher's training permission when this browser is a student (None: no limit).

    Read from the database at each call, so the teacher's latest choice applies.
    """
    if not is_student():
        return None
    try:
        return class_store().state(st.session_state[CLASS_CODE_KEY]).training_permission
    except UnknownClassError:
        return None  # the class was removed: the class panel says so
