"""AppTest of class mode's live parts: the exploring student's poll, the teacher's key, the join
hint of a class link and the teacher's live counts.

Each test gets its own SQLite file (CNNVIZ_DATABASE_URL) and a fresh server-wide store.
"""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from cnnviz.classroom import ClassroomStore
from tests.apptest_helpers import APP, PAGE_TIMEOUT_S

CLASS_PAGE = "pages/classroom.py"
# A full run that takes longer than this is one that does not end.
SETTLE_TIMEOUT_S = 20


@pytest.fixture
def database_url(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'class.sqlite'}"
    monkeypatch.setenv("CNNVIZ_DATABASE_URL", url)
    st.cache_resource.clear()  # the app's store is cached per server: start from this file
    yield url
    st.cache_resource.clear()


def no_exception(app: AppTest) -> None:
    assert [e.value for e in app.exception] == []


def labelled(elements, label: str):
    """The one element with this label (AppTest finds form buttons by label, not key)."""
    (found,) = [element for element in elements if element.label == label]
    return found


def open_app(page: str | None = None, query: dict[str, str] | None = None) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=PAGE_TIMEOUT_S)
    for key, value in (query or {}).items():
        app.query_params[key] = value
    app.run()
    if page is not None:
        app.switch_page(page).run()
    no_exception(app)
    return app


def joined_student(code: str, page: str | None = None) -> AppTest:
    student = open_app(page, query={"class": code})
    labelled(student.sidebar.button, "Join the class").click().run()
    no_exception(student)
    return student


def test_an_exploring_student_on_the_class_page_sees_a_new_question_after_one_run(
    database_url, monkeypatch
):
    store = ClassroomStore(database_url)
    code, secret = store.create_class("Period 3")
    student = joined_student(code)
    student.switch_page(CLASS_PAGE).run()
    student.sidebar.toggle(key="class_follow_toggle").set_value(False).run()
    no_exception(student)

    store.ask(code, secret, "Which pooling keeps the brightest pixel?", ["max", "average"], 0)
    polls = []
    version = ClassroomStore.version
    monkeypatch.setattr(
        ClassroomStore, "version", lambda self, c: polls.append(c) or version(self, c)
    )
    # Before the fix the poll's fragment reran the app from within every full run: no end.
    student.run(timeout=SETTLE_TIMEOUT_S)
    no_exception(student)
    assert len(polls) == 1  # one poll in one full run: no rerun of its own
    assert any("brightest pixel" in m.value for m in student.markdown)
    assert student.session_state["class_follow"] is False


def test_a_legacy_run_whose_flag_another_session_cleared_still_goes_through_the_router(
    database_url, monkeypatch
):
    """After a restart many tabs reconnect at once: each run that starts while Streamlit still
    thinks this is a ``pages/`` app runs the page past app.py, and one of them clears that
    flag while the others are under way. Those others must still get the router."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner import script_runner

    legacy_run = script_runner._mpa_v1

    def another_session_clears_the_flag(main_script_path: str) -> None:
        PagesManager.uses_pages_directory = False  # another tab's run got there first
        legacy_run(main_script_path)

    store = ClassroomStore(database_url)
    code, _ = store.create_class("Period 3")
    student_id = store.join(code)
    (student,) = store.students(code)
    monkeypatch.setattr(script_runner, "_mpa_v1", another_session_clears_the_flag)
    app = open_app("pages/pooling.py", query={"class": code, "student": student_id})
    assert app.session_state["class_student_id"] == student_id
    assert any(f"you are student #{student.number}" in c.value for c in app.sidebar.caption)
    assert any(f"Class {code}" in h.value for h in app.sidebar.subheader)
