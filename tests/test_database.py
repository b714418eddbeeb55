"""The class database (cnnviz.database): its tables' schema version, on SQLite and PostgreSQL.

Every test takes a `fresh_database_url` (tests/conftest.py): a fresh SQLite file, or a fresh
schema in the PostgreSQL of CNNVIZ_TEST_POSTGRES_URL (`.ci/with_postgres pytest ...`).
"""

from __future__ import annotations

import contextlib
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from cnnviz.classroom import ClassroomStore, schema
from cnnviz.database import (
    SCHEMA_TABLE,
    SchemaVersionError,
    backup_sqlite,
    create_database_engine,
    create_tables,
    database_name,
)


def a_metadata(*columns: str) -> sa.MetaData:
    """One table, `things`, with an id and these text columns: a small owner of tables."""
    metadata = sa.MetaData()
    sa.Table(
        "things",
        metadata,
        sa.Column("thing_id", sa.Integer, primary_key=True),
        *(sa.Column(name, sa.Text) for name in columns),
    )
    return metadata


def stamps(url: str) -> dict[str, int]:
    """The schema versions as stored, read past cnnviz.database."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text(f"SELECT owner, version FROM {SCHEMA_TABLE}"))
            return {row.owner: row.version for row in rows}
    finally:
        engine.dispose()


def execute(url: str, statement: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(statement))
    finally:
        engine.dispose()


@pytest.fixture
def engine(fresh_database_url):
    made = create_database_engine(fresh_database_url)
    yield made
    made.dispose()


def test_a_fresh_database_gets_its_tables_and_their_version_stamped(engine, fresh_database_url):
    create_tables(engine, a_metadata("name"), owner="things", version=3)
    assert stamps(fresh_database_url) == {"things": 3}
    with engine.connect() as connection:
        assert sa.inspect(connection).has_table("things")


def test_the_same_version_opens_again_and_keeps_its_rows(engine, fresh_database_url):
    metadata = a_metadata("name")
    create_tables(engine, metadata, owner="things", version=3)
    with engine.begin() as connection:
        connection.execute(sa.insert(metadata.tables["things"]).values(name="kept"))
    create_tables(engine, metadata, owner="things", version=3)
    with engine.connect() as connection:
        names = connection.execute(sa.select(metadata.tables["things"].c.name)).scalars()
        assert list(names) == ["kept"]
    assert stamps(fresh_database_url) == {"things": 3}


def test_another_version_is_refused_with_a_message_naming_the_database(engine, fresh_database_url):
    create_tables(engine, a_metadata("name"), owner="things", version=3)
    with pytest.raises(SchemaVersionError) as refused:
        create_tables(engine, a_metadata("name", "colour"), owner="things", version=4)
    message = str(refused.value)
    assert message.startswith(
        f"{database_name(fresh_database_url)} holds the things tables of schema version 3, but "
        "this cnnviz reads version 4. Point CNNVIZ_DATABASE_URL at another database"
    )
    assert isinstance(refused.value, ValueError)
    assert stamps(fresh_database_url) == {"things": 3}  # the refusal changed nothing


def test_owners_of_tables_are_versioned_apart(engine, fresh_database_url):
    create_tables(engine, a_metadata("name"), owner="things", version=3)
    others = sa.MetaData()
    sa.Table("others", others, sa.Column("other_id", sa.Integer, primary_key=True))
    create_tables(engine, others, owner="others", version=1)
    assert stamps(fresh_database_url) == {"things": 3, "others": 1}


def test_an_unstamped_table_with_other_columns_is_refused(engine, fresh_database_url):
    """What create_all alone would have let through: a table made by an older cnnviz."""
    execute(fresh_database_url, "CREATE TABLE things (thing_id INTEGER PRIMARY KEY, size TEXT)")
    with pytest.raises(SchemaVersionError) as refused:
        create_tables(engine, a_metadata("name"), owner="things", version=1)
    assert str(refused.value).startswith(
        f"{database_name(fresh_database_url)} holds a table things with the columns size, "
        "thing_id, not those of the things tables of schema version 1 (name, thing_id)."
    )


def test_an_unstamped_table_with_the_same_columns_is_stamped(engine, fresh_database_url):
    """A database made before the stamp existed, by the same schema, opens as it is."""
    execute(fresh_database_url, "CREATE TABLE things (thing_id INTEGER PRIMARY KEY, name TEXT)")
    execute(fresh_database_url, "INSERT INTO things (thing_id, name) VALUES (1, 'old')")
    create_tables(engine, a_metadata("name"), owner="things", version=1)
    assert stamps(fresh_database_url) == {"things": 1}


def test_the_class_store_refuses_a_database_of_another_schema_version(fresh_database_url):
    store = ClassroomStore(fresh_database_url)
    code, _ = store.create_class("Stamped")
    store.dispose()
    assert stamps(fresh_database_url)[schema.OWNER] == schema.SCHEMA_VERSION
    reopened = ClassroomStore(fresh_database_url)  # the same version opens
    assert reopened.state(code).title == "Stamped"
    reopened.dispose()
    execute(fresh_database_url, f"UPDATE {SCHEMA_TABLE} SET version = version + 1")
    expected = (
        f"{database_name(fresh_database_url)} holds the classroom tables of schema version "
        f"{schema.SCHEMA_VERSION + 1}, but this cnnviz reads version {schema.SCHEMA_VERSION}."
    )
    with pytest.raises(SchemaVersionError, match=re.escape(expected)):
        ClassroomStore(fresh_database_url)


def test_the_database_is_named_without_its_password():
    assert database_name("sqlite:////srv/cnnviz/data/classroom.sqlite") == (
        "/srv/cnnviz/data/classroom.sqlite"
    )
    assert database_name("sqlite://") == "the in-memory SQLite database"
    named = database_name("postgresql+psycopg://teacher:s3cret@db.school/cnnviz")
    assert "s3cret" not in named and named.endswith("@db.school/cnnviz")


def file_alone_counts_classes(database: Path, tmp_path: Path) -> int:
    """How many classes a copy of the ``.sqlite`` file alone (no ``-wal``) holds; 0 if no table."""
    copy = tmp_path / "copy" / database.name
    copy.parent.mkdir(exist_ok=True)
    shutil.copy(database, copy)
    with contextlib.closing(sqlite3.connect(copy)) as connection:
        try:
            return connection.execute("SELECT count(*) FROM cnnviz_classes").fetchone()[0]
        except sqlite3.OperationalError:  # no such table: everything was in the WAL
            return 0


def test_disposing_a_store_checkpoints_its_wal_even_while_another_reader_is_open(tmp_path):
    database = tmp_path / "class.sqlite"
    store = ClassroomStore(f"sqlite:///{database}")
    store.create_class("Period 3")
    # A reader in the middle of a read (another server process, a session's page, a sqlite3
    # shell) keeps SQLite from checkpointing by itself when the store's connections close.
    with contextlib.closing(sqlite3.connect(database, isolation_level=None)) as other:
        other.execute("BEGIN")
        other.execute("SELECT count(*) FROM cnnviz_classes").fetchone()
        store.dispose()
        assert file_alone_counts_classes(database, tmp_path) == 1


AT_EXIT_SCRIPT = """
import sqlite3, sys
from cnnviz.classroom import ClassroomStore
store = ClassroomStore("sqlite:///" + sys.argv[1])
store.create_class("Period 3")
OTHER = sqlite3.connect(sys.argv[1], isolation_level=None)  # reading as the interpreter exits
OTHER.execute("BEGIN")
OTHER.execute("SELECT count(*) FROM cnnviz_classes").fetchone()
"""


def test_the_interpreters_exit_checkpoints_every_sqlite_store(tmp_path):
    database = tmp_path / "class.sqlite"
    subprocess.run([sys.executable, "-c", AT_EXIT_SCRIPT, str(database)], check=True, timeout=60)
    assert file_alone_counts_classes(database, tmp_path) == 1


def test_a_backup_of_a_live_database_is_consistent_and_postgresql_is_refused(tmp_path):
    database = tmp_path / "class.sqlite"
    store = ClassroomStore(f"sqlite:///{database}")
    code, _ = store.create_class("Period 3")
    copy = backup_sqlite(f"sqlite:///{database}", tmp_path / "backup" / "class.sqlite")
    assert ClassroomStore(f"sqlite:///{copy}").state(code).title == "Period 3"
    store.dispose()
    with pytest.raises(ValueError, match="is not an SQLite file: back PostgreSQL up with pg_dump"):
        backup_sqlite("postgresql+psycopg://teacher:pw@db/cnnviz", tmp_path / "x.sqlite")
    with pytest.raises(ValueError, match="There is no database at"):
        backup_sqlite(f"sqlite:///{tmp_path / 'none.sqlite'}", tmp_path / "y.sqlite")
