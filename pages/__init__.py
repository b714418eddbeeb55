"""What every page shares around its own content: the router check and the class panel.

A package, not a page: Streamlit never lists ``__init__.py`` as a page. ``app.py`` calls
:func:`class_panel` before each page and :func:`publish_for_class` after it; each page script
calls :func:`through_the_router` first.

- **Deep links on a fresh server.** Streamlit 1.67 decides once per server process, when the
  first session starts, whether the app is a legacy ``pages/`` app (``PagesManager.
  uses_pages_directory``: true whenever a ``pages/`` folder exists), and only ``st.navigation``
  clears that. So when a shared link such as ``/pooling?class=K7RW3M`` is the very first visit
  after the server starts, Streamlit runs ``pages/pooling.py`` directly, past ``app.py``: no
  navigation menu, no wide layout, no class panel. :func:`through_the_router` notices that
  (the flag is still set while a page runs outside the router), clears it as ``st.navigation``
  would have, and runs ``app.py`` in its place within the same run, so a click that started
  the run still counts. (Streamlit's AppTest resets the flag before every run, so there every
  page run comes this way; in a server only the first session's first run does.)
- **The class panel** (in the sidebar of every page): join a class from a ``?class=CODE`` link,
  follow the teacher or explore alone, and the poll that brings the teacher's changes. The
  poll is a fragment that reads only the class's version number (one integer from the
  database) and reruns the whole app only when it changed. A student's id is kept in their
  address (``&student=ID``) as well as in the session, so a reload (F5), which starts a new
  session, finds the same student; the store checks that the id belongs to that class first.
- **Publishing** (the teacher's browser): after each page run, the page and its followed
  settings (``cnnviz.classroom.teaching.FOLLOWED_SETTINGS``) go to the database, only when
  they changed.
- **A session's hold on its trainings** (:func:`session_claim`, :func:`hold_training`):
  Streamlit releases a session's resources, and with them its hold on its training jobs, as
  soon as its browser disconnects; the jobs then wait ``server.disconnectedSessionTTL`` for a
  session to hold them again (``cnnviz.training.registry``): a reload's new session by the
  ``?run=`` address (the Live training page), or the same session coming back after a network
  drop, on whatever page it is (:func:`hold_training`, every run).
- **Shared figures and results** (:func:`shared_figure`, :func:`shared_result`): a class on the
  same settings (students following their teacher, or simply on the defaults) would otherwise
  build the very same figures once per student on every rerun.
"""

from __future__ import annotations

import importlib
import runpy
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from cnnviz import PROJECT_ROOT
from cnnviz.classroom import (
    ClassroomError,
    ClassroomStore,
    ClassState,
    TrainingPermission,
    UnknownClassError,
    UnknownStudentError,
)
from cnnviz.classroom import teaching as classmode
from cnnviz.site import PAGES
from cnnviz.training.registry import TabClaim

# Session keys of class mode (this browser's membership; the class itself is in the database).
CLASS_CODE_KEY = "class_code"
STUDENT_ID_KEY = "class_student_id"
TEACHER_SECRET_KEY = "class_teacher_secret"
FOLLOW_KEY = "class_follow"  # the student's own choice, kept apart from the toggle's widget key
APPLIED_VERSION_KEY = "class_applied_version"  # the class version this browser last took over
PUBLISHED_KEY = "class_published"  # the teacher's last published (page, settings)
TEACHER_SETTINGS_KEY = "class_teacher_settings"  # page → the teacher's last settings there
TRAINING_TOKEN_KEY = "training_run_token"  # the registry token of this session's jobs
CLASS_PAGE = "pages/classroom.py"
ROUTER = PROJECT_ROOT / "app.py"
# How many built figures (and computed results) the server keeps for every session: a Pooling
# rerun draws about ten, a stroke on the Draw page about ten more. Bounded, so the memory of a
# day of classes levels off (a figure holds its picture: a few to ~250 KB).
SHARED_FIGURE_ENTRIES = 256
SHARED_RESULT_ENTRIES = 128

Result = TypeVar("Result")


