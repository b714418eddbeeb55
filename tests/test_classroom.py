"""The class store (cnnviz.classroom) on SQLite and, with the same tests, on PostgreSQL.

Every test takes a `fresh_database_url` (tests/conftest.py): a fresh SQLite file, or a fresh
schema of the PostgreSQL that the `postgres_url` fixture provides (skipped when there is none,
required in CI).
"""

from __future__ import annotations

import io
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator

import numpy as np
import pytest
import sqlalchemy as sa

from cnnviz import PROJECT_ROOT
from cnnviz.classroom import (
    JOIN_CODE_ALPHABET,
    ClassClosedError,
    ClassLimits,
    ClassroomError,
    ClassroomStore,
    InvalidInputError,
    LimitReachedError,
    TrainingPermission,
    UnknownClassError,
    UnknownStudentError,
    normalise_code,
)
from cnnviz.database import DATABASE_URL_ENV, default_database_url

CLASS_SIZE = 40


@pytest.fixture
def store(fresh_database_url: str) -> Iterator[ClassroomStore]:
    classroom = ClassroomStore(fresh_database_url)
    yield classroom
    classroom.dispose()


def digit_image(seed: int) -> np.ndarray:
    """A (28, 28) float32 drawing in [0, 1] with values that uint8 could not hold exactly."""
    return np.random.default_rng(seed).random((28, 28), dtype=np.float32)


