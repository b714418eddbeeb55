"""AppTest of class mode's live parts: the exploring student's poll, the teacher's key, the join
hint of a class link and the teacher's live counts.

Each test gets its own SQLite file (CNNVIZ_DATABASE_URL) and a fresh server-wide store.
"""

from __future__ import annotations

import numpy as np
import pytest
import streamlit as st
from google.protobuf import text_format
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
    labelled(student.button, "Join the class").click().run()
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


def test_a_new_teacher_session_from_the_teacher_link_leads_and_asks_from_the_published_settings(
    database_url,
):
    teacher = open_app(CLASS_PAGE)
    labelled(teacher.button, "Start the class").click().run()
    code = teacher.session_state["class_code"]
    secret = teacher.session_state["class_teacher_secret"]
    default_prompt = question_prompt(teacher)
    teacher.switch_page("pages/pooling.py").run()
    teacher.slider(key="pool_size").set_value(3).run()
    teacher.switch_page(CLASS_PAGE).run()
    published_prompt = question_prompt(teacher)
    assert published_prompt != default_prompt  # the pool size is in the question

    # The teacher link shows only when asked for, and never in the main (projected) area.
    assert not any("?teach=" in c.value for c in teacher.code)
    teacher.sidebar.toggle(key="class_show_teacher_link").set_value(True).run()
    (link,) = [c.value for c in teacher.sidebar.code if f"?teach={code}." in c.value]
    assert secret not in link and secret not in shown(teacher)  # a key of its own stands in

    other_browser = open_app(CLASS_PAGE, query={"teach": link.split("?teach=")[1]})
    no_exception(other_browser)
    assert other_browser.session_state["class_code"] == code
    ClassroomStore(database_url).check_teacher(code, link.split(".", 1)[1])  # the key leads
    assert "teach" not in other_browser.query_params  # out of the projected address bar
    assert any("you lead it" in c.value for c in other_browser.sidebar.caption)
    assert question_prompt(other_browser) == published_prompt

    forged = open_app(CLASS_PAGE, query={"teach": f"{code}.not-the-secret"})
    assert "class_teacher_secret" not in forged.session_state
    assert labelled(forged.button, "Start the class")


def shown(app: AppTest) -> str:
    """Everything the run sent to the browser, as text."""
    return "\n".join(text_format.MessageToString(node.proto) for node in leaves(app._tree))


def leaves(node):
    if hasattr(node, "children"):
        for child in node.children.values():
            yield from leaves(child)
    elif getattr(node, "proto", None) is not None:
        yield node


def question_prompt(teacher: AppTest) -> str:
    """The generated question the teacher's Class page offers to ask (its bold prompt)."""
    (prompt,) = [m.value for m in teacher.markdown if m.value.startswith("**") and "?" in m.value]
    return prompt


def test_a_class_link_shows_its_join_form_in_the_main_area_of_the_page_it_opens(database_url):
    store = ClassroomStore(database_url)
    code, _ = store.create_class("Period 3")
    for page in (None, "pages/pooling.py"):
        visitor = open_app(page, query={"class": code})
        assert [b.label for b in visitor.main.button if b.label == "Join the class"] == [
            "Join the class"
        ]
        assert not [b for b in visitor.sidebar.button if b.label == "Join the class"]
        assert any(f"code **{code}**" in m.value for m in visitor.main.markdown)
    labelled(visitor.main.text_input, "Nickname (optional)").set_value("Ada")
    labelled(visitor.main.button, "Join the class").click().run()
    no_exception(visitor)
    assert [s.nickname for s in store.students(code)] == ["Ada"]
    assert not [b for b in visitor.button if b.label == "Join the class"]


def test_the_teacher_sees_who_joined_follows_explores_answered_and_drew(database_url):
    teacher = open_app(CLASS_PAGE)
    labelled(teacher.button, "Start the class").click().run()
    code = teacher.session_state["class_code"]
    secret = teacher.session_state["class_teacher_secret"]
    store = ClassroomStore(database_url)
    follower = joined_student(code)
    explorer = joined_student(code, "pages/convolution.py")
    explorer.sidebar.toggle(key="class_follow_toggle").set_value(False).run()
    explorer.switch_page("pages/pooling.py").run()  # exploring, so it stays there
    store.join(code)  # a third who never opened the app since
    follower.run()
    question = store.ask(
        code, secret, "Which pooling keeps the brightest pixel?", ["max", "avg"], 0
    )
    store.answer(code, follower.session_state["class_student_id"], question, 0)
    store.start_round(code, secret, "Draw a 7")
    for _ in range(2):
        store.add_drawing(code, follower.session_state["class_student_id"], 7, np.zeros((28, 28)))

    teacher.run()
    no_exception(teacher)
    captions = [c.value for c in teacher.main.caption]
    assert "3 joined · 2 here: 1 following, 1 exploring" in captions
    assert "Exploring: Pooling & padding 1" in captions
    assert "1 of 3 answered" in captions
    assert "Drawings this round: #1: 2" in captions
    # On another page the teacher's sidebar panel shows the same counts.
    teacher.switch_page("pages/pooling.py").run()
    assert "1 of 3 answered" in [c.value for c in teacher.sidebar.caption]
