"""The teacher keeps the role: a cookie holds the teacher key, a teacher link hands it on.

A teacher's session is a session that holds the class's code and a teacher credential
(``class_membership``): the secret, or a **teacher key** that the store issued for this browser
(``ClassroomStore.issue_teacher_key``: 128 random bits, kept as a hash, accepted by every
teacher power), so that the secret itself never goes into a page. A reload (F5), a closed tab
or a server restart starts a new session with an empty session state, so the browser keeps the
key with its class code (:func:`cnnviz.classroom.teacher_secret.teacher_key`) in a cookie:
Streamlit hands every session the cookies of the browser's websocket request
(``st.context.cookies``), and :func:`resume_teacher` takes the role back when the store accepts
the key. Nothing of it is drawn on the page, and the address bar (projected too) never holds it.

The cookie is written by a line of JavaScript in the page (``st.html`` with its script allowed:
the app's own origin, the app's path), once per session and key; leaving the class writes it
expired. For a second browser, the teacher shows a **teacher link** (``?teach=KEY``) on demand,
on the sidebar panel: opening it takes the role, keeps the key in that browser's cookie and
takes it out of the address at once.
"""

from __future__ import annotations

import json
from urllib.parse import quote, urlsplit

import streamlit as st

from cnnviz.classroom import ClassroomError
from cnnviz.classroom.teacher_secret import parse_teacher_key, teacher_key
from pages.glue.class_membership import (
    CLASS_CODE_KEY,
    TEACHER_LEFT_KEY,
    TEACHER_SECRET_KEY,
    class_store,
    is_teacher,
    leave_class,
)

TEACHER_COOKIE = "cnnviz_teacher"
TEACHER_LINK_PARAMETER = "teach"
COOKIE_WRITTEN_KEY = "class_teacher_cookie"  # the token this session last wrote to the cookie
BROWSER_KEY = "class_teacher_key"  # this browser's teacher key of the class it leads
SECONDS_PER_DAY = 86_400


def _write_cookie(value: str, max_age_s: int) -> None:
    """Set (or, with ``max_age_s`` 0, delete) the teacher cookie of this browser."""
    cookie = f"{TEACHER_COOKIE}={quote(value)}; path=/; max-age={max_age_s}; SameSite=Strict"
    st.html(
        f"<script>document.cookie = {json.dumps(cookie)} + "
        "(location.protocol === 'https:' ? '; Secure' : '');</script>",
        unsafe_allow_javascript=True,
    )


def _take_role(token: object) -> bool:
    """Lead the class of a teacher key's ``token`` when the store accepts the key (else change
    nothing)."""
    parsed = parse_teacher_key(token)
    if parsed is None:
        return False
    code, key = parsed
    try:
        class_store().check_teacher(code, key)
        state = class_store().state(code)
    except (ClassroomError, PermissionError):
        return False
    leave_class()
    st.session_state[CLASS_CODE_KEY] = state.code
    st.session_state[TEACHER_SECRET_KEY] = key  # the key leads as the secret does
    st.session_state[BROWSER_KEY] = (state.code, key)
    st.session_state.pop(TEACHER_LEFT_KEY, None)
    return True


def _browser_token() -> str:
    """This teacher browser's key token, issued by the store the first time it is needed."""
    code = st.session_state[CLASS_CODE_KEY]
    held = st.session_state.get(BROWSER_KEY)
    if held is None or held[0] != code:
        key = class_store().issue_teacher_key(code, st.session_state[TEACHER_SECRET_KEY])
        held = st.session_state[BROWSER_KEY] = (code, key)
    return teacher_key(*held)


def resume_teacher() -> bool:
    """A new session of a teacher's browser leads again: by a teacher link in the address,
    else by the cookie (unless this session left). Returns whether it leads now."""
    link_key = st.query_params.get(TEACHER_LINK_PARAMETER)
    if link_key is not None:
        st.query_params.pop(TEACHER_LINK_PARAMETER, None)  # the address bar is projected too
        if _take_role(link_key):
            return True
        st.sidebar.warning("This teacher link does not lead any class any more.")
    if st.session_state.get(TEACHER_LEFT_KEY):
        return False
    return _take_role(st.context.cookies.get(TEACHER_COOKIE))


def keep_teacher_key() -> None:
    """Keep this teacher's key in the browser's cookie; delete it once this session left."""
    written = st.session_state.get(COOKIE_WRITTEN_KEY)  # None: nothing yet, "": deleted
    current = written if written is not None else st.context.cookies.get(TEACHER_COOKIE, "")
    if is_teacher():
        st.session_state.pop(TEACHER_LEFT_KEY, None)
        wanted = _browser_token()
    else:
        wanted = "" if st.session_state.get(TEACHER_LEFT_KEY) else current
    if wanted != current:
        days = class_store().limits.retention_days  # as long as the class is kept
        _write_cookie(wanted, int(days * SECONDS_PER_DAY) if wanted else 0)
        st.session_state[COOKIE_WRITTEN_KEY] = wanted


def teacher_link() -> str:
    """This teacher's link for another browser of theirs: this app's address with the key."""
    parts = urlsplit(st.context.url or "http://localhost:8501/")
    token = quote(_browser_token())
    return f"{parts.scheme}://{parts.netloc}/?{TEACHER_LINK_PARAMETER}={token}"


def teacher_link_on_demand() -> None:
    """The teacher link, behind a switch that starts off (the screen may be projected)."""
    if st.toggle("Show my teacher link", key="class_show_teacher_link", value=False):
        st.code(teacher_link(), language=None)
        st.caption(
            "Open it in your other browser to lead from there. Anyone with it leads the class: "
            "switch this off before projecting."
        )
