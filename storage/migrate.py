"""Run Alembic migrations programmatically at start-up (and from tests), one process at a time.

Any number of replicas may start at once: each takes a lock before Alembic looks at the schema,
so the first migrates and the others find it at head. PostgreSQL: a session-level advisory lock
held by the migration's own connection (released when it ends, also when the process dies).
SQLite: an exclusive `fcntl` lock on a file next to the database file.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from storage.db import writer

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

#: Names the advisory lock; with the schema's name it is one lock per schema and database.
LOCK_NAME = "escalations-migrate:"


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at our migrations and `url`, no alembic.ini needed."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine) -> None:
    """Bring the database at `engine` to the newest schema, under the migration lock."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    # A writer: on SQLite its transaction takes the write lock up front.
    with writer(engine).connect() as connection, migration_lock(connection), connection.begin():
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@contextmanager
def migration_lock(connection: Connection) -> Iterator[None]:
    """Hold the lock that serialises migrations of this database (and schema)."""
    if connection.dialect.name == "postgresql":
        with _advisory_lock(connection):
            yield
        return
    database = connection.engine.url.database if connection.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield  # an in-memory database belongs to one process
        return
    with _file_lock(Path(database).with_name(Path(database).name + ".migrate-lock")):
        yield


@contextmanager
def _advisory_lock(connection: Connection) -> Iterator[None]:
    key = text("SELECT hashtext(:name || current_database() || '.' || current_schema())")
    lock_id = connection.execute(key, {"name": LOCK_NAME}).scalar_one()
    connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": lock_id})
    # The lock belongs to the session, not the transaction: end the one the SELECTs began.
    connection.commit()
    try:
        yield
    finally:
        if not connection.closed and not connection.invalidated:
            connection.rollback()
            connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": lock_id})
            connection.commit()


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with open(path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
