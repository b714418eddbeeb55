"""The class store's presence: where each student is, and the teacher's live counts.

A student's tab reports its page and whether it follows, at most every few seconds
(:data:`PRESENCE_REPORT_S`, the page glue's poll keeps to it); :meth:`ClassPresence.class_counts`
reads it back with the class's joins, answers and drawings for the teacher's screen. A report
never changes the class's version: the class is not woken by its own students. Part of
:class:`cnnviz.classroom.ClassroomStore`.
"""

from __future__ import annotations

import sqlalchemy as sa

from cnnviz.classroom import schema, validation
from cnnviz.classroom.errors import InvalidInputError
from cnnviz.classroom.records import ClassCounts
from cnnviz.classroom.store_base import StoreBase

# A tab reports at most this often (seconds): 40 students are 8 small writes a second.
PRESENCE_REPORT_S = 5.0
# A student whose tab has not reported for this long (three missed reports) is not here.
PRESENT_WITHIN_S = 3 * PRESENCE_REPORT_S


class ClassPresence(StoreBase):
    """Each student's last report, and the counts the teacher sees."""

    def report_presence(self, code: str, student_id: str, page: str, following: bool) -> None:
        """Record that this student's tab is open on ``page``, following the teacher or not."""
        if (
            not isinstance(page, str)
            or len(page) > schema.MAX_PAGE_NAME
            or not validation.PAGE_NAME.match(page)
        ):
            raise InvalidInputError(f"{page!r} is not a page name.")
        if not isinstance(following, bool):
            raise InvalidInputError("Following the teacher is a yes/no choice.")
        table = schema.presence
        values = {"page": page, "following": following, "seen_at": self._clock()}
        try:
            with self._writing() as connection:
                row = self._class_row(connection, code)
                self._student_row(connection, row.code, student_id)
                updated = connection.execute(
                    sa.update(table).where(table.c.student_id == student_id).values(**values)
                )
                if updated.rowcount == 0:
                    connection.execute(
                        sa.insert(table).values(student_id=student_id, code=row.code, **values)
                    )
        except sa.exc.IntegrityError:
            pass  # the same student's other tab inserted first: its report stands for both

    def class_counts(self, code: str) -> ClassCounts:
        """Joined, following, exploring by page, answers to the open question, drawings of the
        open round by student (one read transaction)."""
        with self._reading() as connection:
            row = self._class_row(connection, code)
            presence = schema.presence
            here = connection.execute(
                sa.select(presence.c.page, presence.c.following).where(
                    (presence.c.code == row.code)
                    & (presence.c.seen_at >= self._clock() - PRESENT_WITHIN_S)
                )
            ).all()
            answered = None
            if row.current_question is not None:
                answered = connection.execute(
                    sa.select(sa.func.count()).where(
                        schema.answers.c.question_id == row.current_question
                    )
                ).scalar_one()
            drawings: tuple[tuple[int, str | None, int], ...] = ()
            if row.current_round is not None:
                students, sent = schema.students, schema.drawings
                drawings = tuple(
                    (number, nickname, count)
                    for number, nickname, count in connection.execute(
                        sa.select(students.c.number, students.c.nickname, sa.func.count())
                        .join(sent, sent.c.student_id == students.c.student_id)
                        .where(sent.c.round_id == row.current_round)
                        .group_by(students.c.number, students.c.nickname)
                        .order_by(students.c.number)
                    ).all()
                )
        exploring: dict[str, int] = {}
        for page, following in here:
            if not following:
                exploring[page] = exploring.get(page, 0) + 1
        return ClassCounts(
            joined=row.students_joined,
            following=sum(1 for _, following in here if following),
            exploring=dict(sorted(exploring.items())),
            answered=answered,
            drawings=drawings,
        )
