"""Shared fixtures: a fixed clock, databases (SQLite, and PostgreSQL when TEST_DATABASE_URL is set),
the recording fake Slack, and the bot itself served over real HTTP on 127.0.0.1."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from slackbot.app import build_app
from slackbot.config import Settings, load_settings
from slackbot.devtools.signed import SlackSender
from slackbot.devtools.slack_api import FakeSlack, start_fake_slack
from slackbot.devtools.smtp import SmtpServer
from slackbot.domain.clock import FixedClock
from slackbot.server import create_server, stop_server
from slackbot.services import Services
from slackbot.wiring import build_services
from storage.db import make_engine
from tests.support.env import SIGNING_SECRET, START, base_env


@pytest.fixture
def clock() -> FixedClock:
    """A clock that only moves when the test says so."""
    return FixedClock(START)


def _postgres_engine(base_url: str) -> tuple[Engine, Callable[[], None]]:
    """An engine on a fresh schema of the test PostgreSQL database, and its cleanup."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(
        base_url, connect_args={"options": f"-csearch_path={schema}"}, pool_size=10, max_overflow=10
    )

    def cleanup() -> None:
        engine.dispose()
        # A background thread of the test (a daemon delivering the outbox) may still hold a
        # lock on the schema's tables for a moment: retry instead of failing the teardown.
        for attempt in range(20):
            try:
                with admin.begin() as connection:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                break
            except OperationalError:
                if attempt == 19:
                    raise
                time.sleep(0.25)
        admin.dispose()

    return engine, cleanup


DATABASES = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


@pytest.fixture(params=DATABASES)
def database(request, tmp_path) -> Iterator[tuple[str, Engine]]:
    """(url, engine) for an empty database: SQLite, and PostgreSQL when TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        engine = make_engine(url)
        yield url, engine
        engine.dispose()
    else:
        engine, cleanup = _postgres_engine(os.environ["TEST_DATABASE_URL"])
        yield engine.url.render_as_string(hide_password=False), engine
        cleanup()


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that records what it accepts."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def fake_slack(request) -> Iterator[FakeSlack]:
    """The recording fake Slack Web API, as strict as Slack; a test fails if the bot sent it
    something Slack refuses (unless marked `slack_refusals`)."""
    state, server = start_fake_slack()
    yield state
    server.shutdown()
    server.server_close()
    if request.node.get_closest_marker("slack_refusals") is None:
        refused = state.refused_payloads()
        assert not refused, f"Slack would have refused: {refused}"


@dataclass
class Bot:
    """A running bot: its services, its HTTP endpoint and a signed-request sender."""

    services: Services
    settings: Settings
    url: str
    sender: SlackSender
    server: Any
    thread: threading.Thread

    def stop(self) -> None:
        """Stop serving (the database stays); stopping twice is harmless."""
        stop_server(self.server)
        self.thread.join(timeout=5)
        # Let listener work that is still delivering finish before the database goes away.
        self.services.listener_executor.shutdown(wait=True)


@pytest.fixture
def make_bot(fake_slack, database, clock) -> Iterator[Callable[..., Bot]]:
    """Start a bot (call again to 'restart' it on the same database); env overrides as kwargs."""
    url, engine = database
    bots: list[Bot] = []

    def start(engine_override: Engine | None = None, **overrides: str) -> Bot:
        settings = load_settings(base_env(fake_slack, url, **overrides), dotenv=False)
        services = build_services(settings, clock=clock, engine=engine_override or engine)
        app = build_app(services)
        server = create_server(app, services, host="127.0.0.1", port=0, threads=8)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        endpoint = f"http://127.0.0.1:{server.effective_port}/slack/events"
        bot = Bot(
            services, settings, endpoint, SlackSender(endpoint, SIGNING_SECRET), server, thread
        )
        bots.append(bot)
        return bot

    yield start
    for bot in bots:
        bot.stop()


@pytest.fixture
def bot(make_bot) -> Bot:
    """One running bot with default settings."""
    return make_bot()
