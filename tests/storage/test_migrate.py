"""Migrations under a lock: any number of replicas may start at once on an empty database."""

from __future__ import annotations

import os
import threading
import time

import pytest
from sqlalchemy import inspect

from storage.migrate import migration_lock, upgrade
from tests.support.env import base_env
from tests.support.process import BotProcess, postgres_schema

REPLICAS = 4


def test_upgrades_at_once_from_many_threads_all_succeed(database):
    """The lock, not luck: eight connections migrate the same empty database at once."""
    _, engine = database
    errors: list[BaseException] = []

    def migrate() -> None:
        try:
            upgrade(engine)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=migrate) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert "outbox" in inspect(engine).get_table_names()


def test_the_lock_excludes_a_second_holder_until_the_first_lets_go(database):
    _, engine = database
    order: list[str] = []
    with engine.connect() as connection, migration_lock(connection):
        order.append("first holds")

        def take() -> None:
            with engine.connect() as other, migration_lock(other):
                order.append("second holds")

        thread = threading.Thread(target=take)
        thread.start()
        time.sleep(0.3)
        order.append("first lets go")
    thread.join(timeout=10)
    assert order == ["first holds", "first lets go", "second holds"]


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL")
@pytest.mark.parametrize("run", [1, 2, 3])
def test_replicas_started_together_on_an_empty_postgres_database_all_come_up(
    run, fake_slack, tmp_path
):
    """Four, not two: without the lock, two replicas collided in none of six rounds on our
    machine, four in two rounds of three (a UniqueViolation from Alembic)."""
    with postgres_schema(os.environ["TEST_DATABASE_URL"]) as url:
        bots = [
            BotProcess(base_env(fake_slack, url, LOG_LEVEL="INFO"), tmp_path, f"replica{n}")
            for n in range(REPLICAS)
        ]
        try:
            for bot in bots:
                bot.start()
            for bot in bots:
                bot.wait_healthy(timeout=60)
        finally:
            for bot in bots:
                bot.stop()
        assert [bot.process.returncode for bot in bots] == [0] * REPLICAS, [b.log() for b in bots]
