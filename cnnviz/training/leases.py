"""The training queue shared by several server processes: slot leases in the class database.

When a class is served by several Streamlit processes behind a proxy (``python -m
cnnviz.serve``), each process has its own memory, so the in-process queue
(:class:`cnnviz.training.queue.TrainingSlots`) would let every process train at once. Here the
queue is a table of the class database (``CNNVIZ_DATABASE_URL``, by default the SQLite file):
one row, a **lease**, per job that waits or trains, whichever process holds it.

- **Order**: a waiting job trains when it is first in line (by its role's priority, a class's
  teacher first, then first come, first served by enqueue time, as in the in-process queue)
  and fewer than ``CNNVIZ_MAX_TRAININGS`` leases are granted. Every decision is made in one
  write transaction that serialises with the others (SQLite: ``BEGIN IMMEDIATE``;
  PostgreSQL: a table lock), so two processes never both take the last slot.
- **Heartbeats**: each process renews its leases every ``heartbeat_s``; a lease not renewed
  for ``lease_ttl_s`` belonged to a process that died (killed, crashed) and is deleted by the
  next decision, so a dead process never holds the queue for long.
- **The teacher first, within seconds**: a teacher's lease that would wait marks its class's
  newest granted student lease ``stop_requested`` (in the same transaction as its grant check),
  as the teacher's Stop on the Class page does; the process holding that lease sees the mark at
  its next heartbeat and preempts the job (:meth:`cnnviz.training.queue.Waiter.preempt`).
- **Same interface** as the in-process queue (``acquire``/``release``/``position``/``ahead``/
  ``wake``/``running``): :class:`cnnviz.training.job.TrainingJob` does not know which one it has.

Waiting jobs in another process learn of a freed slot within ``poll_s``; jobs in this process
at once (``release`` and ``wake`` notify them). No TensorFlow here.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cnnviz.database import (
    create_database_engine,
    create_tables,
    default_database_url,
    write_transaction,
)
from cnnviz.training.queue import (
    ClassRun,
    QueueRole,
    Waiter,
    max_concurrent_trainings,
)

LEASE_TTL_S = 15.0  # a lease not renewed for this long belongs to a dead process
HEARTBEAT_S = 2.0  # each process renews its leases this often (well inside the TTL)
POLL_S = 0.5  # a waiter rechecks the table this often (another process may have freed a slot)
# Raised whenever the leases table changes: a database with another version is refused.
SCHEMA_VERSION = 2
LEASES_TABLE = "training_leases"

_metadata = sa.MetaData()
_leases = sa.Table(
    LEASES_TABLE,
    _metadata,
    sa.Column("lease_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("process", sa.String(120), nullable=False, index=True),  # who renews it
    sa.Column("role", sa.String(20), nullable=False),  # a QueueRole: whose run it is
    sa.Column("priority", sa.Integer, nullable=False),  # the role's: higher trains first
    sa.Column("enqueued_at", sa.Float, nullable=False),  # seconds since the epoch
    sa.Column("heartbeat_at", sa.Float, nullable=False),
    sa.Column("granted_at", sa.Float, nullable=True),  # None while it waits
    sa.Column("class_code", sa.String(16), nullable=True, index=True),  # whose class, if any
    sa.Column("student_number", sa.Integer, nullable=True),  # None: the teacher or a visitor
    # Set by the class's teacher (a Stop, or a Start that needs the slot); its process stops it.
    sa.Column("stop_requested", sa.Boolean, nullable=False, default=False),
)


def _in_line_before(priority: int, enqueued_at: float, lease_id: int) -> sa.ColumnElement[bool]:
    """Waiting leases ahead of one with these values: higher priority, then earlier, then
    lower id (two enqueued in the same clock tick)."""
    column = _leases.c
    return sa.or_(
        column.priority > priority,
        sa.and_(column.priority == priority, column.enqueued_at < enqueued_at),
        sa.and_(
            column.priority == priority,
            column.enqueued_at == enqueued_at,
            column.lease_id < lease_id,
        ),
    )


class DatabaseTrainingSlots:
    """A limit on how many jobs train at once across every process sharing one database.

    Parameters
    ----------
    url : str, optional
        The database (an SQLAlchemy URL); by default the class database's
        (``CNNVIZ_DATABASE_URL``, else the SQLite file).
    lease_ttl_s, heartbeat_s, poll_s : float
        See the module docstring; tests shorten them.
    clock : callable
        Seconds since the epoch, the same for every process (``time.time``).
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        lease_ttl_s: float = LEASE_TTL_S,
        heartbeat_s: float = HEARTBEAT_S,
        poll_s: float = POLL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not 0 < heartbeat_s < lease_ttl_s:
            raise ValueError(
                f"The heartbeat ({heartbeat_s} s) must be positive and shorter than the lease's "
                f"lifetime ({lease_ttl_s} s), or live leases would expire."
            )
        self.url = url
        self.lease_ttl_s = lease_ttl_s
        self.heartbeat_s = heartbeat_s
        self.poll_s = poll_s
        self._clock = clock
        # Who renews this process's leases: unique even if a pid is reused after a crash.
        self.process = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._setup_lock = threading.Lock()
        self._engine: Engine | None = None
        self._condition = threading.Condition()
        self._lease_ids: dict[int, int] = {}  # id(waiter) → its lease, this process's only
        self._waiters: dict[int, Waiter] = {}  # lease → its waiter, to preempt it
        self._heartbeat: threading.Thread | None = None
        self._closed = threading.Event()

    # -- the database ------------------------------------------------------------------------

    def _database(self) -> Engine:
        """The engine, and the table, made on first use (not when the module is imported)."""
        with self._setup_lock:
            if self._engine is None:
                engine = create_database_engine(self.url or default_database_url())
                create_tables(engine, _metadata, owner="training queue", version=SCHEMA_VERSION)
                self._engine = engine
            return self._engine

    def _writing(self) -> AbstractContextManager[Connection]:
        """A write transaction that serialises with every other process's decisions."""
        return write_transaction(self._database(), lock_table=LEASES_TABLE)

    # -- the interface of cnnviz.training.queue.TrainingSlots ------------------------------------

    def acquire(self, waiter: Waiter) -> bool:
        """Wait for a slot; False if the waiter was asked to stop while it waited."""
        now = self._clock()
        seat = waiter.class_seat
        with self._writing() as connection:
            lease_id = connection.execute(
                sa.insert(_leases).values(
                    process=self.process,
                    role=waiter.queue_role.value,
                    priority=waiter.queue_role.priority,
                    enqueued_at=now,
                    heartbeat_at=now,
                    granted_at=None,
                    class_code=None if seat is None else seat.code,
                    student_number=None if seat is None else seat.student_number,
                    stop_requested=False,
                )
            ).inserted_primary_key[0]
        with self._condition:
            self._lease_ids[id(waiter)] = lease_id
            self._waiters[lease_id] = waiter
        self._start_heartbeat()
        granted = False
        try:
            while not waiter.stop_event.is_set():
                if self._try_to_grant(lease_id):
                    granted = True
                    return True
                with self._condition:
                    self._condition.wait(timeout=self.poll_s)
            return False
        finally:
            if not granted:
                self._forget(waiter)

    def release(self, waiter: Waiter | None = None) -> None:
        """Give ``waiter``'s slot back (once per successful :meth:`acquire`)."""
        if waiter is None:
            raise ValueError("The shared queue needs to know whose slot to release.")
        self._forget(waiter)

    def position(self, waiter: Waiter) -> int | None:
        """1 for the next job to train, 2 for the one after it; None when not waiting."""
        with self._condition:
            lease_id = self._lease_ids.get(id(waiter))
        if lease_id is None:
            return None
        with self._database().begin() as connection:
            own = connection.execute(
                sa.select(_leases).where(_leases.c.lease_id == lease_id)
            ).first()
            if own is None or own.granted_at is not None:
                return None
            ahead = connection.execute(
                sa.select(sa.func.count())
                .select_from(_leases)
                .where(
                    _leases.c.granted_at.is_(None),
                    _leases.c.heartbeat_at >= self._clock() - self.lease_ttl_s,
                    _in_line_before(own.priority, own.enqueued_at, own.lease_id),
                )
            ).scalar_one()
        return int(ahead) + 1

    def ahead(self, waiter: Waiter) -> tuple[QueueRole, ...]:
        """The roles of the runs ahead of a waiter, in every process: those training now, then
        those waiting before it (empty when it is not waiting)."""
        with self._condition:
            lease_id = self._lease_ids.get(id(waiter))
        if lease_id is None:
            return ()
        alive = _leases.c.heartbeat_at >= self._clock() - self.lease_ttl_s
        with self._database().begin() as connection:
            own = connection.execute(
                sa.select(_leases).where(_leases.c.lease_id == lease_id)
            ).first()
            if own is None or own.granted_at is not None:
                return ()
            training = connection.execute(
                sa.select(_leases.c.role)
                .where(_leases.c.granted_at.is_not(None), alive)
                .order_by(_leases.c.granted_at, _leases.c.lease_id)
            ).scalars()
            roles = list(training)
            roles += connection.execute(
                sa.select(_leases.c.role)
                .where(
                    _leases.c.granted_at.is_(None),
                    alive,
                    _in_line_before(own.priority, own.enqueued_at, own.lease_id),
                )
                .order_by(_leases.c.priority.desc(), _leases.c.enqueued_at, _leases.c.lease_id)
            ).scalars()
        return tuple(QueueRole(role) for role in roles)

    def wake(self) -> None:
        """Make this process's waiters recheck at once (e.g. after one was asked to stop)."""
        with self._condition:
            self._condition.notify_all()

    @property
    def running(self) -> int:
        """How many slots are taken now, by every process."""
        with self._database().begin() as connection:
            return int(
                connection.execute(
                    sa.select(sa.func.count())
                    .select_from(_leases)
                    .where(
                        _leases.c.granted_at.is_not(None),
                        _leases.c.heartbeat_at >= self._clock() - self.lease_ttl_s,
                    )
                ).scalar_one()
            )

    def class_runs(self, code: str) -> tuple[ClassRun, ...]:
        """The runs of class ``code``'s students in every process, training ones first."""
        column = _leases.c
        with self._database().begin() as connection:
            rows = connection.execute(
                sa.select(_leases)
                .where(
                    column.class_code == code,
                    column.role == QueueRole.STUDENT.value,
                    column.stop_requested.is_(False),
                    column.heartbeat_at >= self._clock() - self.lease_ttl_s,
                )
                .order_by(column.granted_at.is_(None), column.enqueued_at, column.lease_id)
            ).all()
        return tuple(
            ClassRun(
                ticket=str(row.lease_id),
                student_number=row.student_number,
                training=row.granted_at is not None,
                since=row.enqueued_at,
            )
            for row in rows
        )

    def stop_class_run(self, code: str, ticket: str) -> bool:
        """Mark a run of class ``code`` to stop; the process holding it stops it within a
        heartbeat. False when it is gone (it ended meanwhile) or not of that class."""
        try:
            lease_id = int(ticket)
        except ValueError:
            return False
        with self._writing() as connection:
            marked = connection.execute(
                sa.update(_leases)
                .where(_leases.c.lease_id == lease_id, _leases.c.class_code == code)
                .values(stop_requested=True)
            ).rowcount
        self._preempt_marked()
        return bool(marked)

    def close(self) -> None:
        """Stop renewing this process's leases (they expire); for tests and shutdown."""
        self._closed.set()
        self.wake()
        if self._heartbeat is not None:
            self._heartbeat.join(timeout=5)
        if self._engine is not None:
            self._engine.dispose()

    # -- inside ------------------------------------------------------------------------------

    def _try_to_grant(self, lease_id: int) -> bool:
        """Grant ``lease_id`` a slot if it is first in line and one is free (one transaction)."""
        now = self._clock()
        with self._writing() as connection:
            # Leases of dead processes go first: they hold no slot and stand in no line.
            connection.execute(
                sa.delete(_leases).where(_leases.c.heartbeat_at < now - self.lease_ttl_s)
            )
            own = connection.execute(
                sa.select(_leases).where(_leases.c.lease_id == lease_id)
            ).first()
            if own is None:  # expired while this process could not renew it: back in line
                raise LeaseLostError(
                    "This server's place in the training queue expired (its database did not "
                    "answer for too long); start the training again."
                )
            granted = connection.execute(
                sa.select(sa.func.count())
                .select_from(_leases)
                .where(_leases.c.granted_at.is_not(None))
            ).scalar_one()
            if granted >= max_concurrent_trainings():
                if own.role == QueueRole.TEACHER.value and own.class_code is not None:
                    self._make_room(connection, own)
                return False
            if own.stop_requested:  # the teacher stopped it while it waited: its process will
                return False
            first = connection.execute(
                sa.select(_leases.c.lease_id)
                .where(_leases.c.granted_at.is_(None))
                .order_by(_leases.c.priority.desc(), _leases.c.enqueued_at, _leases.c.lease_id)
                .limit(1)
            ).scalar_one()
            if first != lease_id:
                return False
            connection.execute(
                sa.update(_leases)
                .where(_leases.c.lease_id == lease_id)
                .values(granted_at=now, heartbeat_at=now)
            )
            return True

    def _make_room(self, connection: Connection, own: sa.Row) -> None:
        """As the in-process queue does: the teacher's lease marks its class's newest granted
        student lease when the leases already marked cannot free a slot for it in time."""
        column = _leases.c
        staying = connection.execute(
            sa.select(sa.func.count())
            .select_from(_leases)
            .where(column.granted_at.is_not(None), column.stop_requested.is_(False))
        ).scalar_one()
        teachers = connection.execute(
            sa.select(sa.func.count())
            .select_from(_leases)
            .where(
                column.granted_at.is_(None),
                column.priority == own.priority,
                _in_line_before(own.priority, own.enqueued_at, own.lease_id),
            )
        ).scalar_one()
        if teachers + 1 <= max_concurrent_trainings() - staying:
            return
        newest = connection.execute(
            sa.select(column.lease_id)
            .where(
                column.granted_at.is_not(None),
                column.stop_requested.is_(False),
                column.role == QueueRole.STUDENT.value,
                column.class_code == own.class_code,
            )
            .order_by(column.granted_at.desc(), column.lease_id.desc())
            .limit(1)
        ).scalar()
        if newest is not None:
            connection.execute(
                sa.update(_leases).where(column.lease_id == newest).values(stop_requested=True)
            )

    def _preempt_marked(self) -> None:
        """Preempt this process's jobs whose leases the teacher marked (once each)."""
        with self._condition:
            mine = dict(self._waiters)
        if not mine:
            return
        with self._database().begin() as connection:
            marked = connection.execute(
                sa.select(_leases.c.lease_id).where(
                    _leases.c.lease_id.in_(list(mine)), _leases.c.stop_requested.is_(True)
                )
            ).scalars()
            marked = list(marked)
        for lease_id in marked:
            waiter = mine[lease_id]
            if not waiter.stop_event.is_set():
                waiter.preempt()

    def _forget(self, waiter: Waiter) -> None:
        with self._condition:
            lease_id = self._lease_ids.pop(id(waiter), None)
            self._waiters.pop(lease_id, None)
        if lease_id is not None:
            with self._writing() as connection:
                connection.execute(sa.delete(_leases).where(_leases.c.lease_id == lease_id))
        self.wake()  # the next waiter of this process need not wait for its poll

    def _start_heartbeat(self) -> None:
        with self._setup_lock:
            if self._heartbeat is None or not self._heartbeat.is_alive():
                self._heartbeat = threading.Thread(
                    target=self._renew_forever, name="training-lease-heartbeat", daemon=True
                )
                self._heartbeat.start()

    def _renew_forever(self) -> None:
        while not self._closed.wait(self.heartbeat_s):
            with self._condition:
                if not self._lease_ids:
                    continue
            try:
                with self._writing() as connection:
                    connection.execute(
                        sa.update(_leases)
                        .where(_leases.c.process == self.process)
                        .values(heartbeat_at=self._clock())
                    )
                self._preempt_marked()
            except sa.exc.DBAPIError:  # the next beat tries again; the TTL allows several misses
                continue


class LeaseLostError(RuntimeError):
    """This process's lease vanished from the table while it waited (it could not renew it)."""
