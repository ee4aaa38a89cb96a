"""Run Alembic migrations programmatically at start-up (and from tests), one process at a time.

Any number of replicas may start at once: each takes a lock before Alembic looks at the schema,
so the first migrates and the others find it at head. PostgreSQL: a session-level advisory lock
held by the migration's own connection (released when it ends, also when the process dies).
SQLite: an exclusive `fcntl` lock on a file next to the database file.

A database already at the scripts' head (every restart) is recognised with one SELECT, without
importing Alembic (with Mako and Pygments it is a quarter of the start-up): the heads are read
from the revision files' `revision = "…"` / `down_revision = …` lines; a file that does not
state them that plainly sends the start-up through Alembic, as before.
"""

from __future__ import annotations

import fcntl
import importlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from storage.db import writer

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

#: Names the advisory lock; with the schema's name it is one lock per schema and database.
LOCK_NAME = "escalations-migrate:"


_REVISION = re.compile(r"^revision = [\"']([^\"']+)[\"']\s*$", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision = (.+)$", re.MULTILINE)
_QUOTED = re.compile(r"[\"']([^\"']+)[\"']")


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at our migrations and `url`, no alembic.ini needed."""
    config = importlib.import_module("alembic.config").Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine) -> None:
    """Bring the database at `engine` to the newest schema, under the migration lock."""
    if at_head(engine):
        return
    command = importlib.import_module("alembic.command")
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    # A writer: on SQLite its transaction takes the write lock up front.
    with writer(engine).connect() as connection, migration_lock(connection), connection.begin():
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def script_heads() -> frozenset[str] | None:
    """The revisions no other revision names as its parent; None when a file is not plain."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.findall(source), _DOWN_REVISION.findall(source)
        if len(revision) != 1 or len(down) != 1:
            return None
        revisions.add(revision[0])
        parents.update(_QUOTED.findall(down[0]))
    heads = frozenset(revisions - parents)
    return heads or None


def at_head(engine: Engine) -> bool:
    """Whether the database's recorded revisions are exactly the scripts' heads (one SELECT)."""
    heads = script_heads()
    if heads is None:
        return False
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
            current = frozenset(rows)
    except DBAPIError:  # no alembic_version table yet: a fresh database
        return False
    return current == heads


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
