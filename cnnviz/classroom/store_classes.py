"""The class store's class and students: start, follow, switch, clear, close, expire; join.

What the teacher leads (the page and settings students follow, the training permission, the
projected view's nicknames) and who is in the class. Part of
:class:`cnnviz.classroom.ClassroomStore`.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cnnviz.classroom import schema, validation
from cnnviz.classroom.errors import InvalidInputError, LimitReachedError, UnknownClassError
from cnnviz.classroom.records import ClassState, Student, TrainingPermission
from cnnviz.classroom.store_base import StoreBase
from cnnviz.classroom.teacher_secret import (
    new_secret,
    new_teacher_key,
    stored_secret_hash,
    teacher_key_hash,
)

SECONDS_PER_DAY = 86_400.0
# A class keeps this many teacher keys (the teacher's browsers); a new one replaces the oldest.
MAX_TEACHER_KEYS = 10


class ClassLifecycle(StoreBase):
    """A class from its start to its removal, and its students."""

    # -- the class -----------------------------------------------------------------------------

    def create_class(self, title: str) -> tuple[str, str]:
        """Start a class. Returns ``(join_code, teacher_secret)``; the secret is shown only once.

        The class starts with training limited to small subsets and nicknames hidden.
        """
        title = validation.check_text(title, "class title", self.limits.max_title_length)
        secret = new_secret()
        secret_hash = stored_secret_hash(secret)
        for _attempt in range(10):
            code = "".join(
                secrets.choice(validation.JOIN_CODE_ALPHABET)
                for _ in range(validation.JOIN_CODE_LENGTH)
            )
            try:
                with self._writing() as connection:
                    connection.execute(
                        sa.insert(schema.classes).values(
                            code=code,
                            title=title,
                            secret_hash=secret_hash,
                            created_at=self._clock(),
                            closed_at=None,
                            version=1,
                            page=None,
                            settings_json="{}",
                            training_permission=TrainingPermission.SUBSETS.value,
                            show_nicknames=False,
                            current_round=None,
                            current_question=None,
                            students_joined=0,
                        )
                    )
                return code, secret
            except sa.exc.IntegrityError:
                continue  # the code was taken: draw another
        raise RuntimeError("Could not find a free class code in ten draws.")

    def issue_teacher_key(self, code: str, teacher_secret: str) -> str:
        """A new teacher key of the class, for one browser of its teacher: it leads the class
        as the secret does (every teacher power accepts it), and only its hash is stored."""
        key = new_teacher_key()
        keys = schema.teacher_keys
        with self._writing() as connection:
            row = self._teacher_class(connection, code, teacher_secret, open_only=False)
            connection.execute(
                sa.insert(keys).values(
                    key_hash=teacher_key_hash(key), code=row.code, created_at=self._clock()
                )
            )
            kept = (
                sa.select(keys.c.key_hash)
                .where(keys.c.code == row.code)
                .order_by(keys.c.created_at.desc())
                .limit(MAX_TEACHER_KEYS)
            )
            connection.execute(
                sa.delete(keys).where(
                    (keys.c.code == row.code) & keys.c.key_hash.not_in(kept.scalar_subquery())
                )
            )
        return key

    def state(self, code: str) -> ClassState:
        """What the class's pages follow (one small read)."""
        with self._reading() as connection:
            row = self._class_row(connection, code)
        return ClassState(
            code=row.code,
            title=row.title,
            version=row.version,
            page=row.page,
            settings=json.loads(row.settings_json),
            closed=row.closed_at is not None,
            training_permission=TrainingPermission(row.training_permission),
            show_nicknames=bool(row.show_nicknames),
            current_round=row.current_round,
            current_question=row.current_question,
            created_at=row.created_at,
        )

    def version(self, code: str) -> int:
        """The class's version number: it changes whenever the teacher changes anything.

        The cheapest read there is (one integer by primary key), for polling.
        """
        code = validation.normalise_code(code)
        with self._reading() as connection:
            version = connection.execute(
                sa.select(schema.classes.c.version).where(schema.classes.c.code == code)
            ).scalar()
        if version is None:
            raise UnknownClassError(f"There is no class with the code {code}.")
        return int(version)

    def close_class(self, code: str, teacher_secret: str) -> None:
        """Close the class: it keeps its data and takes no more joins, answers or drawings."""
        with self._writing() as connection:
            row = self._teacher_class(connection, code, teacher_secret, open_only=False)
            if row.closed_at is None:
                now = self._clock()
                # Its drawing round ends with it: a closed class takes no drawings.
                connection.execute(
                    sa.update(schema.rounds)
                    .where(schema.rounds.c.code == row.code, schema.rounds.c.ended_at.is_(None))
                    .values(ended_at=now)
                )
                self._bump(connection, row.code, closed_at=now, current_round=None)

    def publish(
        self, code: str, teacher_secret: str, page: str, settings: Mapping[str, Any]
    ) -> int:
        """Publish the teacher's current page and its settings; returns the new version.

        Publishing what is already published changes nothing (and keeps the version), so the
        teacher's page can publish on every rerun without waking the class.
        """
        if (
            not isinstance(page, str)
            or len(page) > schema.MAX_PAGE_NAME
            or not validation.PAGE_NAME.match(page)
        ):
            raise InvalidInputError(f"{page!r} is not a page name.")
        settings_json = json.dumps(validation.check_settings(settings), sort_keys=True)
        with self._writing() as connection:
            row = self._teacher_class(connection, code, teacher_secret, open_only=True)
            if row.page == page and row.settings_json == settings_json:
                return row.version
            self._bump(connection, row.code, page=page, settings_json=settings_json)
            if settings:  # a page without followed settings keeps the last of another page
                self._keep_page_settings(connection, row.code, page, settings_json)
            return row.version + 1

    @staticmethod
    def _keep_page_settings(
        connection: Connection, code: str, page: str, settings_json: str
    ) -> None:
        table = schema.page_settings
        where = (table.c.code == code) & (table.c.page == page)
        if connection.execute(sa.select(table.c.page).where(where)).first() is None:
            connection.execute(
                sa.insert(table).values(code=code, page=page, settings_json=settings_json)
            )
        else:
            connection.execute(sa.update(table).where(where).values(settings_json=settings_json))

    def page_settings(self, code: str, page: str) -> dict[str, Any]:
        """The settings the teacher last published on ``page`` ({} before any), wherever the
        teacher is now: what the class last saw there."""
        with self._reading() as connection:
            row = self._class_row(connection, code)
            settings_json = connection.execute(
                sa.select(schema.page_settings.c.settings_json).where(
                    (schema.page_settings.c.code == row.code)
                    & (schema.page_settings.c.page == page)
                )
            ).scalar()
        return {} if settings_json is None else json.loads(settings_json)

    def set_training_permission(
        self, code: str, teacher_secret: str, permission: TrainingPermission | str
    ) -> None:
        """Let students train: off, small subsets only, or on."""
        try:
            permission = TrainingPermission(permission)
        except ValueError as error:
            options = ", ".join(p.value for p in TrainingPermission)
            raise InvalidInputError(f"{permission!r} is not one of {options}.") from error
        with self._writing() as connection:
            row = self._teacher_class(connection, code, teacher_secret, open_only=True)
            self._bump(connection, row.code, training_permission=permission.value)

    def set_show_nicknames(self, code: str, teacher_secret: str, show: bool) -> None:
        """Whether the projected view shows nicknames (off by default)."""
        if not isinstance(show, bool):
            raise InvalidInputError("Showing nicknames is a yes/no choice.")
        with self._writing() as connection:
            row = self._teacher_class(connection, code, teacher_secret, open_only=True)
            self._bump(connection, row.code, show_nicknames=show)

    def clear(self, code: str, teacher_secret: str) -> None:
        """Remove the class's questions, answers, rounds and drawings; its students stay."""
        with self._writing() as connection:
            row = self._teacher_class(connection, code, teacher_secret, open_only=False)
            for table in (schema.answers, schema.questions, schema.drawings, schema.rounds):
                if table is schema.answers:
                    questions = sa.select(schema.questions.c.question_id).where(
                        schema.questions.c.code == row.code
                    )
                    connection.execute(
                        sa.delete(schema.answers).where(schema.answers.c.question_id.in_(questions))
                    )
                else:
                    connection.execute(sa.delete(table).where(table.c.code == row.code))
            self._bump(connection, row.code, current_round=None, current_question=None)

    def remove_expired(self) -> int:
        """Delete every class started more than the retention period ago; returns how many."""
        cutoff = self._clock() - self.limits.retention_days * SECONDS_PER_DAY
        with self._writing() as connection:
            codes = list(
                connection.execute(
                    sa.select(schema.classes.c.code).where(schema.classes.c.created_at < cutoff)
                ).scalars()
            )
            if codes:
                self._delete_classes(connection, codes)
        return len(codes)

    @staticmethod
    def _delete_classes(connection: Connection, codes: list[str]) -> None:
        questions = sa.select(schema.questions.c.question_id).where(
            schema.questions.c.code.in_(codes)
        )
        connection.execute(
            sa.delete(schema.answers).where(schema.answers.c.question_id.in_(questions))
        )
        for table in schema.CLASS_TABLES_CHILDREN_FIRST[1:]:
            connection.execute(sa.delete(table).where(table.c.code.in_(codes)))
        connection.execute(sa.delete(schema.classes).where(schema.classes.c.code.in_(codes)))

    # -- students ------------------------------------------------------------------------------

    def join(self, code: str, nickname: str | None = None) -> str:
        """Join a class; returns the student's id (keep it: it is the student's only key)."""
        if nickname is not None:
            nickname = (
                validation.check_text(
                    nickname, "nickname", self.limits.max_nickname_length, allow_empty=True
                )
                or None
            )
        with self._writing() as connection:
            row = self._locked_class(connection, code)
            if row.students_joined >= self.limits.max_students:
                raise LimitReachedError(
                    f"This class is full ({self.limits.max_students} students): ask the teacher."
                )
            student_id = secrets.token_urlsafe(18)
            number = row.students_joined + 1
            connection.execute(
                sa.insert(schema.students).values(
                    student_id=student_id,
                    code=row.code,
                    number=number,
                    nickname=nickname,
                    joined_at=self._clock(),
                )
            )
            connection.execute(
                sa.update(schema.classes)
                .where(schema.classes.c.code == row.code)
                .values(students_joined=number)
            )
        return student_id

    def students(self, code: str) -> list[Student]:
        """The class's students in the order they joined."""
        with self._reading() as connection:
            row = self._class_row(connection, code)
            rows = connection.execute(
                sa.select(schema.students)
                .where(schema.students.c.code == row.code)
                .order_by(schema.students.c.number)
            ).all()
        return [Student(r.student_id, r.number, r.nickname) for r in rows]

    def student(self, code: str, student_id: str) -> Student:
        """One student of the class; raises :class:`UnknownStudentError` for a foreign id."""
        with self._reading() as connection:
            row = self._class_row(connection, code)
            student = self._student_row(connection, row.code, student_id)
        return Student(student.student_id, student.number, student.nickname)
