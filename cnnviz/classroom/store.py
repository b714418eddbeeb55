"""The class store: every class of this server (or of all servers sharing the database).

:class:`ClassroomStore` is one object, assembled from one part per concern so that each reads on
its own: the class and its students (:mod:`cnnviz.classroom.store_classes`), drawing rounds
(:mod:`cnnviz.classroom.store_drawings`), questions and answers
(:mod:`cnnviz.classroom.store_questions`), the students' presence and the teacher's live
counts (:mod:`cnnviz.classroom.store_presence`), all on the database and locks of
:mod:`cnnviz.classroom.store_base`.
"""

from __future__ import annotations

from cnnviz.classroom.store_classes import ClassLifecycle
from cnnviz.classroom.store_drawings import DrawingRounds
from cnnviz.classroom.store_presence import ClassPresence
from cnnviz.classroom.store_questions import QuestionsAndAnswers

__all__ = ["ClassroomStore"]


class ClassroomStore(ClassLifecycle, DrawingRounds, QuestionsAndAnswers, ClassPresence):
    """Every class of this server (or of all servers sharing the database).

    Parameters
    ----------
    url : str, optional
        An SQLAlchemy database URL. None: ``CNNVIZ_DATABASE_URL`` when set, else the embedded
        SQLite file :data:`cnnviz.database.DEFAULT_DATABASE_FILE`.
    limits : ClassLimits, optional
        The caps; the retention defaults to ``CNNVIZ_CLASS_RETENTION_DAYS`` when that is set.
    clock : callable, optional
        Seconds since the epoch; tests pass a fake one to age classes.

    Raises
    ------
    cnnviz.database.SchemaVersionError
        The database holds class tables of another schema version.

    Examples
    --------
    >>> import numpy as np
    >>> store = ClassroomStore("sqlite://")  # in memory, for the example
    >>> code, secret = store.create_class("Pooling, period 3")
    >>> student = store.join(code, nickname="Ada")
    >>> image = np.zeros((28, 28), dtype=np.float32)
    >>> store.add_drawing(code, student, 7, image)
    1
    >>> [drawing.label for drawing in store.drawings(code)]
    [7]
    >>> store.close_class(code, secret)
    >>> store.join(code)
    Traceback (most recent call last):
    ...
    cnnviz.classroom.errors.ClassClosedError: The teacher has closed this class.
    """
