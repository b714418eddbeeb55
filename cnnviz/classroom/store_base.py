"""The class store's foundation: its database, its transactions, and the rows every part locks.

:class:`StoreBase` holds what each part of :class:`cnnviz.classroom.ClassroomStore` (the class
and its students, drawing rounds, questions) writes through: the engine on the class database
(:mod:`cnnviz.database`), a write transaction that serialises with every other writer, and the
lookups of a class's row (locked for the transaction when it writes) and of a student's.

Every write first locks its class's row (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite each
write transaction takes the database's write lock at once, ``BEGIN IMMEDIATE``), so the caps
(students per class, drawings per student) hold however many students write at the same moment.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cnnviz.classroom import schema, validation
from cnnviz.classroom.errors import (
    CLASS_CLOSED,
    ClassClosedError,
    UnknownClassError,
    UnknownStudentError,
)
from cnnviz.classroom.records import ClassLimits
from cnnviz.classroom.teacher_secret import secret_matches, teacher_key_hash
from cnnviz.database import (
    create_database_engine,
    create_tables,
    default_database_url,
    write_transaction,
)


class StoreBase:
    """The database under a class store; see :class:`cnnviz.classroom.ClassroomStore`."""

    def __init__(
        self,
        url: str | None = None,
        *,
        limits: ClassLimits | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = url if url is not None else default_database_url()
        if limits is None:
            limits = ClassLimits(retention_days=validation.retention_days_from_env(30.0))
        self.limits = limits
        self._clock = clock
        self._engine = create_database_engine(self.url)
        # Several server processes may start at once on one database: create_tables retries.
        create_tables(
            self._engine, schema.metadata, owner=schema.OWNER, version=schema.SCHEMA_VERSION
        )

    @property
    def dialect(self) -> str:
        """ "sqlite" or "postgresql" (or another SQLAlchemy backend)."""
        return self._engine.dialect.name

    def dispose(self) -> None:
        """Close the pooled connections (the data stays in the database)."""
        self._engine.dispose()

    # -- transactions ------------------------------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        with write_transaction(self._engine) as connection:
            yield connection

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        with self._engine.begin() as connection:
            yield connection

    def _locked_class(
        self, connection: Connection, code: object, *, open_only: bool = True
    ) -> sa.Row:
        """The class's row, locked for this transaction; raises when unknown (or closed)."""
        code = validation.normalise_code(code)
        row = connection.execute(
            sa.select(schema.classes).where(schema.classes.c.code == code).with_for_update()
        ).first()
        if row is None:
            raise UnknownClassError(
                f"There is no class with the code {code}: check the code on the teacher's screen."
            )
        if open_only and row.closed_at is not None:
            raise ClassClosedError(CLASS_CLOSED)
        return row

    def _teacher_class(
        self, connection: Connection, code: object, teacher_secret: object, *, open_only: bool
    ) -> sa.Row:
        row = self._locked_class(connection, code, open_only=False)
        if not self._leads(connection, row, teacher_secret):
            raise PermissionError("Only the teacher of this class can do that (wrong secret).")
        if open_only and row.closed_at is not None:
            raise ClassClosedError(CLASS_CLOSED)
        return row

    @staticmethod
    def _leads(connection: Connection, row: sa.Row, credential: object) -> bool:
        """Whether ``credential`` is the class's teacher secret or one of its teacher keys."""
        if not isinstance(credential, str) or not credential or len(credential) > 200:
            return False
        if secret_matches(credential, row.secret_hash):
            return True
        keys = schema.teacher_keys
        found = connection.execute(
            sa.select(keys.c.code).where(
                (keys.c.key_hash == teacher_key_hash(credential)) & (keys.c.code == row.code)
            )
        ).first()
        return found is not None

    def _class_row(self, connection: Connection, code: object) -> sa.Row:
        code = validation.normalise_code(code)
        row = connection.execute(
            sa.select(schema.classes).where(schema.classes.c.code == code)
        ).first()
        if row is None:
            raise UnknownClassError(
                f"There is no class with the code {code}: check the code on the teacher's screen."
            )
        return row

    def _bump(self, connection: Connection, code: str, **values: Any) -> None:
        connection.execute(
            sa.update(schema.classes)
            .where(schema.classes.c.code == code)
            .values(version=schema.classes.c.version + 1, **values)
        )

    def _student_row(self, connection: Connection, code: str, student_id: object) -> sa.Row:
        if not isinstance(student_id, str) or not student_id or len(student_id) > 64:
            raise UnknownStudentError("This browser has not joined the class: join it again.")
        row = connection.execute(
            sa.select(schema.students).where(
                schema.students.c.student_id == student_id, schema.students.c.code == code
            )
        ).first()
        if row is None:
            raise UnknownStudentError("This browser has not joined this class: join it again.")
        return row

    def check_teacher(self, code: str, teacher_secret: str) -> None:
        """Raise ``PermissionError`` unless ``teacher_secret`` is this class's secret or one of
        its teacher keys (:meth:`issue_teacher_key`): either leads the class."""
        with self._reading() as connection:
            row = self._class_row(connection, code)
            leads = self._leads(connection, row, teacher_secret)
        if not leads:
            raise PermissionError("Only the teacher of this class can do that (wrong secret).")
