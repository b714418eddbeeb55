"""The sidebar's class panel on every page, and the teacher's publishing after every page.

``app.py`` calls :func:`class_panel` before each page and :func:`publish_for_class` around it.

- **The class panel** (in the sidebar of every page; a ``?class=CODE`` link's join form sits
  in the main area, above the page, where a phone shows it): join a class from the link,
  follow the teacher or explore alone, and the poll that brings the teacher's changes. A
  teacher's new session (F5, a restart, another browser) leads again by its teacher key
  (``pages/glue/teacher_key.py``). The poll is a fragment that reads only the class's version
  number (one integer from the database) and reruns the whole app only when it changed; it also
  reports where the student is, every few seconds, for the teacher's live counts. A student's
  id is kept in their address (``&student=ID``, and ``&follow=off`` while exploring) as well as
  in the session, so a reload (F5), which starts a new session, finds the same student; the
  store checks that the id belongs to that class first.
- **Publishing** (the teacher's browser): after each page run, the page and its followed
  settings (``cnnviz.teaching.FOLLOWED_SETTINGS``) go to the database, only when they changed.
"""

from __future__ import annotations

import time

import streamlit as st

from cnnviz.classroom import (
    ClassroomError,
    ClassState,
    UnknownClassError,
    UnknownStudentError,
    teaching,
)
from cnnviz.classroom.errors import CLASS_CLOSED
from cnnviz.classroom.store_presence import PRESENCE_REPORT_S
from cnnviz.site import PAGES
from pages.glue.class_counts import class_counts
from pages.glue.class_membership import (
    APPLIED_VERSION_KEY,
    CLASS_CODE_KEY,
    FOLLOW_KEY,
    FOLLOW_QUERY_PARAMETER,
    NOT_FOLLOWING,
    PRESENCE_KEY,
    PUBLISHED_KEY,
    STUDENT_ID_KEY,
    TEACHER_SECRET_KEY,
    class_store,
    is_student,
    is_teacher,
    join,
    leave_class,
    membership_in_url,
)
from pages.glue.teacher_key import keep_teacher_key, resume_teacher, teacher_link_on_demand

CLASS_PAGE = "pages/classroom.py"


def page_path(name: str) -> str | None:
    """The script of the page called ``name`` in the store (e.g. "pooling"), or None."""
    for page in PAGES:
        if teaching.page_name(page.path) == name:
            return page.path
    return None


def _keep_in_url() -> None:
    """Put the student's membership in the address bar (a page switch drops query params)."""
    wanted = membership_in_url()
    if any(st.query_params.get(key) != value for key, value in wanted.items()):
        st.query_params.update(wanted)
    if FOLLOW_QUERY_PARAMETER not in wanted:
        st.query_params.pop(FOLLOW_QUERY_PARAMETER, None)


def _rejoin_from_link(code: str, student_id: str) -> bool:
    """A reloaded student's tab: back in as the same student if the store knows the id in that
    class; otherwise the id is dropped from the address and the join form shows."""
    try:
        student = class_store().student(code, student_id)
        state = class_store().state(code)
    except ClassroomError:
        st.query_params.pop(teaching.STUDENT_QUERY_PARAMETER, None)
        st.warning("This link's student is not in that class: join it again below.")
        return False
    st.session_state[CLASS_CODE_KEY] = state.code
    st.session_state[STUDENT_ID_KEY] = student.student_id
    exploring = st.query_params.get(FOLLOW_QUERY_PARAMETER) == NOT_FOLLOWING
    st.session_state.setdefault(FOLLOW_KEY, not exploring)
    return True


def _join_from_link(code: str) -> None:
    """The join form for a ``?class=CODE`` link this browser has not joined yet: in the main
    area, above whatever page the link opened (a phone's sidebar starts collapsed)."""
    with st.container(border=True):
        st.subheader("🎓 Join the class")
        try:
            state = class_store().state(code)
        except ClassroomError as error:
            st.warning(str(error))
            return
        if state.closed:
            st.info(f"Class {state.code} ({state.title}) has been closed.")
            return
        st.markdown(f"**{state.title}** · code **{state.code}**")
        with st.form("class_link_join"):
            nickname = st.text_input(
                "Nickname (optional)", max_chars=class_store().limits.max_nickname_length
            )
            if st.form_submit_button("Join the class", type="primary"):
                join(state.code, nickname)


def _apply_teacher(state: ClassState, current_page: str) -> None:
    """Take over the teacher's settings and go to the teacher's page."""
    if state.page is not None:
        for key, value in teaching.settings_to_apply(state.page, state.settings).items():
            st.session_state[key] = value
    st.session_state[APPLIED_VERSION_KEY] = state.version
    target = page_path(state.page) if state.page else None
    if target is not None and state.page != current_page:
        st.switch_page(target, query_params=membership_in_url())