def through_the_router() -> None:
    """Run ``app.py`` instead when Streamlit ran this page past it (see the module docstring).

    ``app.py`` runs this very page again through its navigation; this copy then stops.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False  # what st.navigation would have done
        runpy.run_path(str(ROUTER), run_name="__main__")
        st.stop()


def _function(name: str) -> Callable[..., Any]:
    module, _, qualname = name.partition(":")
    return getattr(importlib.import_module(module), qualname)


def _name(function: Callable[..., Any]) -> str:
    if "." in function.__qualname__ or function.__module__.startswith("__"):
        raise ValueError(f"{function.__qualname__} is not a module-level function of a module.")
    return f"{function.__module__}:{function.__qualname__}"


@st.cache_resource(show_spinner=False, max_entries=SHARED_FIGURE_ENTRIES)
def _built_figure(builder: str, args: tuple, kwargs: dict) -> Any:
    return _function(builder)(*args, **kwargs)


@st.cache_data(show_spinner=False, max_entries=SHARED_RESULT_ENTRIES)
def _computed_result(function: str, args: tuple, kwargs: dict) -> Any:
    return _function(function)(*args, **kwargs)


# Session-scoped, so Streamlit calls `on_release` when the browser disconnects: a job must not
# keep training (and holding the server's training slot) for a tab that is gone, unless a
# session holds it again within the grace period (cnnviz.training.registry). Python's garbage
# collector would find the jobs too, but only whenever it next runs a full collection.
@st.cache_resource(scope="session", on_release=TabClaim.release)
def session_claim() -> TabClaim:
    """This session's hold on its jobs, model key → TrainingJob (running or finished)."""
    return TabClaim(grace_s=session_ttl_s())


def session_ttl_s() -> float:
    """How long a closed tab's runs wait for the tab to come back: as long as Streamlit keeps
    a disconnected session for its browser (``server.disconnectedSessionTTL``)."""
    return float(st.get_option("server.disconnectedSessionTTL"))


def hold_training() -> None:
    """(app.py, every run.) A session that came back after its browser disconnected (a network
    drop) kept its state but lost its hold on its jobs: hold them again before the grace
    period ends. Nothing to do for a session that never trained or still holds its jobs."""
    token = st.session_state.get(TRAINING_TOKEN_KEY)
    if token is None:
        return
    claim = session_claim()
    if claim.token is None:
        jobs = claim.claim(token)
        if jobs is None:  # gone: the page's own jobs (abandoned) say what became of them
            del st.session_state[TRAINING_TOKEN_KEY]
        else:
            st.session_state.training_jobs = jobs


