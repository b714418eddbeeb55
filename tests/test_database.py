"""The class database (cnnviz.database): its tables' schema version, on SQLite and PostgreSQL.

Every test takes a `fresh_database_url` (tests/conftest.py): a fresh SQLite file, or a fresh
schema in the PostgreSQL of CNNVIZ_TEST_POSTGRES_URL (`.ci/with_postgres pytest ...`).
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from cnnviz.classroom import ClassroomStore, schema
from cnnviz.database import (
    SCHEMA_TABLE,
    SchemaVersionError,
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