def _report_presence(code: str, page: str, following: bool) -> None:
    """Tell the teacher's counts where this student is: when that changed, else only every
    ``PRESENCE_REPORT_S`` (the poll runs every second; a write per poll would be 40 a second)."""
    last = st.session_state.get(PRESENCE_KEY)
    now = time.monotonic()
    if last is not None and last[:2] == (page, following) and now - last[2] < PRESENCE_REPORT_S:
        return
    try:
        class_store().report_presence(code, st.session_state[STUDENT_ID_KEY], page, following)
    except ClassroomError:
        return  # removed, or no longer this class's student: the next full run says so
    st.session_state[PRESENCE_KEY] = (page, following, now)


@st.fragment(run_every=teaching.follow_poll_s())
def _poll(code: str, rerun_on_change: bool, page: str, following: bool) -> None:
    """Read the class's version only; a full rerun only when the teacher changed something.
    Reports where the student is, every few seconds."""
    _report_presence(code, page, following)
    try:
        version = class_store().version(code)
    except UnknownClassError:
        return  # removed: the next full run says so
    if rerun_on_change and version != st.session_state.get(APPLIED_VERSION_KEY):
        st.rerun(scope="app")


def class_panel(current_page: str) -> None:
    """The sidebar's class panel; a following student is taken to the teacher's page here."""
    link_code = st.query_params.get(teaching.CLASS_QUERY_PARAMETER)
    link_student = st.query_params.get(teaching.STUDENT_QUERY_PARAMETER)
    if not (is_student() or is_teacher()):
        rejoined = bool(link_code and link_student) and _rejoin_from_link(link_code, link_student)
        if not (rejoined or resume_teacher()):
            keep_teacher_key()
            if link_code:
                _join_from_link(link_code)
            return
    keep_teacher_key()
    store = class_store()
    code = st.session_state[CLASS_CODE_KEY]
    try:
        state = store.state(code)
        student = store.student(code, st.session_state[STUDENT_ID_KEY]) if is_student() else None
    except (UnknownClassError, UnknownStudentError) as error:
        st.sidebar.warning(f"{error} This browser has left the class.")
        leave_class()
        return
    with st.sidebar:
        st.subheader(f"🎓 Class {state.code}")
        if is_teacher():
            st.caption(f"{state.title} · you lead it · students follow your page and settings.")
            st.page_link(CLASS_PAGE, label="Class page", icon="🎓")
            if current_page != teaching.page_name(CLASS_PAGE):  # the Class page shows them
                class_counts(state.code)
            teacher_link_on_demand()
            return
        st.caption(f"{state.title} · you are student #{student.number}")
        if state.closed:
            _keep_in_url()
            st.info(CLASS_CLOSED)
            return
        following = st.toggle(
            "Follow the teacher",
            value=st.session_state.get(FOLLOW_KEY, True),
            key="class_follow_toggle",
            help="Off: explore on your own. On again: back to the teacher's page and settings.",
        )
        if following and not st.session_state.get(FOLLOW_KEY, True):
            st.session_state.pop(APPLIED_VERSION_KEY, None)  # coming back: take over at once
        st.session_state[FOLLOW_KEY] = following
        _keep_in_url()
        if state.current_question is not None or state.current_round is not None:
            st.page_link(CLASS_PAGE, label="Question or drawing round: Class page", icon="✋")
        if st.button("Leave the class", key="class_leave"):
            leave_class()
            st.rerun()
    if following and state.version != st.session_state.get(APPLIED_VERSION_KEY):
        _apply_teacher(state, current_page)
    # Exploring students still see new questions and rounds when they are on the Class page:
    # this run shows the class as it is now, so it counts as applied. That must come before
    # the poll, whose body runs within this very run: seeing an older applied version, it
    # would rerun the app from inside every run, without end.
    on_class_page = current_page == teaching.page_name(CLASS_PAGE)
    if not following and on_class_page:
        st.session_state[APPLIED_VERSION_KEY] = state.version
    with st.sidebar:
        _poll(state.code, following or on_class_page, current_page, following)


def publish_for_class(current_page: str) -> None:
    """The teacher's page and its followed settings, published when they changed."""
    if not is_teacher():
        return
    keys = teaching.FOLLOWED_SETTINGS.get(current_page, {})
    settings = {key: st.session_state[key] for key in keys if key in st.session_state}
    published = (current_page, tuple(sorted(settings.items())))
    if st.session_state.get(PUBLISHED_KEY) == published:
        return
    try:
        class_store().publish(
            st.session_state[CLASS_CODE_KEY],
            st.session_state[TEACHER_SECRET_KEY],
            current_page,
            settings,
        )
    except ClassroomError as error:  # a closed class: nothing to lead any more
        st.sidebar.info(str(error))
    st.session_state[PUBLISHED_KEY] = published
