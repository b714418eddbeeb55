"""A class in a database: the teacher leads, the students answer and draw, nothing is lost.

One concept: the classroom's shared state, kept in the class database (:mod:`cnnviz.database`)
through SQLAlchemy Core, and the teaching built on it. Every page of every server process reads
the class from the database: nothing about a class lives in a module-level object.

The store never trusts what a browser sent: every argument is checked here, whatever the page
already checked, and bad input raises a :class:`ClassroomError` (a ``ValueError``) with a message a
student can read, inside a transaction that then stores nothing. The teacher's powers need the
teacher secret that :meth:`ClassroomStore.create_class` returns once; only a salted PBKDF2 hash of
it is stored, compared in constant time, and a wrong secret raises ``PermissionError``.

The package, by layer (each imports only those above it):

* :mod:`~cnnviz.classroom.errors`, :mod:`~cnnviz.classroom.records` — the errors and what the
  store hands out;
* :mod:`~cnnviz.classroom.schema` — the tables; :mod:`~cnnviz.classroom.validation` and
  :mod:`~cnnviz.classroom.teacher_secret` — the checks on what a browser sends;
* :mod:`~cnnviz.classroom.store` — :class:`ClassroomStore`, in parts per concern
  (``store_base``, ``store_classes``, ``store_drawings``, ``store_questions``,
  ``store_presence``);
* :mod:`~cnnviz.classroom.teaching` — what a following student takes over, join links, the
  students' training rule; :mod:`~cnnviz.classroom.address` — the join link's address, one
  students' devices can open; :mod:`~cnnviz.classroom.questions` — the generated questions and
  their registry; :mod:`~cnnviz.classroom.statistics` — the class's accuracy and confusion;
  :mod:`~cnnviz.classroom.exports` — the class's work as files (``python -m cnnviz.classroom
  export CODE`` writes them).
"""

from cnnviz.classroom.errors import (
    ClassClosedError,
    ClassroomError,
    InvalidInputError,
    LimitReachedError,
    UnknownClassError,
    UnknownStudentError,
)
from cnnviz.classroom.records import (
    Answer,
    AnswerRecord,
    ClassCounts,
    ClassDrawing,
    ClassLimits,
    ClassState,
    Question,
    Student,
    TrainingPermission,
)
from cnnviz.classroom.store import ClassroomStore
from cnnviz.classroom.validation import (
    JOIN_CODE_ALPHABET,
    RETENTION_DAYS_ENV,
    normalise_code,
)

__all__ = [
    "JOIN_CODE_ALPHABET",
    "RETENTION_DAYS_ENV",
    "Answer",
    "AnswerRecord",
    "ClassClosedError",
    "ClassCounts",
    "ClassDrawing",
    "ClassLimits",
    "ClassState",
    "ClassroomError",
    "ClassroomStore",
    "InvalidInputError",
    "LimitReachedError",
    "Question",
    "Student",
    "TrainingPermission",
    "UnknownClassError",
    "UnknownStudentError",
    "normalise_code",
]