def table_counts(url: str) -> dict[str, int]:
    """Rows per table, read past the store: what is really in the database."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            names = sa.inspect(connection).get_table_names()
            return {
                name: connection.execute(sa.text(f"SELECT COUNT(*) FROM {name}")).scalar_one()
                for name in names
                if name.startswith("cnnviz_")
            }
    finally:
        engine.dispose()


# -- the contract --------------------------------------------------------------------------------


def test_a_class_round_trip_keeps_each_drawing_exactly(store):
    code, _ = store.create_class("Pooling, period 3")
    ada = store.join(code, nickname="Ada")
    bob = store.join(code)
    first, second = digit_image(1), digit_image(2)

    first_id = store.add_drawing(code, ada, 7, first, predictions={"lenet": 7, "alexnet": 1})
    second_id = store.add_drawing(code, bob, np.int64(3), second)

    drawings = store.drawings(code)
    assert [d.drawing_id for d in drawings] == [first_id, second_id]
    assert [(d.label, d.student_id) for d in drawings] == [(7, ada), (3, bob)]
    assert drawings[0].image28.dtype == np.float32 and drawings[0].image28.shape == (28, 28)
    np.testing.assert_array_equal(drawings[0].image28, first)
    np.testing.assert_array_equal(drawings[1].image28, second)
    assert drawings[0].predictions == {"alexnet": 1, "lenet": 7}
    assert drawings[1].predictions == {}
    assert [s.nickname for s in store.students(code)] == ["Ada", None]
    assert [s.number for s in store.students(code)] == [1, 2]
    assert store.state(code).title == "Pooling, period 3"


def test_join_codes_are_short_unambiguous_and_typed_in_any_case(store):
    codes = {store.create_class(f"class {i}")[0] for i in range(20)}
    assert len(codes) == 20
    for code in codes:
        assert len(code) == 6
        assert set(code) <= set(JOIN_CODE_ALPHABET)
    assert not set("0O1IL5S2Z") & set(JOIN_CODE_ALPHABET)
    code = next(iter(codes))
    typed = f" {code[:3].lower()}-{code[3:].lower()} "
    assert normalise_code(typed) == code
    student = store.join(typed)
    assert store.student(code, student).number == 1


def test_the_teacher_secret_is_stored_only_as_a_salted_hash(store, fresh_database_url):
    code, secret = store.create_class("A")
    _, other_secret = store.create_class("B")
    assert len(secret) >= 20 and secret != other_secret
    engine = sa.create_engine(fresh_database_url)
    with engine.connect() as connection:
        hashes = connection.execute(sa.text("SELECT secret_hash FROM cnnviz_classes")).scalars()
        hashes = list(hashes)
    engine.dispose()
    assert len(hashes) == 2 and len(set(hashes)) == 2
    assert all(secret not in stored and other_secret not in stored for stored in hashes)
    assert all(stored.startswith("pbkdf2_sha256$") for stored in hashes)
    store.check_teacher(code, secret)  # the right secret passes


def test_every_teacher_power_refuses_a_wrong_secret_and_changes_nothing(store, fresh_database_url):
    code, secret = store.create_class("A")
    _, other_secret = store.create_class("B")
    student = store.join(code)
    question = store.ask(code, secret, "Which?", ["a", "b"], 0)
    store.add_drawing(code, student, 1, digit_image(0))
    before_counts, before_state = table_counts(fresh_database_url), store.state(code)
    powers = [
        lambda s: store.close_class(code, s),
        lambda s: store.publish(code, s, "pooling", {"pool_size": 3}),
        lambda s: store.ask(code, s, "Q?", ["x", "y"], 1),
        lambda s: store.reveal(code, s, question),
        lambda s: store.start_round(code, s, "Draw a 7"),
        lambda s: store.end_round(code, s),
        lambda s: store.set_training_permission(code, s, "on"),
        lambda s: store.set_show_nicknames(code, s, True),
        lambda s: store.clear(code, s),
        lambda s: store.export_npz(code, s),
        lambda s: store.export_csv(code, s),
        lambda s: store.answers(code, s, question),
        lambda s: store.check_teacher(code, s),
    ]
    for power in powers:
        for wrong in (other_secret, student, "", None, secret + "x", secret[:-1]):
            with pytest.raises(PermissionError):
                power(wrong)
    assert table_counts(fresh_database_url) == before_counts
    assert store.state(code) == before_state


def test_a_closed_class_keeps_its_data_and_takes_nothing_new(store):
    code, secret = store.create_class("A")
    student = store.join(code)
    question = store.ask(code, secret, "Which?", ["a", "b"], 0)
    store.add_drawing(code, student, 4, digit_image(0))
    store.close_class(code, secret)
    store.close_class(code, secret)  # closing twice is harmless

    assert store.state(code).closed
    assert [d.label for d in store.drawings(code)] == [4]
    refused = [
        lambda: store.join(code),
        lambda: store.add_drawing(code, student, 1, digit_image(1)),
        lambda: store.answer(code, student, question, 1),
        lambda: store.ask(code, secret, "Q?", ["x", "y"], 0),
        lambda: store.publish(code, secret, "pooling", {}),
        lambda: store.start_round(code, secret, "Draw"),
        lambda: store.set_training_permission(code, secret, "on"),
    ]
    for attempt in refused:
        with pytest.raises(ClassClosedError, match="closed"):
            attempt()
    assert [d.label for d in store.drawings(code)] == [4]
    assert len(store.students(code)) == 1
    assert store.answer_counts(code, question) == [0, 0]
    assert isinstance(ClassClosedError("x"), ValueError)
    # The teacher can still export what the class made.
    assert "4" in store.export_csv(code, secret).splitlines()[1].split(",")


# -- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "message"),
    [
        (True, "whole number"),
        (False, "whole number"),
        (3.0, "whole number"),
        ("3", "whole number"),
        (None, "whole number"),
        (-1, "digit from 0 to 9"),
        (10, "digit from 0 to 9"),
        (np.int8(12), "digit from 0 to 9"),
    ],
)
def test_a_label_that_is_not_a_digit_is_refused_and_nothing_stored(store, label, message):
    code, _ = store.create_class("A")
    student = store.join(code)
    with pytest.raises(InvalidInputError, match=message):
        store.add_drawing(code, student, label, digit_image(0))
    assert store.drawings(code) == []


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.zeros((28, 27), dtype=np.float32), "28×28"),
        (np.zeros((1, 28, 28), dtype=np.float32), "28×28"),
        (np.zeros((28, 28, 1), dtype=np.float32), "28×28"),
        (np.zeros((28, 28), dtype=np.uint8), "floats"),
        (np.zeros((28, 28), dtype=bool), "floats"),
        (np.zeros((28, 28), dtype=object), "floats"),
        (np.zeros((28, 28)).tolist(), "numpy array"),
        ("a drawing", "numpy array"),
        (np.full((28, 28), np.nan, dtype=np.float32), "NaN"),
        (np.where(np.eye(28, dtype=bool), np.inf, 0).astype(np.float32), "NaN or infinite"),
        (np.full((28, 28), 1.01, dtype=np.float32), r"\[0, 1\]"),
        (np.full((28, 28), -0.1), r"\[0, 1\]"),
        (np.full((28, 28), 255.0, dtype=np.float32), r"\[0, 1\]"),
    ],
)
def test_a_drawing_of_the_wrong_shape_type_or_range_is_refused(store, image, message):
    code, _ = store.create_class("A")
    student = store.join(code)
    with pytest.raises(InvalidInputError, match=message):
        store.add_drawing(code, student, 1, image)
    assert store.drawings(code) == []


def test_a_float64_drawing_in_range_is_stored_as_float32(store):
    code, _ = store.create_class("A")
    student = store.join(code)
    image = np.linspace(0, 1, 784).reshape(28, 28)
    store.add_drawing(code, student, 0, image)
    np.testing.assert_array_equal(store.drawings(code)[0].image28, image.astype(np.float32))


def test_unknown_codes_and_students_are_refused_with_a_clear_message(store, fresh_database_url):
    code, secret = store.create_class("A")
    other_code, _ = store.create_class("B")
    student = store.join(code)
    stranger = store.join(other_code)
    before = table_counts(fresh_database_url)
    for bad_code in ("", "ABC", "AAAAAAA", "00OO11", None, 123):
        with pytest.raises(UnknownClassError, match="class code"):
            store.join(bad_code)
    missing = next(
        c
        for c in ("AAAAAA", "BBBBBB", "CCCCCC")
        if c not in (code, other_code)  # a well-formed code no class has
    )
    with pytest.raises(UnknownClassError, match=f"no class with the code {missing}"):
        store.join(missing)
    with pytest.raises(UnknownClassError):
        store.drawings(missing)
    with pytest.raises(UnknownClassError):
        store.version(missing)
    for bad_student in (stranger, "nobody", "", None, "x" * 500):
        with pytest.raises(UnknownStudentError, match="join"):
            store.add_drawing(code, bad_student, 1, digit_image(0))
    question = store.ask(code, secret, "Q?", ["a", "b"], 0)
    with pytest.raises(UnknownStudentError):
        store.answer(code, stranger, question, 0)
    with pytest.raises(InvalidInputError, match="no such question"):
        store.answer(code, student, question + 1000, 0)
    after = table_counts(fresh_database_url)
    assert after["cnnviz_drawings"] == before["cnnviz_drawings"] == 0
    assert after["cnnviz_students"] == before["cnnviz_students"]
    assert after["cnnviz_answers"] == 0


def test_texts_too_long_empty_or_with_control_characters_are_refused(store, fresh_database_url):
    limits = store.limits
    code, secret = store.create_class("A")
    before = table_counts(fresh_database_url)
    with pytest.raises(InvalidInputError, match="nickname is too long"):
        store.join(code, nickname="n" * (limits.max_nickname_length + 1))
    with pytest.raises(InvalidInputError, match="nickname must be text"):
        store.join(code, nickname=42)
    with pytest.raises(InvalidInputError, match="control characters"):
        store.join(code, nickname="a\x00b")
    with pytest.raises(InvalidInputError, match="question is too long"):
        store.ask(code, secret, "q" * (limits.max_question_length + 1), ["a", "b"], 0)
    with pytest.raises(InvalidInputError, match="question is empty"):
        store.ask(code, secret, "   ", ["a", "b"], 0)
    with pytest.raises(InvalidInputError, match="class title is too long"):
        store.create_class("t" * (limits.max_title_length + 1))
    with pytest.raises(InvalidInputError, match="class title is empty"):
        store.create_class("")
    assert table_counts(fresh_database_url) == before
    # At the limit is fine; an empty nickname means none.
    assert store.student(code, store.join(code, "n" * limits.max_nickname_length)).nickname
    assert store.student(code, store.join(code, "  ")).nickname is None


@pytest.mark.parametrize(
    ("choices", "correct", "message"),
    [
        (["only one"], 0, "2 to 10 choices"),
        ([str(i) for i in range(11)], 0, "2 to 10 choices"),
        ("ab", 0, "list of answers"),
        (["a", "a"], 0, "same"),
        (["a", ""], 0, "choice is empty"),
        (["a", "b"], 2, "one of the choices"),
        (["a", "b"], -1, "one of the choices"),
        (["a", "b"], True, "one of the choices"),
        (["a", "b"], "0", "one of the choices"),
        (["a", "b" * 81], 0, "choice is too long"),
    ],
)
def test_a_malformed_question_is_refused(store, choices, correct, message):
    code, secret = store.create_class("A")
    with pytest.raises(InvalidInputError, match=message):
        store.ask(code, secret, "Which?", choices, correct)
    assert store.questions(code) == []
    assert store.state(code).current_question is None


@pytest.mark.parametrize(
    ("page", "settings", "message"),
    [
        ("Pooling Page", {}, "page name"),
        ("pooling", {"Pool Size": 2}, "setting name"),
        ("pooling", {"pool_size": [2, 2]}, "number, text or yes/no"),
        ("pooling", {"pool_size": float("nan")}, "finite"),
        ("pooling", {"sample": "x" * 201}, "too long"),
        ("pooling", {f"key_{i}": i for i in range(41)}, "Too many settings"),
        ("pooling", [("pool_size", 2)], "mapping"),
    ],
)
def test_malformed_published_settings_are_refused(store, page, settings, message):
    code, secret = store.create_class("A")
    version = store.version(code)
    with pytest.raises(InvalidInputError, match=message):
        store.publish(code, secret, page, settings)
    assert store.version(code) == version
    assert store.state(code).page is None


def test_bad_predictions_are_refused(store):
    code, _ = store.create_class("A")
    student = store.join(code)
    for predictions, message in [
        ({"lenet": 10}, "digit"),
        ({"lenet": "7"}, "whole number"),
        ({"LeNet 5": 7}, "model name"),
        ([7], "map a model"),
    ]:
        with pytest.raises(InvalidInputError, match=message):
            store.add_drawing(code, student, 7, digit_image(0), predictions=predictions)
    assert store.drawings(code) == []


# -- following the teacher ---------------------------------------------------------------------


def test_publishing_bumps_the_version_only_when_something_changed(store):
    code, secret = store.create_class("A")
    start = store.version(code)
    settings = {"mode": "max", "pool_size": 2, "stride": 2, "padding": "valid", "zoom": 1.5}
    published = store.publish(code, secret, "pooling", settings)
    assert published == store.version(code) == start + 1
    assert store.publish(code, secret, "pooling", dict(reversed(settings.items()))) == published
    assert store.version(code) == published
    state = store.state(code)
    assert (state.page, state.settings) == ("pooling", settings)
    changed = store.publish(code, secret, "pooling", {**settings, "mode": "min"})
    assert changed == published + 1 == store.version(code)
    assert store.publish(code, secret, "draw", {}) == changed + 1
    assert store.state(code).page == "draw" and store.state(code).settings == {}


def test_numpy_values_are_published_as_plain_numbers(store):
    code, secret = store.create_class("A")
    store.publish(code, secret, "pooling", {"pool_size": np.int64(3), "flag": np.bool_(True)})
    assert store.state(code).settings == {"pool_size": 3, "flag": True}


def test_teacher_switches_change_the_state_and_the_version(store):
    code, secret = store.create_class("A")
    state = store.state(code)
    assert state.training_permission is TrainingPermission.SUBSETS
    assert state.show_nicknames is False
    store.set_training_permission(code, secret, "off")
    store.set_show_nicknames(code, secret, True)
    after = store.state(code)
    assert after.training_permission == "off" and after.show_nicknames is True
    assert after.version == state.version + 2
    with pytest.raises(InvalidInputError, match="off, subsets, on"):
        store.set_training_permission(code, secret, "sometimes")
    with pytest.raises(InvalidInputError, match="yes/no"):
        store.set_show_nicknames(code, secret, "yes")


# -- questions ----------------------------------------------------------------------------------


def test_each_student_counts_once_may_change_until_the_reveal_and_then_sees_the_result(store):
    code, secret = store.create_class("A")
    students = [store.join(code) for _ in range(4)]
    question = store.ask(code, secret, "Output size?", ["13", "14", "15"], 1)
    assert store.state(code).current_question == question
    assert store.my_answer(code, students[0], question) is None

    store.answer(code, students[0], question, 0)
    store.answer(code, students[0], question, 1)  # changed its mind: still one answer
    store.answer(code, students[1], question, 1)
    store.answer(code, students[2], question, np.int64(2))
    assert store.answer_counts(code, question) == [0, 2, 1]
    assert store.my_answer(code, students[0], question).correct is None  # not revealed yet
    with pytest.raises(InvalidInputError, match="3 choices"):
        store.answer(code, students[3], question, 3)
    with pytest.raises(InvalidInputError, match="3 choices"):
        store.answer(code, students[3], question, True)

    version = store.version(code)
    store.reveal(code, secret, question)
    assert store.version(code) == version + 1
    assert store.question(code, question).revealed
    assert store.my_answer(code, students[0], question).correct is True
    assert store.my_answer(code, students[2], question).correct is False
    assert store.my_answer(code, students[3], question) is None
    with pytest.raises(ClassClosedError, match="revealed"):
        store.answer(code, students[0], question, 2)
    with pytest.raises(ClassClosedError, match="revealed"):
        store.answer(code, students[3], question, 1)
    assert store.answer_counts(code, question) == [0, 2, 1]
    teacher_view = store.answers(code, secret, question)
    assert [(a.student_id, a.choice, a.correct) for a in teacher_view] == [
        (students[0], 1, True),
        (students[1], 1, True),
        (students[2], 2, False),
    ]


def test_a_poll_has_no_right_answer(store):
    code, secret = store.create_class("A")
    student = store.join(code)
    poll = store.ask(code, secret, "Which pooling do you prefer?", ["max", "average"], None)
    store.answer(code, student, poll, 1)
    store.reveal(code, secret, poll)
    assert store.my_answer(code, student, poll).correct is None


def test_a_questions_explanation_is_kept_for_the_reveal_and_checked_like_any_text(store):
    code, secret = store.create_class("A")
    explained = store.ask(code, secret, "Q?", ["a", "b"], 0, explanation="  Because a.  ")
    assert store.question(code, explained).explanation == "Because a."
    plain = store.ask(code, secret, "Q?", ["a", "b"], 0)
    assert store.question(code, plain).explanation is None
    with pytest.raises(InvalidInputError, match="explanation"):
        store.ask(code, secret, "Q?", ["a", "b"], 0, explanation="x" * 601)


def test_a_question_of_another_class_is_not_this_classes(store):
    code, secret = store.create_class("A")
    other_code, other_secret = store.create_class("B")
    student = store.join(code)
    foreign = store.ask(other_code, other_secret, "Q?", ["a", "b"], 0)
    with pytest.raises(InvalidInputError, match="no such question"):
        store.answer(code, student, foreign, 0)
    with pytest.raises(InvalidInputError, match="no such question"):
        store.reveal(code, secret, foreign)
    assert not store.question(other_code, foreign).revealed


# -- drawing rounds, export, clear, retention, caps --------------------------------------------


def test_drawings_belong_to_the_round_open_when_they_arrive(store):
    code, secret = store.create_class("A")
    student = store.join(code)
    store.add_drawing(code, student, 0, digit_image(0))
    first = store.start_round(code, secret, "Draw a 7")
    store.add_drawing(code, student, 7, digit_image(1))
    second = store.start_round(code, secret, "Draw a 1")
    store.add_drawing(code, student, 1, digit_image(2))
    store.end_round(code, secret)
    store.add_drawing(code, student, 2, digit_image(3))

    assert [d.round_id for d in store.drawings(code)] == [None, first, second, None]
    assert [d.label for d in store.drawings(code, round_id=first)] == [7]
    assert store.round_prompt(code, second) == "Draw a 1"
    assert store.state(code).current_round is None
    assert [d.label for d in store.drawings(code, student_id=student)] == [0, 7, 1, 2]


def test_the_export_is_mnist_shaped_and_the_csv_names_no_one(store):
    code, secret = store.create_class("A")
    ada, bob = store.join(code, "Ada"), store.join(code, "Bob")
    round_id = store.start_round(code, secret, "Draw")
    images = [digit_image(i) for i in range(3)]
    store.add_drawing(code, ada, 7, images[0], predictions={"lenet": 1, "alexnet": 7})
    store.add_drawing(code, bob, 3, images[1], predictions={"lenet": 3, "alexnet": 3})
    store.add_drawing(code, bob, 9, images[2], predictions={"lenet": 9})

    with np.load(io.BytesIO(store.export_npz(code, secret, round_id=round_id))) as exported:
        assert exported["x_test"].dtype == np.uint8 and exported["x_test"].shape == (3, 28, 28)
        np.testing.assert_array_equal(
            exported["x_test"], np.rint(np.stack(images) * 255).astype(np.uint8)
        )
        assert exported["y_test"].dtype == np.uint8
        assert exported["y_test"].tolist() == [7, 3, 9]
        assert exported["prediction_lenet"].tolist() == [1, 3, 9]
        assert exported["prediction_alexnet"].tolist() == [7, 3, -1]
        # The CSV's drawing, round and student columns, row for row.
        drawing_ids = [d.drawing_id for d in store.drawings(code)]
        assert exported["drawing_id"].tolist() == drawing_ids
        assert exported["round_id"].tolist() == [round_id] * 3
        student_numbers = [store.student(code, s).number for s in (ada, bob, bob)]
        assert exported["student_number"].tolist() == student_numbers == [1, 2, 2]

    lines = store.export_csv(code, secret).splitlines()
    assert lines[0] == "drawing,round,student,label,prediction_alexnet,prediction_lenet,time"
    assert [line.split(",")[2:6] for line in lines[1:]] == [
        ["1", "7", "7", "1"],
        ["2", "3", "3", "3"],
        ["2", "9", "", "9"],
    ]
    assert "Ada" not in "\n".join(lines) and "Bob" not in "\n".join(lines)


def test_the_answers_export_lists_every_answer_to_every_question_by_number(store):
    clock = iter(float(t) for t in range(1_700_000_000, 1_700_000_100))
    store._clock = lambda: next(clock)
    code, secret = store.create_class("A")
    ada, bob = store.join(code, "Ada"), store.join(code, "Bob")
    first = store.ask(code, secret, "Which is bigger?", ["2", "3"], 1)
    store.answer(code, bob, first, 1)
    store.answer(code, ada, first, 0)
    poll = store.ask(code, secret, "Which did you like?", ["pooling", "padding, of course"], None)
    store.answer(code, ada, poll, 1)
    store.reveal(code, secret, first)
    lines = store.export_answers_csv(code, secret).splitlines()
    assert lines == [
        "question,prompt,choice,right,student,time",
        f"{first},Which is bigger?,2,no,1,2023-11-14T22:13:25Z",
        f"{first},Which is bigger?,3,yes,2,2023-11-14T22:13:24Z",
        f'{poll},Which did you like?,"padding, of course",,1,2023-11-14T22:13:27Z',
    ]
    assert "Ada" not in "\n".join(lines) and "Bob" not in "\n".join(lines)
    with pytest.raises(PermissionError):
        store.export_answers_csv(code, "wrong secret")


def test_an_empty_export_still_loads(store):
    code, secret = store.create_class("A")
    with np.load(io.BytesIO(store.export_npz(code, secret))) as exported:
        assert exported["x_test"].shape == (0, 28, 28) and exported["y_test"].shape == (0,)
    assert store.export_csv(code, secret).splitlines() == ["drawing,round,student,label,time"]


def test_clear_removes_the_work_and_keeps_the_students(store):
    code, secret = store.create_class("A")
    student = store.join(code)
    store.start_round(code, secret, "Draw")
    store.add_drawing(code, student, 1, digit_image(0))
    question = store.ask(code, secret, "Q?", ["a", "b"], 0)
    store.answer(code, student, question, 0)
    store.clear(code, secret)
    assert store.drawings(code) == [] and store.questions(code) == []
    state = store.state(code)
    assert state.current_round is None and state.current_question is None
    assert [s.student_id for s in store.students(code)] == [student]
    store.add_drawing(code, student, 2, digit_image(1))  # the class goes on
    assert len(store.drawings(code)) == 1


def test_classes_older_than_the_retention_are_removed_with_all_their_rows(fresh_database_url):
    now = [1_000_000.0]
    store = ClassroomStore(
        fresh_database_url, limits=ClassLimits(retention_days=2), clock=lambda: now[0]
    )
    old_code, old_secret = store.create_class("Old")
    student = store.join(old_code)
    store.add_drawing(old_code, student, 1, digit_image(0))
    question = store.ask(old_code, old_secret, "Q?", ["a", "b"], 0)
    store.answer(old_code, student, question, 1)
    store.start_round(old_code, old_secret, "Draw")
    now[0] += 1.5 * 86_400
    young_code, _ = store.create_class("Young")
    store.join(young_code)
    assert store.remove_expired() == 0
    now[0] += 1 * 86_400  # Old is 2.5 days old, Young 1 day
    assert store.remove_expired() == 1
    with pytest.raises(UnknownClassError):
        store.state(old_code)
    assert store.state(young_code).title == "Young"
    counts = table_counts(fresh_database_url)
    assert counts["cnnviz_classes"] == 1 and counts["cnnviz_students"] == 1
    assert counts["cnnviz_drawings"] == counts["cnnviz_answers"] == counts["cnnviz_rounds"] == 0
    store.dispose()


def test_the_retention_reads_its_environment_variable(fresh_database_url, monkeypatch):
    monkeypatch.setenv("CNNVIZ_CLASS_RETENTION_DAYS", "7.5")
    store = ClassroomStore(fresh_database_url)
    assert store.limits.retention_days == 7.5
    store.dispose()
    for bad in ("soon", "0", "-1", "nan"):
        monkeypatch.setenv("CNNVIZ_CLASS_RETENTION_DAYS", bad)
        with pytest.raises(ValueError, match="CNNVIZ_CLASS_RETENTION_DAYS"):
            ClassroomStore(fresh_database_url)


def test_the_caps_on_students_and_drawings_hold(fresh_database_url):
    store = ClassroomStore(
        fresh_database_url, limits=ClassLimits(max_students=3, max_drawings_per_student=2)
    )
    code, _ = store.create_class("A")
    students = [store.join(code) for _ in range(3)]
    with pytest.raises(LimitReachedError, match="full"):
        store.join(code)
    store.add_drawing(code, students[0], 1, digit_image(0))
    store.add_drawing(code, students[0], 2, digit_image(1))
    with pytest.raises(LimitReachedError, match="2 drawings"):
        store.add_drawing(code, students[0], 3, digit_image(2))
    store.add_drawing(code, students[1], 3, digit_image(3))  # the cap is per student
    assert [d.label for d in store.drawings(code)] == [1, 2, 3]
    assert len(store.students(code)) == 3
    assert issubclass(LimitReachedError, ClassroomError)
    store.dispose()


# -- where the store lives --------------------------------------------------------------------


def test_the_default_is_an_embedded_sqlite_file_in_wal_mode(tmp_path, monkeypatch):
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    assert default_database_url() == f"sqlite:///{PROJECT_ROOT / 'data' / 'classroom.sqlite'}"
    monkeypatch.setenv(DATABASE_URL_ENV, f"sqlite:///{tmp_path / 'elsewhere.sqlite'}")
    store = ClassroomStore()
    assert store.dialect == "sqlite"
    store.create_class("A")
    store.dispose()
    with sqlite3.connect(tmp_path / "elsewhere.sqlite") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    engine = store._engine
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_the_data_folder_is_ignored_by_git():
    for name in ("classroom.sqlite", "classroom.sqlite-wal", "classroom.sqlite-shm"):
        ignored = subprocess.run(
            ["git", "check-ignore", "-q", f"data/{name}"], cwd=PROJECT_ROOT, check=False
        )
        assert ignored.returncode == 0, f"data/{name} is not git-ignored"


# -- a whole class at once, and durability ---------------------------------------------------


def test_a_whole_class_writing_at_once_from_threads_loses_nothing(fresh_database_url):
    store = ClassroomStore(fresh_database_url)
    code, secret = store.create_class("Forty")
    question = store.ask(code, secret, "Q?", ["a", "b", "c"], 0)
    drawings_each = 3
    barrier = threading.Barrier(CLASS_SIZE)
    errors: list[BaseException] = []
    joined: list[str] = []

    def student_work(index: int) -> None:
        try:
            barrier.wait()
            student = store.join(code, nickname=f"s{index}")
            joined.append(student)
            for k in range(drawings_each):
                store.add_drawing(code, student, (index + k) % 10, digit_image(index * 10 + k))
            store.answer(code, student, question, index % 3)
            store.answer(code, student, question, (index + 1) % 3)  # changes its mind
        except BaseException as error:  # collected: a thread's exception would be lost
            errors.append(error)

    threads = [threading.Thread(target=student_work, args=(i,)) for i in range(CLASS_SIZE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(set(joined)) == CLASS_SIZE
    students = store.students(code)
    assert sorted(s.number for s in students) == list(range(1, CLASS_SIZE + 1))
    drawings = store.drawings(code)
    assert len(drawings) == CLASS_SIZE * drawings_each
    by_student = {s.student_id: int(s.nickname[1:]) for s in students}
    for drawing in drawings:
        index = by_student[drawing.student_id]
        assert drawing.label in {(index + k) % 10 for k in range(drawings_each)}
    assert store.answer_counts(code, question) == [
        sum((i + 1) % 3 == c for i in range(CLASS_SIZE)) for c in range(3)
    ]
    store.dispose()


WRITER_SCRIPT = """
import sys
import numpy as np
from cnnviz.classroom import ClassroomStore

