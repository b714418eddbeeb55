"""AppTest of class mode: the teacher's Class page, a student joining by link, following, answering.

Each test gets its own SQLite file (CNNVIZ_DATABASE_URL) and a fresh server-wide store.
"""

from __future__ import annotations

import numpy as np
import pytest
import streamlit as st
from google.protobuf import text_format
from streamlit.testing.v1 import AppTest

from cnnviz import MODELS_DIR
from cnnviz.classroom import ClassroomStore, address
from cnnviz.models import settings_label, shipped_files
from cnnviz.training import load_shipped_history
from cnnviz.training.records import trained_config
from tests.apptest_helpers import APP, PAGE_TIMEOUT_S, chart_titles, markdown_texts, texts

CLASS_PAGE = "pages/classroom.py"


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


def start_class(title: str = "Period 3") -> tuple[AppTest, str]:
    teacher = open_app(CLASS_PAGE)
    labelled(teacher.text_input, "Title").set_value(title)
    labelled(teacher.button, "Start the class").click().run()
    no_exception(teacher)
    code = teacher.session_state["class_code"]
    assert teacher.session_state["class_teacher_secret"]
    return teacher, code


def shown(app: AppTest) -> str:
    """Everything the run sent to the browser (texts, widget labels, charts' specs), as text."""
    parts = []

    def walk(node) -> None:
        if hasattr(node, "children"):
            for child in node.children.values():
                walk(child)
        elif getattr(node, "proto", None) is not None:
            parts.append(text_format.MessageToString(node.proto, as_utf8=True))

    walk(app._tree)
    return "\n".join(parts)


def test_a_teacher_starts_a_class_and_sees_its_code_link_and_qr_and_the_secret_on_demand(
    database_url, monkeypatch
):
    monkeypatch.setattr(address, "network_address", lambda: "10.9.8.7")
    teacher, code = start_class()
    page_text = " ".join(m.value for m in teacher.markdown)
    assert code in page_text
    # The test's browser is on this machine (localhost): students get the machine's address.
    port = st.get_option("server.port")
    assert f"http://10.9.8.7:{port}/?class={code}" in page_text
    assert len(teacher.get("image")) == 1  # the QR code of the link
    secret = teacher.session_state["class_teacher_secret"]
    assert [c.value for c in teacher.code] == [] and secret not in shown(teacher)
    teacher.toggle(key="class_show_secret").set_value(True).run()
    assert [c.value for c in teacher.code] == [secret]
    teacher.toggle(key="class_show_secret").set_value(False).run()
    assert [c.value for c in teacher.code] == [] and secret not in shown(teacher)
    no_exception(teacher)
    assert ClassroomStore(database_url).state(code).title == "Period 3"


def test_a_machine_without_a_network_address_says_students_cannot_open_the_link(
    database_url, monkeypatch
):
    monkeypatch.setattr(address, "network_address", lambda: None)
    teacher, code = start_class()
    assert address.NO_NETWORK in texts(teacher.warning)
    assert any(
        f"localhost:{st.get_option('server.port')}/?class={code}" in m.value
        for m in teacher.markdown
    )


def test_nothing_on_the_projected_screen_gives_the_answer_away_before_the_reveal(database_url):
    teacher, code = start_class()
    store = ClassroomStore(database_url)
    student_id = store.join(code)
    # The output-size question (the default kind), as the teacher's screen shows it before asking.
    before_asking = shown(teacher)
    teacher.button(key="class_ask").click().run()
    no_exception(teacher)
    question = store.questions(code)[-1]
    right = question.choices[question.correct_index]
    assert question.explanation and question.explanation not in before_asking
    store.answer(code, student_id, question.question_id, question.correct_index)
    teacher.run()
    secret = teacher.session_state["class_teacher_secret"]
    for hidden in (f"Answer: {right}", question.explanation, secret):
        assert hidden not in shown(teacher), hidden
    assert chart_titles(teacher) == []  # no histogram (and no other chart on this screen)
    assert "1 answer so far: the histogram shows at the reveal." in texts(teacher.caption)

    # The teacher may look on purpose: the answer of the next question, the live histogram.
    teacher.toggle(key="class_show_answer").set_value(True).run()
    assert any(c.startswith("Answer: ") for c in texts(teacher.caption))
    teacher.toggle(key="class_show_answer").set_value(False).run()
    teacher.toggle(key=f"class_show_histogram_{question.question_id}").set_value(True).run()
    assert chart_titles(teacher) == ["1 answer"]

    # The reveal shows it all, to the teacher and to the student.
    teacher.button(key="class_reveal").click().run()
    no_exception(teacher)
    assert f"Answer: **{right}**. 1 of 1 students had it right." in texts(teacher.success)
    assert f"**Why:** {question.explanation}" in markdown_texts(teacher)
    assert chart_titles(teacher) == ["1 answer"]
    student = open_app(CLASS_PAGE, query={"class": code, "student": student_id})
    assert texts(student.success) == ["Right!"]
    assert f"**Why:** {question.explanation}" in markdown_texts(student)


