"""What the class store hands out: a class's state, its students, drawings, questions, answers.

Frozen dataclasses (and the training permission's enum), read from the database by
:class:`cnnviz.classroom.ClassroomStore`; nothing here touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

__all__ = [
    "Answer",
    "AnswerRecord",
    "ClassCounts",
    "ClassDrawing",
    "ClassLimits",
    "ClassState",
    "Question",
    "Student",
    "TrainingPermission",
]


class TrainingPermission(StrEnum):
    """What the teacher lets students train during a class."""

    OFF = "off"
    SUBSETS = "subsets"  # small subsets only: a student's run takes seconds, not minutes
    ON = "on"


@dataclass(frozen=True)
class ClassLimits:
    """The caps that keep one class (and one mischievous student) bounded."""

    max_students: int = 100  # a large lecture; a school class is 20-40
    max_drawings_per_student: int = 60  # several rounds of ten digits
    max_title_length: int = 80
    max_nickname_length: int = 24
    max_question_length: int = 300  # a question that fits on a projected slide
    retention_days: float = 30.0  # a class's data is kept this long after it was started


@dataclass(frozen=True)
class Student:
    """A student of a class: ``number`` counts joins (1, 2, ...), shown instead of names."""

    student_id: str
    number: int
    nickname: str | None


@dataclass(frozen=True)
class ClassDrawing:
    """One digit a student drew: the 28×28 the network sees, the digit meant, what each model read.

    ``image28`` is a (28, 28) float32 array in [0, 1]; ``predictions`` maps a shipped model's
    registry name (e.g. ``"lenet"``) to the digit it predicted.
    """

    drawing_id: int
    student_id: str
    student_number: int
    label: int
    image28: np.ndarray = field(repr=False)
    predictions: dict[str, int]
    round_id: int | None
    created_at: float


@dataclass(frozen=True)
class Question:
    """A multiple-choice question; ``correct_index`` is None for an opinion poll.

    ``explanation`` (None if the teacher gave none) says why the answer is right; pages show it
    only after the reveal.
    """

    question_id: int
    prompt: str
    choices: tuple[str, ...]
    correct_index: int | None
    revealed: bool
    created_at: float
    explanation: str | None = None


@dataclass(frozen=True)
class Answer:
    """A student's answer; ``correct`` is None until the reveal (or for a poll)."""

    student_id: str
    choice: int
    correct: bool | None


@dataclass(frozen=True)
class AnswerRecord:
    """One student's answer to one question, for the teacher's export: ``correct`` says whether
    it is the right choice (None for a poll), whether or not the answer was revealed."""

    question_id: int
    prompt: str
    choice: str  # the choice's text
    correct: bool | None
    student_number: int
    answered_at: float  # seconds since the epoch


@dataclass(frozen=True)
class ClassState:
    """What a student's page follows: the teacher's page and settings, and the class's status.

    ``version`` grows with every change the teacher makes, so a page can poll it alone.
    """

    code: str
    title: str
    version: int
    page: str | None
    settings: dict[str, Any]
    closed: bool
    training_permission: TrainingPermission
    show_nicknames: bool
    current_round: int | None
    current_question: int | None
    created_at: float


@dataclass(frozen=True)
class ClassCounts:
    """What the teacher's screen counts live: who is here, where, and what they sent.

    A student is *here* when their tab reported in the last few seconds; ``exploring`` maps a
    page's name ("pooling") to how many explore there on their own. ``answered`` is None when
    no question is open; ``drawings`` gives each student of the open round (by number, with
    their nickname) how many drawings they sent in it.
    """

    joined: int
    following: int
    exploring: dict[str, int]
    answered: int | None
    drawings: tuple[tuple[int, str | None, int], ...]

    @property
    def here(self) -> int:
        """Students whose tab is open on the class now."""
        return self.following + sum(self.exploring.values())
