"""Alembic owns the schema: migrations build exactly what the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from storage.migrate import upgrade


def test_migrations_match_the_models_and_are_idempotent(database):
    _, engine = database
    upgrade(engine)
    upgrade(engine)  # a second start-up changes nothing
    tables = set(inspect(engine).get_table_names())
    assert {"escalation_case", "case_event", "case_message", "processed_event", "outbox"} <= tables
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []
