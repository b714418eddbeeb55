"""The class database: one SQLAlchemy engine per URL, its write transactions, its tables' versions.

One concept: how cnnviz talks to the database every server process of a class shares, whatever
lives in it (the classes of :mod:`cnnviz.classroom`, the training queue's leases of
:mod:`cnnviz.training.leases`). By default that is an embedded SQLite file under
:data:`cnnviz.DATA_DIR` (WAL mode, so readers never wait for the one writer; a busy timeout, so
writers queue instead of failing); ``CNNVIZ_DATABASE_URL`` (e.g.
``postgresql+psycopg://user@host/cnnviz``) points every server at one PostgreSQL instead.

Each owner of tables creates them with :func:`create_tables`, which stamps their **schema
version** in the ``cnnviz_schema`` table and refuses a database whose tables are of another
version: SQLAlchemy's ``create_all`` would keep an existing table as it is, so a changed column
would otherwise fail later, in the middle of a class. Nothing here knows what a class is.

An SQLite file in WAL mode keeps recent commits in ``<file>-wal`` until a checkpoint copies them
into the file. So that the file alone holds the class (a teacher copies ``classroom.sqlite`` to
keep it), every SQLite engine is checkpointed (``PRAGMA wal_checkpoint(TRUNCATE)``) when it is
disposed and at the interpreter's exit, which a SIGTERM to Streamlit reaches too (its handler
stops the server and the interpreter then exits normally). :func:`backup_sqlite` copies a live
database consistently.
"""

from __future__ import annotations

import atexit
import os
import sqlite3
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cnnviz import DATA_DIR

__all__ = [
    "DATABASE_URL_ENV",
    "DEFAULT_DATABASE_FILE",
    "SCHEMA_TABLE",
    "SchemaVersionError",
    "backup_sqlite",
    "checkpoint_sqlite",
    "create_database_engine",
    "create_tables",
    "database_name",
    "default_database_url",
    "write_transaction",
]

DATABASE_URL_ENV = "CNNVIZ_DATABASE_URL"
DEFAULT_DATABASE_FILE = DATA_DIR / "classroom.sqlite"
SCHEMA_TABLE = "cnnviz_schema"  # one row per owner of tables: its name and its schema version
# Several server processes may start at once on one database and race to create the tables.
CREATE_ATTEMPTS = 3
# The execution option a write transaction carries, so that SQLite's BEGIN takes the lock at once.
_WRITE_OPTION = "cnnviz_write"
# Every SQLite engine on a file, checkpointed at exit (weakly: a disposed store may go away).
_SQLITE_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()

_schema_metadata = sa.MetaData()
_schema = sa.Table(
    SCHEMA_TABLE,
    _schema_metadata,
    sa.Column("owner", sa.String(40), primary_key=True),  # whose tables: "classroom", ...
    sa.Column("version", sa.Integer, nullable=False),
)


class SchemaVersionError(ValueError):
    """The database holds tables of another schema version than this cnnviz's."""


def default_database_url() -> str:
    """``CNNVIZ_DATABASE_URL`` when set, else the embedded SQLite file under the data folder."""
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    if url:
        return url
    return f"sqlite:///{DEFAULT_DATABASE_FILE}"


def database_name(url: str | sa.URL) -> str:
    """The database as a person finds it: an SQLite file's path, else the URL without password.

    >>> database_name("sqlite:///data/classroom.sqlite")
    'data/classroom.sqlite'
    >>> database_name("postgresql+psycopg://teacher:hunter2@db/cnnviz")
    'postgresql+psycopg://teacher:***@db/cnnviz'
    """
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            return parsed.database
        return "the in-memory SQLite database"
    return parsed.render_as_string(hide_password=True)


