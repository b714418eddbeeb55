"""AppTest of the drawing round from both canvases: the Class page's and the Draw a digit page's.

A student sends a digit with its label; the label picker starts empty and is empty again after
each send (Send is disabled without one); the student reads what each network read; a closed
class has no round and says so in one wording. The canvas component is stood in for (no
JavaScript runs here), as in tests/test_page_draw.py.
"""

from __future__ import annotations

import sys
from types import SimpleNamespace

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from cnnviz import inference
from cnnviz.classroom import ClassroomStore
from cnnviz.classroom.errors import CLASS_CLOSED
from tests.apptest_helpers import APP, TENSORFLOW_TIMEOUT_S

CLASS_PAGE = "pages/classroom.py"
DRAW_PAGE = "pages/draw.py"


@pytest.fixture
def store(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'class.sqlite'}"
    monkeypatch.setenv("CNNVIZ_DATABASE_URL", url)
    st.cache_resource.clear()
    yield ClassroomStore(url)
    st.cache_resource.clear()


@pytest.fixture
def drawn_one(monkeypatch):
    """Every canvas holds a white "1" on black."""
    rgba = np.zeros((280, 280, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[50:230, 130:150, :3] = 255
    result = SimpleNamespace(image_data=rgba, json_data={"objects": [{"type": "path"}]})
    fake = SimpleNamespace(st_canvas=lambda **kwargs: result)
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", fake)


def student_on(page: str, code: str, student_id: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=TENSORFLOW_TIMEOUT_S)
    app.session_state["class_code"] = code
    app.session_state["class_student_id"] = student_id
    # Following: the teacher here publishes no page, so the student stays where they are.
    app.session_state["class_follow"] = True
    app.run()
    app.switch_page(page).run()
    assert [e.value for e in app.exception] == []
    return app


def send_button(app: AppTest, key: str):
    return app.button(key=f"{key}_send")


def send_a_one(app: AppTest, key: str) -> None:
    assert app.radio(key=f"{key}_label").value is None  # the picker starts empty
    assert send_button(app, key).disabled  # and Send waits for a label
    app.radio(key=f"{key}_label").set_value(1).run()
    assert not send_button(app, key).disabled
    send_button(app, key).click().run()
    assert [e.value for e in app.exception] == []


@pytest.mark.parametrize(("page", "key"), [(CLASS_PAGE, "class"), (DRAW_PAGE, "draw_round")])
def test_a_drawing_sent_from_either_page_counts_and_the_label_resets(store, drawn_one, page, key):
    code, secret = store.create_class("Period 3")
    student_id = store.join(code)
    round_id = store.start_round(code, secret, "Draw a one")
    student = student_on(page, code, student_id)
    send_a_one(student, key)
    (drawing,) = store.drawings(code, round_id=round_id)
    assert drawing.label == 1 and drawing.student_id == student_id
    assert set(drawing.predictions) == {"lenet", "alexnet"}
    (sent,) = [s.value for s in student.success]
    read = drawing.predictions
    # The shipped networks are named by how they were trained, as everywhere on the site.
    registry = inference.load_registry()
    lenet, alexnet = registry["lenet"].label, registry["alexnet"].label
    assert lenet == "LeNet-5 (8 epochs, augmented)"
    assert sent == f"Sent as a 1. {lenet} read {read['lenet']}, {alexnet} read {read['alexnet']}."
    assert student.radio(key=f"{key}_label").value is None  # a new digit needs a new label
    assert send_button(student, key).disabled
    assert "You have sent 1 drawing this round." in [c.value for c in student.caption]


def test_the_draw_page_offers_no_round_outside_one(store, drawn_one):
    code, _ = store.create_class("Period 3")
    student = student_on(DRAW_PAGE, code, store.join(code))
    assert "Prediction" in [m.label for m in student.metric]
    assert not [b for b in student.button if b.key == "draw_round_send"]


def test_closing_the_class_ends_the_round_and_says_so_in_one_wording(store, drawn_one):
    code, secret = store.create_class("Period 3")
    student_id = store.join(code)
    store.start_round(code, secret, "Draw a one")
    student = student_on(CLASS_PAGE, code, student_id)
    assert send_button(student, "class").disabled  # a label first
    store.close_class(code, secret)
    assert store.state(code).current_round is None
    student.run()
    assert not [b for b in student.button if b.key == "class_send"]
    assert "No drawing round open." in [c.value for c in student.caption]
    closed = [
        text
        for text in (*(i.value for i in student.info), *(i.value for i in student.sidebar.info))
        if "closed" in text
    ]
    assert closed and set(closed) == {CLASS_CLOSED}


def test_the_teacher_can_download_every_answer(store):
    code, secret = store.create_class("Period 3")
    teacher = AppTest.from_file(APP, default_timeout=TENSORFLOW_TIMEOUT_S)
    teacher.session_state["class_code"] = code
    teacher.session_state["class_teacher_secret"] = secret
    teacher.run()
    teacher.switch_page(CLASS_PAGE).run()
    assert [e.value for e in teacher.exception] == []
    labels = [element.proto.label for element in teacher.get("download_button")]
    assert "Download the answers (.csv)" in labels
