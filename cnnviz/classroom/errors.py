"""The class store's errors: each a ``ValueError`` whose message is written for its reader.

A student or teacher reads these messages on their page, so each says what went wrong and what
to do about it, in plain words.
"""

from __future__ import annotations

__all__ = [
    "ClassClosedError",
    "ClassroomError",
    "InvalidInputError",
    "LimitReachedError",
    "UnknownClassError",
    "UnknownStudentError",
]


class ClassroomError(ValueError):
    """Bad input to the class store; the message is written for the person who sent it."""


class UnknownClassError(ClassroomError):
    """No class has this join code (or it was removed after the retention period)."""


class UnknownStudentError(ClassroomError):
    """The student id is not one of this class's students."""


# The one wording of a closed class on a student's screen (the page, the sidebar, a refusal).
CLASS_CLOSED = "The teacher has closed this class."


class ClassClosedError(ClassroomError):
    """The class is closed: it keeps its data but takes nothing new."""


class LimitReachedError(ClassroomError):
    """A cap was reached (students per class, drawings per student, ...)."""


class InvalidInputError(ClassroomError):
    """A value of the wrong type, shape or range."""