url, code, count, tag = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
store = ClassroomStore(url)
rng = np.random.default_rng(abs(hash(tag)) % 2**32)
for index in range(count):
    student = store.join(code, nickname=f"{tag}-{index}")
    drawing = store.add_drawing(code, student, index % 10, rng.random((28, 28), dtype=np.float32))
    # Printed only after the commit returned: every id printed is one the store promised.
    print(drawing, flush=True)
"""


def writer_process(url: str, code: str, count: int, tag: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER_SCRIPT, url, code, str(count), tag],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )


def test_several_processes_writing_to_one_database_lose_nothing(fresh_database_url):
    store = ClassroomStore(fresh_database_url)
    code, _ = store.create_class("Two servers")
    processes = [writer_process(fresh_database_url, code, 10, f"p{i}") for i in range(4)]
    printed = []
    for process in processes:
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err
        printed += [int(line) for line in out.split()]
    assert len(printed) == 40
    assert sorted(d.drawing_id for d in store.drawings(code)) == sorted(printed)
    assert sorted(s.number for s in store.students(code)) == list(range(1, 41))
    store.dispose()


def test_a_new_store_on_the_same_database_sees_everything(fresh_database_url):
    store = ClassroomStore(fresh_database_url)
    code, secret = store.create_class("A")
    student = store.join(code, "Ada")
    image = digit_image(5)
    store.add_drawing(code, student, 5, image, predictions={"lenet": 5})
    question = store.ask(code, secret, "Q?", ["a", "b"], 1)
    store.answer(code, student, question, 1)
    store.publish(code, secret, "pooling", {"pool_size": 3})
    state = store.state(code)
    store.dispose()
    del store

    reopened = ClassroomStore(fresh_database_url)
    assert reopened.state(code) == state
    (drawing,) = reopened.drawings(code)
    np.testing.assert_array_equal(drawing.image28, image)
    assert (drawing.label, drawing.student_id, drawing.predictions) == (5, student, {"lenet": 5})
    assert reopened.answer_counts(code, question) == [0, 1]
    reopened.check_teacher(code, secret)  # the secret still works after a restart
    reopened.dispose()


def test_a_writer_killed_midway_loses_nothing_it_committed(fresh_database_url):
    store = ClassroomStore(fresh_database_url)
    code, _ = store.create_class("A")
    process = writer_process(fresh_database_url, code, 10_000, "killed")
    committed = []
    for line in process.stdout:
        committed.append(int(line))
        if len(committed) == 25:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    reopened = ClassroomStore(fresh_database_url)
    stored = {d.drawing_id for d in reopened.drawings(code)}
    assert set(committed) <= stored
    # At most the one write in flight when it was killed may have landed besides.
    assert len(stored - set(committed)) <= 1
    if reopened.dialect == "sqlite":
        database = sa.make_url(fresh_database_url).database
        with sqlite3.connect(database) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    reopened.dispose()
    store.dispose()
