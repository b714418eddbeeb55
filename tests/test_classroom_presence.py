"""The class store's presence and live counts, the settings kept per page and the teacher keys, on
SQLite and PostgreSQL (`fresh_database_url`, tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import sqlalchemy as sa

from cnnviz.classroom import ClassroomStore, InvalidInputError, UnknownStudentError
from cnnviz.classroom.store_classes import MAX_TEACHER_KEYS
from cnnviz.classroom.store_presence import PRESENT_WITHIN_S


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(fresh_database_url: str, clock: Clock) -> Iterator[ClassroomStore]:
    classroom = ClassroomStore(fresh_database_url, clock=clock)
    yield classroom
    classroom.dispose()


def test_the_counts_say_who_joined_follows_and_explores_where(store, clock):
    code, _ = store.create_class("Period 3")
    ada, bo, cy, di = (store.join(code) for _ in range(4))
    store.report_presence(code, ada, "pooling", True)
    store.report_presence(code, bo, "pooling", False)
    store.report_presence(code, cy, "convolution", False)
    store.report_presence(code, cy, "draw", False)  # a later report replaces the earlier one
    counts = store.class_counts(code)
    assert (counts.joined, counts.following, counts.exploring) == (4, 1, {"draw": 1, "pooling": 1})
    assert counts.here == 3  # di never opened a tab
    assert counts.answered is None and counts.drawings == ()

    # A tab that stops reporting (closed, or the network gone) is not counted any more.
    clock.now += PRESENT_WITHIN_S + 1
    store.report_presence(code, di, "classroom", True)
    counts = store.class_counts(code)
    assert (counts.joined, counts.following, counts.exploring) == (4, 1, {})


def test_the_counts_give_the_answers_to_the_open_question_and_the_rounds_drawings(store):
    code, secret = store.create_class("Period 3")
    ada, bo, _ = store.join(code, "Ada"), store.join(code), store.join(code)
    first = store.ask(code, secret, "Which?", ["a", "b"], 0)
    store.answer(code, ada, first, 0)
    store.answer(code, bo, first, 1)
    assert store.class_counts(code).answered == 2
    store.ask(code, secret, "And now?", ["a", "b"], 1)
    assert store.class_counts(code).answered == 0  # the open question's answers only

    image = np.zeros((28, 28), dtype=np.float32)
    store.add_drawing(code, bo, 3, image)  # before the round: not the round's
    store.start_round(code, secret, "Draw a 7")
    for student, times in ((ada, 2), (bo, 1)):
        for _ in range(times):
            store.add_drawing(code, student, 7, image)
    assert store.class_counts(code).drawings == ((1, "Ada", 2), (2, None, 1))


def test_a_report_is_checked_and_wakes_nobody(store, fresh_database_url):
    code, _ = store.create_class("Period 3")
    other, _ = store.create_class("Period 4")
    student = store.join(code)
    version = store.version(code)
    store.report_presence(code, student, "pooling", False)
    assert store.version(code) == version  # following students do not rerun for it
    with pytest.raises(UnknownStudentError):
        store.report_presence(other, student, "pooling", True)
    with pytest.raises(InvalidInputError, match="is not a page name"):
        store.report_presence(code, student, "../etc", True)
    with pytest.raises(InvalidInputError, match="yes/no"):
        store.report_presence(code, student, "pooling", "yes")


def test_each_pages_last_published_settings_stay_when_the_teacher_moves_on(store):
    code, secret = store.create_class("Period 3")
    assert store.page_settings(code, "pooling") == {}
    store.publish(code, secret, "pooling", {"pool_size": 3, "stride": 1})
    store.publish(code, secret, "classroom", {})
    assert store.state(code).settings == {}  # the class follows the Class page now
    assert store.page_settings(code, "pooling") == {"pool_size": 3, "stride": 1}
    store.publish(code, secret, "pooling", {"pool_size": 2, "stride": 2})
    assert store.page_settings(code, "pooling") == {"pool_size": 2, "stride": 2}


def test_removing_a_class_removes_its_presence_and_page_settings(fresh_database_url, clock):
    store = ClassroomStore(fresh_database_url, clock=clock)
    code, secret = store.create_class("Period 3")
    store.report_presence(code, store.join(code), "pooling", True)
    store.publish(code, secret, "pooling", {"pool_size": 3})
    clock.now += (store.limits.retention_days + 1) * 86_400
    assert store.remove_expired() == 1
    store.dispose()


def test_a_teacher_key_leads_like_the_secret_and_only_its_hash_is_stored(store, fresh_database_url):
    code, secret = store.create_class("Period 3")
    other, other_secret = store.create_class("Period 4")
    key = store.issue_teacher_key(code, secret)
    assert key != secret
    store.check_teacher(code, key)
    store.publish(code, key, "pooling", {"pool_size": 3})  # every teacher power takes it
    assert store.page_settings(code, "pooling") == {"pool_size": 3}
    with pytest.raises(PermissionError):
        store.check_teacher(other, key)  # another class's key leads nothing here
    with pytest.raises(PermissionError):
        store.issue_teacher_key(code, "not-the-secret")
    engine = sa.create_engine(fresh_database_url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(sa.text("SELECT key_hash FROM cnnviz_teacher_keys"))
            assert key not in [row[0] for row in stored]
    finally:
        engine.dispose()
    assert other_secret  # the other class is untouched


def test_a_class_keeps_its_newest_teacher_keys(store, clock):
    code, secret = store.create_class("Period 3")
    keys = []
    for _ in range(MAX_TEACHER_KEYS + 1):
        clock.now += 1
        keys.append(store.issue_teacher_key(code, secret))
    with pytest.raises(PermissionError):
        store.check_teacher(code, keys[0])
    for key in keys[1:]:
        store.check_teacher(code, key)