def test_the_teachers_own_right_answer_leaves_the_screen_once_asked(database_url):
    teacher, code = start_class()
    teacher.selectbox(key="class_kind").set_value("own").run()
    teacher.text_input(key="class_own_prompt_0").set_value("Which pooling keeps a thin line?")
    teacher.text_area(key="class_own_choices_0").set_value("max\nmin\naverage").run()
    teacher.selectbox(key="class_own_right_0").set_value(0)
    teacher.text_input(key="class_own_why_0").set_value("The line is the brightest pixel.").run()
    teacher.button(key="class_ask").click().run()
    no_exception(teacher)
    (question,) = ClassroomStore(database_url).questions(code)
    assert (question.prompt, question.correct_index) == ("Which pooling keeps a thin line?", 0)
    assert question.explanation == "The line is the brightest pixel."
    # An empty form for the next question: no right answer, no explanation on the screen.
    assert teacher.text_area(key="class_own_choices_1").value == ""
    assert teacher.selectbox(key="class_own_right_1").value is None
    assert "brightest pixel" not in shown(teacher)


def test_a_student_joins_by_link_answers_and_sees_the_result_after_the_reveal(database_url):
    teacher, code = start_class()
    student = open_app("pages/pooling.py", query={"class": code})
    labelled(student.text_input, "Nickname (optional)").set_value("Ada")
    labelled(student.button, "Join the class").click().run()
    no_exception(student)
    store = ClassroomStore(database_url)
    (joined,) = store.students(code)
    assert joined.nickname == "Ada"
    assert student.session_state["class_student_id"] == joined.student_id
    assert any(f"Class {code}" in h.value for h in student.sidebar.subheader)

    # The teacher asks the generated output-size question (the default kind).
    teacher.button(key="class_ask").click().run()
    no_exception(teacher)
    question = store.questions(code)[-1]
    student.switch_page(CLASS_PAGE).run()
    no_exception(student)
    assert any(question.prompt in m.value for m in student.markdown)
    student.radio(key=f"class_answer_{question.question_id}").set_value(
        question.correct_index
    ).run()
    no_exception(student)
    assert store.answer_counts(code, question.question_id)[question.correct_index] == 1

    teacher.run()
    teacher.button(key="class_reveal").click().run()
    no_exception(teacher)
    assert store.question(code, question.question_id).revealed
    student.run()
    assert [s.value for s in student.success] == ["Right!"]


def test_a_following_student_is_taken_to_the_teachers_page_and_settings(database_url):
    teacher, code = start_class()
    student = open_app(query={"class": code})
    labelled(student.button, "Join the class").click().run()
    teacher.switch_page("pages/pooling.py").run()
    teacher.slider(key="pool_size").set_value(3).run()
    teacher.radio(key="padding").set_value("same").run()
    no_exception(teacher)
    state = ClassroomStore(database_url).state(code)
    assert state.page == "pooling"
    assert state.settings["pool_size"] == 3 and state.settings["padding"] == "same"

    student.run()
    no_exception(student)
    assert student.slider(key="pool_size").value == 3
    assert student.radio(key="padding").value == "same"

    # Exploring on one's own: the teacher's next change no longer moves this student.
    student.sidebar.toggle(key="class_follow_toggle").set_value(False).run()
    teacher.slider(key="stride").set_value(1).run()
    student.run()
    assert student.slider(key="stride").value == 2
    student.sidebar.toggle(key="class_follow_toggle").set_value(True).run()
    student.run()
    assert student.slider(key="stride").value == 1
    no_exception(student)