def _sqlite_engine(url: sa.URL) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    # Connections go back to a pool and come out on other threads (Streamlit runs each session
    # on its own); each is used by one thread at a time.
    engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @sa.event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN, not the driver's own guesswork.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
        cursor.execute("PRAGMA busy_timeout=30000")  # a writer waits its turn instead of failing
        cursor.execute("PRAGMA synchronous=FULL")  # a commit is on disk before it returns
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        # A deferred transaction that reads and then writes can fail at once with "database is
        # locked" (the busy timeout cannot help a lock upgrade): writers take the lock up front.
        if connection.get_execution_options().get(_WRITE_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")

    @sa.event.listens_for(engine, "engine_disposed")
    def _checkpoint(_engine: Engine) -> None:
        if url.database and url.database != ":memory:":
            checkpoint_sqlite(url.database)

    if url.database and url.database != ":memory:":
        _SQLITE_ENGINES.add(engine)
    return engine


def checkpoint_sqlite(path: str | Path) -> bool:
    """Copy the WAL of the SQLite file ``path`` into the file and empty it; True when it did.

    Another connection still reading may keep part of the WAL (False then: a later checkpoint
    copies it). A file that does not exist is left alone (and not created).
    """
    if not Path(path).exists():
        return False
    connection = sqlite3.connect(path, timeout=5)
    try:
        busy, _pages, _moved = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.Error:
        return False
    finally:
        connection.close()
    return busy == 0


def _checkpoint_at_exit() -> None:
    for engine in list(_SQLITE_ENGINES):
        engine.dispose()  # closes its pooled connections, then checkpoints (engine_disposed)


atexit.register(_checkpoint_at_exit)


def backup_sqlite(url: str, destination: str | Path) -> Path:
    """Copy the SQLite database of ``url`` to ``destination`` consistently, while servers may
    be writing to it (sqlite3's online backup); returns the copy's path.

    Raises ``ValueError`` for another backend (PostgreSQL: use ``pg_dump``) or an in-memory one.
    """
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise ValueError(
            f"{database_name(parsed)} is not an SQLite file: back PostgreSQL up with pg_dump."
        )
    if not parsed.database or parsed.database == ":memory:":
        raise ValueError("An in-memory SQLite database has no file to back up.")
    if not Path(parsed.database).exists():
        raise ValueError(f"There is no database at {parsed.database}.")
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(parsed.database, timeout=30)
    target = sqlite3.connect(destination)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    return destination


def create_database_engine(url: str) -> Engine:
    """An engine on ``url``: SQLite in WAL mode with a busy timeout and foreign keys on; other
    backends with pre-pinged pooled connections. Write through :func:`write_transaction`."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    return sa.create_engine(parsed, pool_pre_ping=True)


@contextmanager
def write_transaction(engine: Engine, *, lock_table: str | None = None) -> Iterator[Connection]:
    """A write transaction, committed when the block ends (rolled back if it raises).

    On SQLite it holds the database's write lock from its first statement (``BEGIN
    IMMEDIATE``), so every write transaction of every process runs one after the other. On
    PostgreSQL writers run side by side: ``lock_table`` names a table to lock until the commit
    (``SHARE ROW EXCLUSIVE``: the writers of that table take turns, its readers never wait);
    without it the caller locks the rows it needs (``SELECT ... FOR UPDATE``).
    """
    with engine.execution_options(**{_WRITE_OPTION: True}).begin() as connection:
        if lock_table is not None and connection.dialect.name == "postgresql":
            quoted = connection.dialect.identifier_preparer.quote(lock_table)
            connection.exec_driver_sql(f"LOCK TABLE {quoted} IN SHARE ROW EXCLUSIVE MODE")
        yield connection


def create_tables(engine: Engine, metadata: sa.MetaData, *, owner: str, version: int) -> None:
    """Create ``metadata``'s tables if missing, at schema ``version`` of their ``owner``.

    The version is stamped in :data:`SCHEMA_TABLE` when the tables are made. A database
    stamped with another version raises :class:`SchemaVersionError` naming the file; so does
    an unstamped one (made before the stamp) whose existing tables have other columns. Several
    processes may call this at once: the loser of a race retries and finds the winner's tables.
    """
    for attempt in range(CREATE_ATTEMPTS):
        try:
            with write_transaction(engine) as connection:
                _create_versioned(connection, metadata, owner, version)
            return
        except sa.exc.DBAPIError:
            if attempt == CREATE_ATTEMPTS - 1:
                raise
            time.sleep(0.1 * (attempt + 1))


def _create_versioned(
    connection: Connection, metadata: sa.MetaData, owner: str, version: int
) -> None:
    _schema_metadata.create_all(connection, checkfirst=True)
    stamped = connection.execute(
        sa.select(_schema.c.version).where(_schema.c.owner == owner)
    ).scalar()
    where = database_name(connection.engine.url)
    advice = (
        "Point CNNVIZ_DATABASE_URL at another database, or move the file away to start with an "
        "empty one (the classes in it are then gone from this server)."
    )
    if stamped is not None and stamped != version:
        raise SchemaVersionError(
            f"{where} holds the {owner} tables of schema version {stamped}, but this cnnviz "
            f"reads version {version}. {advice}"
        )
    if stamped is None:
        inspector = sa.inspect(connection)
        for table in metadata.sorted_tables:
            if not inspector.has_table(table.name):
                continue
            found = {column["name"] for column in inspector.get_columns(table.name)}
            expected = {column.name for column in table.columns}
            if found != expected:
                raise SchemaVersionError(
                    f"{where} holds a table {table.name} with the columns "
                    f"{', '.join(sorted(found))}, not those of the {owner} tables of schema "
                    f"version {version} ({', '.join(sorted(expected))}). {advice}"
                )
    metadata.create_all(connection, checkfirst=True)
    if stamped is None:
        connection.execute(sa.insert(_schema).values(owner=owner, version=version))
