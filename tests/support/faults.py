"""What the fault tests (tests/faults) stand on: one scenario's world (an empty database, the
fake Slack, a real SMTP server that can act on acceptance, the fake PagerDuty that can act after
answering) with the bot processes run on it, the census of what was recorded and what left,
and the database cut."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlmodel import Session, select

from slackbot.devtools.pagerduty import FakePagerDuty, start_fake_pagerduty
from slackbot.devtools.signed import SlackSender
from slackbot.devtools.slack_api import FakeSlack, start_fake_slack
from slackbot.devtools.smtp import RecordingHandler, SmtpServer
from storage.db import make_engine
from storage.models import Case, CaseEvent, EmailDraft, OutboxItem, Page
from tests.support.env import SIGNING_SECRET, base_env, smtp_env
from tests.support.flows import IDV_CHANNEL
from tests.support.process import BotProcess, postgres_schema

ROUTING_KEY = "R0UTINGKEY0123456789abcdef012345"
#: From a restart to everything done: a 30 s lease, a tick, and the machine being slow.
SETTLE_SECONDS = float(os.environ.get("FAULTS_SETTLE_SECONDS", "100"))
#: How long the database is away in the cut scenario.
CUT_SECONDS = 3.0


class HookedSmtp(RecordingHandler):
    """Records like the test SMTP server, then calls `on_accept` before answering 250."""

    on_accept: Callable[[], None] | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's naming
        answer = await super().handle_DATA(server, session, envelope)
        hook, self.on_accept = self.on_accept, None
        if hook is not None and answer.startswith("250"):
            hook()
        return answer


@dataclass
class World:
    """One scenario's database and fakes, and the bot processes run on them."""

    database: str
    #: The bot's database URL (on PostgreSQL it names the bot's connections: see _cut_database).
    url: str
    #: The same database for the test's own reads.
    reader_url: str
    workdir: Path
    fake_slack: FakeSlack
    smtp: SmtpServer
    pagerduty: FakePagerDuty
    application_name: str
    bots: list[BotProcess] = field(default_factory=list)

    def start(self) -> BotProcess:
        """Start a bot on this world and wait until it answers."""
        env = base_env(
            self.fake_slack,
            self.url,
            LOG_LEVEL="INFO",
            SCHEDULER_INTERVAL_SECONDS="1",
            PAGERDUTY_ROUTING_KEY=ROUTING_KEY,
            PAGERDUTY_EVENTS_URL=self.pagerduty.events_url,
            PAGERDUTY_API_URL=self.pagerduty.url,
            **smtp_env(self.smtp),
        )
        bot = BotProcess(env, self.workdir, f"bot{len(self.bots) + 1}").start()
        self.bots.append(bot)
        return bot.wait_healthy(timeout=90)

    def sender(self, bot: BotProcess) -> SlackSender:
        """Signed requests to `bot`."""
        return SlackSender(bot.events_url, SIGNING_SECRET)

    def logs(self) -> str:
        """Every bot's log, for a failure message."""
        return "\n".join(f"--- {bot.log_path.name}\n{bot.log()[-6000:]}" for bot in self.bots)


@contextmanager
def world(database: str, workdir: Path) -> Iterator[World]:
    """Fresh fakes and an empty database of the given kind."""
    with ExitStack() as stack:
        application_name = f"faults_{uuid.uuid4().hex[:10]}"
        if database == "sqlite":
            url = reader_url = f"sqlite:///{workdir / 'bot.db'}"
        else:
            reader_url = stack.enter_context(postgres_schema(os.environ["TEST_DATABASE_URL"]))
            url = f"{reader_url}&application_name={application_name}"
        # Slack's rate-limit tiers too: a crash-and-recover must not hammer the Web API.
        state, server = start_fake_slack(strict_rate_limits=True)
        stack.callback(server.server_close)
        stack.callback(server.shutdown)
        smtp = SmtpServer()
        smtp.handler = HookedSmtp()
        smtp.start()
        stack.callback(smtp.stop)
        pagerduty = start_fake_pagerduty()
        stack.callback(pagerduty.stop)
        here = World(database, url, reader_url, workdir, state, smtp, pagerduty, application_name)
        try:
            yield here
        finally:
            for bot in here.bots:
                bot.stop()
        refused = state.refused_payloads()
        assert not refused, f"Slack would have refused: {refused}"