def test_a_wrong_code_and_an_unknown_link_say_so_without_a_traceback(database_url):
    student = open_app(CLASS_PAGE)
    for typed, message in [("AAAAAA", "no class with the code AAAAAA"), ("O0", "not a class code")]:
        labelled(student.text_input, "Class code (on the teacher's screen)").set_value(typed)
        labelled(student.button, "Join").click().run()
        no_exception(student)
        assert any(message in e.value for e in student.error)
        assert "class_student_id" not in student.session_state
    linked = open_app(query={"class": "nonsense!"})
    assert any("not a class code" in w.value for w in linked.warning)


def test_a_class_drawing_is_stored_with_each_models_reading_and_counted(database_url):
    teacher, code = start_class()
    teacher.button(key="class_round_start").click().run()
    no_exception(teacher)
    store = ClassroomStore(database_url)
    student_id = store.join(code)
    image = np.zeros((28, 28), dtype=np.float32)
    image[4:24, 13:15] = 1.0  # a one
    store.add_drawing(code, student_id, 1, image, predictions={"lenet": 1, "alexnet": 7})
    teacher.run()
    no_exception(teacher)
    metrics = {m.label: m.value for m in teacher.metric}
    # The shipped LeNet-5 is named by how it was trained (its history), not "(seed)".
    lenet = settings_label(trained_config(MODELS_DIR / shipped_files()["lenet"]))
    assert lenet == "LeNet-5 (8 epochs, augmented)"
    assert metrics[f"{lenet} on the class's drawings"] == "100.0%"
    shipped_accuracy = load_shipped_history("lenet")["test_accuracy"]
    assert metrics[f"{lenet} on MNIST's test digits"] == f"{shipped_accuracy:.2%}"
    teacher.radio(key="class_model").set_value("alexnet").run()
    metrics = {m.label: m.value for m in teacher.metric}
    assert metrics["AlexNet (MNIST) on the class's drawings"] == "0.0%"
    no_exception(teacher)


def test_a_reloaded_students_tab_is_the_same_student_and_their_answer_counts_once(database_url):
    teacher, code = start_class()
    student = open_app("pages/pooling.py", query={"class": code})
    labelled(student.button, "Join the class").click().run()
    no_exception(student)
    store = ClassroomStore(database_url)
    (joined,) = store.students(code)
    assert student.query_params == {"class": code, "student": joined.student_id}
    teacher.button(key="class_ask").click().run()
    question = store.questions(code)[-1]
    student.switch_page(CLASS_PAGE).run()
    assert student.query_params["student"] == joined.student_id  # kept across page switches
    student.radio(key=f"class_answer_{question.question_id}").set_value(0).run()

    # F5: a new session on the same address.
    reloaded = open_app(CLASS_PAGE, query=dict(student.query_params))
    assert reloaded.session_state["class_student_id"] == joined.student_id
    assert any(f"you are student #{joined.number}" in c.value for c in reloaded.sidebar.caption)
    assert reloaded.radio(key=f"class_answer_{question.question_id}").value == 0
    reloaded.radio(key=f"class_answer_{question.question_id}").set_value(1).run()
    no_exception(reloaded)
    assert [s.student_id for s in store.students(code)] == [joined.student_id]
    assert sum(store.answer_counts(code, question.question_id)) == 1
    assert store.answer_counts(code, question.question_id)[1] == 1


def test_a_forged_or_foreign_student_id_in_the_link_is_refused_and_joins_nobody(database_url):
    _, code = start_class()
    _, other_code = start_class("Period 4")
    foreign = ClassroomStore(database_url).join(other_code)
    for forged in ("not-a-student", foreign):
        visitor = open_app(query={"class": code, "student": forged})
        assert "class_student_id" not in visitor.session_state
        warnings = [w.value for w in visitor.warning]
        assert warnings == ["This link's student is not in that class: join it again below."]
        assert "student" not in visitor.query_params
        assert labelled(visitor.button, "Join the class")
    assert ClassroomStore(database_url).students(code) == []


def test_leaving_the_class_takes_the_student_out_of_the_address(database_url):
    _, code = start_class()
    student = open_app(query={"class": code})
    labelled(student.button, "Join the class").click().run()
    student.run()
    assert "student" in student.query_params
    student.sidebar.button(key="class_leave").click().run()
    no_exception(student)
    assert "student" not in student.query_params
    reloaded = open_app(query=dict(student.query_params))
    assert "class_student_id" not in reloaded.session_state