def shared_figure(builder: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
    """``builder(*args, **kwargs)``, built once for the whole server on these arguments.

    ``builder`` is a pure chart builder of :mod:`cnnviz.charts` (same arguments, same figure).
    Building a figure costs far more (plotly's validation) than sending a built one, and a class
    on the same settings asks for the same figures (the figures: bench/README.md).
    The figure is one object for every session (``st.cache_resource``): pages hand it to
    ``st.plotly_chart``, which only reads it, and never change it. Streamlit hashes the
    arguments (arrays by their bytes); a session building a figure another is building waits
    for that one instead of building it twice.
    """
    return _built_figure(_name(builder), args, kwargs)


def shared_result(function: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
    """``function(*args, **kwargs)`` computed once for the whole server on these arguments; each
    caller gets its own copy (``st.cache_data``). For pure cnnviz computations worth caching
    (the translation measure on a photo, say)."""
    return _computed_result(_name(function), args, kwargs)


@st.cache_resource(show_spinner=False)
def class_store() -> ClassroomStore:
    """The server's connection to the class database (one pool, shared by every session)."""
    store = ClassroomStore()
    store.remove_expired()
    return store


def page_path(name: str) -> str | None:
    """The script of the page called ``name`` in the store (e.g. "pooling"), or None."""
    for page in PAGES:
        if classmode.page_name(page.path) == name:
            return page.path
    return None


def leave_class() -> None:
    """Forget this browser's class (the class and its data stay in the database)."""
    for key in (CLASS_CODE_KEY, STUDENT_ID_KEY, TEACHER_SECRET_KEY, APPLIED_VERSION_KEY):
        st.session_state.pop(key, None)
    st.session_state.pop(PUBLISHED_KEY, None)
    st.query_params.pop(classmode.STUDENT_QUERY_PARAMETER, None)  # a reload must not rejoin


def membership_in_url() -> dict[str, str]:
    """This student's class code and id as query parameters (empty for anyone else)."""
    if not is_student():
        return {}
    return {
        classmode.CLASS_QUERY_PARAMETER: st.session_state[CLASS_CODE_KEY],
        classmode.STUDENT_QUERY_PARAMETER: st.session_state[STUDENT_ID_KEY],
    }


def _keep_in_url() -> None:
    """Put the student's membership in the address bar (a page switch drops query params)."""
    wanted = membership_in_url()
    if any(st.query_params.get(key) != value for key, value in wanted.items()):
        st.query_params.update(wanted)


def _rejoin_from_link(code: str, student_id: str) -> bool:
    """A reloaded student's tab: back in as the same student if the store knows the id in that
    class; otherwise the id is dropped from the address and the join form shows."""
    try:
        student = class_store().student(code, student_id)
        state = class_store().state(code)
    except ClassroomError:
        st.query_params.pop(classmode.STUDENT_QUERY_PARAMETER, None)
        st.sidebar.warning("This link's student is not in that class: join it again below.")
        return False
    st.session_state[CLASS_CODE_KEY] = state.code
    st.session_state[STUDENT_ID_KEY] = student.student_id
    st.session_state.setdefault(FOLLOW_KEY, True)
    return True


def is_teacher() -> bool:
    return TEACHER_SECRET_KEY in st.session_state and CLASS_CODE_KEY in st.session_state


def is_student() -> bool:
    return STUDENT_ID_KEY in st.session_state and CLASS_CODE_KEY in st.session_state


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


def _join_from_link(code: str) -> None:
    """The sidebar's join form for a ``?class=CODE`` link this browser has not joined yet."""
    st.sidebar.subheader("🎓 Join the class")
    try:
        state = class_store().state(code)
    except ClassroomError as error:
        st.sidebar.warning(str(error))
        return
    if state.closed:
        st.sidebar.info(f"Class {state.code} ({state.title}) has been closed.")
        return
    st.sidebar.markdown(f"**{state.title}** · code **{state.code}**")
    with st.sidebar.form("class_link_join"):
        nickname = st.text_input(
            "Nickname (optional)", max_chars=class_store().limits.max_nickname_length
        )
        if st.form_submit_button("Join the class"):
            join(state.code, nickname)


def _apply_teacher(state: ClassState, current_page: str) -> None:
    """Take over the teacher's settings and go to the teacher's page."""
    if state.page is not None:
        for key, value in classmode.settings_to_apply(state.page, state.settings).items():
            st.session_state[key] = value
    st.session_state[APPLIED_VERSION_KEY] = state.version
    target = page_path(state.page) if state.page else None
    if target is not None and state.page != current_page:
        st.switch_page(target, query_params=membership_in_url())


@st.fragment(run_every=classmode.follow_poll_s())
def _poll(code: str, rerun_on_change: bool) -> None:
    """Read the class's version only; a full rerun only when the teacher changed something."""
    try:
        version = class_store().version(code)
    except UnknownClassError:
        return  # removed: the next full run says so
    if rerun_on_change and version != st.session_state.get(APPLIED_VERSION_KEY):
        st.rerun(scope="app")


def class_panel(current_page: str) -> None:
    """The sidebar's class panel; a following student is taken to the teacher's page here."""
    link_code = st.query_params.get(classmode.CLASS_QUERY_PARAMETER)
    link_student = st.query_params.get(classmode.STUDENT_QUERY_PARAMETER)
    if not (is_student() or is_teacher()):
        rejoined = bool(link_code and link_student) and _rejoin_from_link(link_code, link_student)
        if not rejoined:
            if link_code:
                _join_from_link(link_code)
            return
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
            return
        _keep_in_url()
        st.caption(f"{state.title} · you are student #{student.number}")
        if state.closed:
            st.info("The teacher has closed the class.")
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
        if state.current_question is not None or state.current_round is not None:
            st.page_link(CLASS_PAGE, label="Question or drawing round: Class page", icon="✋")
        if st.button("Leave the class", key="class_leave"):
            leave_class()
            st.rerun()
    if following and state.version != st.session_state.get(APPLIED_VERSION_KEY):
        _apply_teacher(state, current_page)
    # Exploring students still see new questions and rounds when they are on the Class page.
    on_class_page = current_page == classmode.page_name(CLASS_PAGE)
    with st.sidebar:
        _poll(state.code, following or on_class_page)
    if not following and on_class_page:
        st.session_state[APPLIED_VERSION_KEY] = state.version


def publish_for_class(current_page: str) -> None:
    """The teacher's page and its followed settings, published when they changed."""
    if not is_teacher():
        return
    keys = classmode.FOLLOWED_SETTINGS.get(current_page, {})
    settings = {key: st.session_state[key] for key in keys if key in st.session_state}
    if keys:
        st.session_state.setdefault(TEACHER_SETTINGS_KEY, {})[current_page] = settings
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