# --- what is counted -------------------------------------------------------------------------


def census(here: World) -> dict[str, Any]:
    """Everything that was recorded and everything that left, counted."""
    engine = make_engine(here.reader_url)
    try:
        with Session(engine) as session:
            cases = session.exec(select(Case)).all()
            events = session.exec(select(CaseEvent).order_by(CaseEvent.id)).all()
            drafts = session.exec(select(EmailDraft)).all()
            pages = session.exec(select(Page)).all()
            unfinished = session.exec(
                select(OutboxItem.kind).where(OutboxItem.state.in_(["pending", "in_flight"]))
            ).all()
            pending_requests = _pending_requests(session)
    finally:
        engine.dispose()
    mails = here.smtp.messages
    triggers = [
        r.body for r in here.pagerduty.events() if (r.body or {}).get("event_action") == "trigger"
    ]
    return {
        "cases": len(cases),
        "root_ts": [case.root_ts for case in cases],
        "moves": [(e.from_status, e.to_status) for e in events if e.kind == "status_changed"],
        "emails_sent_events": sum(e.kind == "email_sent" for e in events),
        "drafts": [d.state for d in drafts],
        "page_routes": [p.routes for p in pages],
        "unfinished_outbox": sorted(unfinished),
        "pending_requests": pending_requests,
        "root_messages": _root_messages(here.fake_slack),
        "notes_twice": _notes_twice(here.fake_slack),
        "emails": len(mails),
        "message_ids": len({m.message["Message-ID"] for m in mails}),
        "page_triggers": len(triggers),
        "page_dedup_keys": len({t.get("dedup_key") for t in triggers}),
    }


def _pending_requests(session: Session) -> int:
    if "inbox" not in inspect(session.connection()).get_table_names():
        return 0  # the code before the inbox
    return session.execute(text("SELECT count(*) FROM inbox WHERE state = 'pending'")).scalar()


def _root_messages(fake_slack: FakeSlack) -> list[str]:
    """The top-level messages in the playbook's channel: case root messages."""
    return [m["text"] for m in fake_slack.posts_in(IDV_CHANNEL)]


def _notes_twice(fake_slack: FakeSlack) -> list[str]:
    """Thread notes (in any thread of any channel) posted more than once."""
    with fake_slack.lock:
        kept = [m for messages in fake_slack.messages.values() for m in messages]
    seen = Counter((m.get("thread_ts"), m["text"]) for m in kept if m.get("thread_ts"))
    return [note for (_, note), count in seen.items() if count > 1]


def settle(here: World, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """Wait until `done(census)` and nothing is owed any more; the census (also on time out)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        counted = census(here)
        quiet = not counted["unfinished_outbox"] and not counted["pending_requests"]
        if (quiet and done(counted)) or time.monotonic() > deadline:
            return counted
        time.sleep(0.5)


def kill_after_answering(pagerduty: FakePagerDuty, kill: Callable[[], None]) -> None:
    """The fake PagerDuty calls `kill` once, right after it answered an event."""
    answered = pagerduty.server.RequestHandlerClass
    once = threading.Lock()

    class KillAfterAnswer(answered):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            super().do_POST()
            self.wfile.flush()
            if once.acquire(blocking=False):
                kill()

    pagerduty.server.RequestHandlerClass = KillAfterAnswer


def cut_database(here: World) -> None:
    """Take the database away now, and give it back after CUT_SECONDS (in a thread)."""
    if here.database == "sqlite":
        holder = sqlite3.connect(here.url.removeprefix("sqlite:///"), check_same_thread=False)
        holder.isolation_level = None
        holder.execute("BEGIN EXCLUSIVE")

        def give_back() -> None:
            time.sleep(CUT_SECONDS)
            holder.execute("ROLLBACK")
            holder.close()

    else:
        admin = make_engine(os.environ["TEST_DATABASE_URL"])
        terminate = text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :a"
        )

        def cut_once() -> None:
            with admin.begin() as connection:
                connection.execute(terminate, {"a": here.application_name})

        cut_once()

        def give_back() -> None:
            until = time.monotonic() + CUT_SECONDS
            while time.monotonic() < until:
                cut_once()
                time.sleep(0.02)
            admin.dispose()

    threading.Thread(target=give_back, daemon=True).start()
