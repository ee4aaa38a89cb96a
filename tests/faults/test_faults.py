"""Fault tests (issue 12): the bot as a process (`python -m slackbot`, HTTP mode) against the fake
Slack, a real SMTP server (aiosmtpd) and the fake PagerDuty, killed with SIGKILL at the worst
moments and restarted on the same database; then everything is counted.

Kill points: right after a reaction's ack; during a slow root post; during a slow thread note;
after the SMTP server accepted an email; after PagerDuty's 202; and, without a kill, the database
cut for a few seconds right after an email went out (SQLite: its write lock held; PostgreSQL: the
bot's connections terminated over and over).

Every case and change must be there, and every owed effect must have happened exactly once: one
root message, no note twice, one page. Email: at most twice, and then with one Message-ID (the
window between the SMTP server's acceptance and our commit, which no SMTP client can close).

Waiting for leases to run out (10 s for a request, 30 s for an outbox item) is most of the time
taken, so every scenario of every database runs at once, each with its own fakes and database,
and each test waits for its own.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlmodel import Session, select

from slackbot.render.ids import EmailAction
from storage.db import make_engine
from storage.models import Case, CaseEvent, EmailDraft, OutboxItem, Page
from tests.conftest import DATABASES
from tests.support.env import SIGNING_SECRET, base_env, smtp_env
from tests.support.flows import AGENT, IDV_CHANNEL, open_idv_case, reaction
from tests.support.forms import idv_values
from tests.support.pagerduty import FakePagerDuty, start_fake_pagerduty
from tests.support.process import BotProcess, postgres_schema
from tests.support.signed import SlackSender, block_actions, view_submission
from tests.support.slack_api import Delay, FakeSlack, start_fake_slack
from tests.support.smtp import RecordingHandler, SmtpServer

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
        state, server = start_fake_slack()
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


# --- the kill points -------------------------------------------------------------------------


def _kill(bot: BotProcess) -> Callable[[], None]:
    return lambda: os.kill(bot.process.pid, signal.SIGKILL)


def _blocks(call) -> list[dict]:
    blocks = call.body.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def _press_send(here: World, bot: BotProcess, channel: str) -> None:
    """Press Send on the case's hand-off preview."""
    preview = here.fake_slack.wait_for_post("Hand-off email", timeout=30)[-1]
    send = next(
        element
        for block in _blocks(preview)
        for element in block.get("elements", [])
        if element.get("action_id") == EmailAction.SEND
    )
    payload = block_actions(EmailAction.SEND, send["value"], user=AGENT, channel=channel)
    assert here.sender(bot).interactive(payload).status == 200


def after_a_reactions_ack(here: World) -> dict[str, Any]:
    """Killed right after Slack got its 200 for a reaction (the move still in memory)."""
    bot = here.start()
    channel, root_ts = open_idv_case(here.sender(bot), here.fake_slack)
    here.fake_slack.delay("conversations.members", Delay(3.0))
    assert here.sender(bot).event(reaction("eyes", channel, root_ts)).status == 200
    bot.kill()
    here.start()
    return settle(here, lambda counted: bool(counted["moves"]))


def during_a_slow_root_post(here: World) -> dict[str, Any]:
    """Killed while Slack, which has the root message already, is slow to answer its post."""
    is_root = lambda body: body.get("channel") == IDV_CHANNEL and not body.get("thread_ts")  # noqa: E731
    here.fake_slack.delay("chat.postMessage", Delay(5.0, match=is_root))
    bot = here.start()
    sender = here.sender(bot)
    sender.command("/escalate", "idv")
    view = here.fake_slack.wait_for("views.open", timeout=30)[-1].body["view"]
    sender.interactive(view_submission(view, idv_values()))
    here.fake_slack.wait_until(lambda c: c.method == "chat.postMessage", "the root post", 30)
    bot.kill()
    here.start()
    return settle(here, lambda counted: all(counted["root_ts"]) and counted["cases"] > 0)


def during_a_slow_thread_note(here: World) -> dict[str, Any]:
    """Killed while Slack, which has the move's note already, is slow to answer its post."""
    bot = here.start()
    channel, root_ts = open_idv_case(here.sender(bot), here.fake_slack)
    is_note = lambda body: bool(body.get("thread_ts")) and "moved" in str(body.get("text"))  # noqa: E731
    here.fake_slack.delay("chat.postMessage", Delay(5.0, match=is_note))
    assert here.sender(bot).event(reaction("eyes", channel, root_ts)).status == 200
    here.fake_slack.wait_until(
        lambda c: c.method == "chat.postMessage" and is_note(c.body), "the move's note", 30
    )
    bot.kill()
    here.start()
    return settle(here, lambda counted: bool(counted["moves"]))


def after_smtp_acceptance(here: World) -> dict[str, Any]:
    """Killed once the SMTP server accepted the hand-off email, before the bot heard so."""
    bot = here.start()
    channel, _ = open_idv_case(here.sender(bot), here.fake_slack)
    here.smtp.handler.on_accept = _kill(bot)
    _press_send(here, bot, channel)
    bot.wait(timeout=30)
    here.start()
    return settle(here, lambda counted: counted["drafts"] == ["sent"])


def after_pagerdutys_202(here: World) -> dict[str, Any]:
    """Killed right after PagerDuty answered 202 to the page, before the bot recorded it."""
    bot = here.start()
    _kill_after_answering(here.pagerduty, _kill(bot))
    sender = here.sender(bot)
    assert sender.command("/emergency", "").status == 200
    view = here.fake_slack.wait_for("views.open", timeout=30)[-1].body["view"]
    assert sender.interactive(view_submission(view, _emergency_values())).status == 200
    bot.wait(timeout=30)
    here.start()
    return settle(
        here,
        lambda counted: (
            bool(counted["page_routes"])
            and all(r.get("pagerduty") == "sent" for r in counted["page_routes"])
        ),
    )


def with_the_database_cut_after_a_send(here: World) -> dict[str, Any]:
    """The database goes away for a few seconds right after the SMTP server accepted: the
    done-mark waits for it (no kill, no restart)."""
    bot = here.start()
    channel, _ = open_idv_case(here.sender(bot), here.fake_slack)
    here.smtp.handler.on_accept = lambda: _cut_database(here)
    _press_send(here, bot, channel)
    return settle(here, lambda counted: counted["drafts"] == ["sent"])


def _kill_after_answering(pagerduty: FakePagerDuty, kill: Callable[[], None]) -> None:
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


def _emergency_values() -> dict[str, Any]:
    def typed(value: str) -> dict[str, Any]:
        return {"value": {"type": "plain_text_input", "value": value}}

    return {
        "em_system": typed("Identity verification API"),
        "em_what_is_down": typed("Every verification returns 503"),
        "em_since": typed("05:40 UTC"),
        "em_impact": typed("No prescriber can verify"),
        "em_case": typed(""),
        "em_criteria": {"value": {"type": "checkboxes", "selected_options": [{"value": "c0"}]}},
        "em_page_again": {"value": {"type": "checkboxes", "selected_options": []}},
    }


def _cut_database(here: World) -> None:
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


POINTS: dict[str, Callable[[World], dict[str, Any]]] = {
    "after_a_reactions_ack": after_a_reactions_ack,
    "during_a_slow_root_post": during_a_slow_root_post,
    "during_a_slow_thread_note": during_a_slow_thread_note,
    "after_smtp_acceptance": after_smtp_acceptance,
    "after_pagerdutys_202": after_pagerdutys_202,
    "with_the_database_cut_after_a_send": with_the_database_cut_after_a_send,
}


# --- running them all at once ----------------------------------------------------------------


@dataclass
class Outcome:
    """What a scenario counted, and the bots' logs."""

    counted: dict[str, Any]
    logs: str


def _run(point: str, database: str, workdir: Path) -> Outcome:
    workdir.mkdir(parents=True, exist_ok=True)
    with world(database, workdir) as here:
        try:
            counted = POINTS[point](here)
        except BaseException as exc:
            raise AssertionError(f"{point} on {database} failed: {exc!r}\n{here.logs()}") from exc
        return Outcome(counted, here.logs())


def kill_point(point: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Which scenario a test checks."""

    def mark(test: Callable[..., None]) -> Callable[..., None]:
        test.kill_point = point
        return test

    return mark


@pytest.fixture(scope="module")
def outcomes(request, tmp_path_factory) -> Iterator[dict[tuple[str, str], Future]]:
    """Every scenario the selected tests check, of every database, started together."""
    root = tmp_path_factory.mktemp("faults")
    runs = sorted(
        {
            (item.function.kill_point, item.callspec.params["database"])
            for item in request.session.items
            if item.module is request.module and hasattr(item.function, "kill_point")
        }
    )
    with ThreadPoolExecutor(max_workers=max(len(runs), 1)) as pool:
        yield {
            (point, database): pool.submit(_run, point, database, root / f"{database}-{point}")
            for point, database in runs
        }


def _outcome(outcomes, request) -> Outcome:
    run = (request.function.kill_point, request.node.callspec.params["database"])
    return outcomes[run].result(timeout=SETTLE_SECONDS + 200)


def _check_common(outcome: Outcome) -> dict[str, Any]:
    counted = outcome.counted
    context = f"{counted}\n{outcome.logs}"
    assert counted["cases"] == 1, context
    assert len(counted["root_messages"]) == 1, context
    assert counted["root_ts"] != [None], context
    assert counted["notes_twice"] == [], context
    assert counted["unfinished_outbox"] == [], context
    assert counted["pending_requests"] == 0, context
    return counted


@pytest.mark.parametrize("database", DATABASES)
@kill_point("after_a_reactions_ack")
def test_killed_right_after_a_reactions_ack_the_move_is_made_once(outcomes, request, database):
    counted = _check_common(_outcome(outcomes, request))
    assert counted["moves"] == [("open", "acknowledged")]


@pytest.mark.parametrize("database", DATABASES)
@kill_point("during_a_slow_root_post")
def test_killed_during_a_slow_root_post_the_case_has_one_root_message(outcomes, request, database):
    counted = _check_common(_outcome(outcomes, request))
    assert counted["moves"] == []


@pytest.mark.parametrize("database", DATABASES)
@kill_point("during_a_slow_thread_note")
def test_killed_during_a_slow_thread_note_the_note_is_posted_once(outcomes, request, database):
    counted = _check_common(_outcome(outcomes, request))
    assert counted["moves"] == [("open", "acknowledged")]


@pytest.mark.parametrize("database", DATABASES)
@kill_point("after_smtp_acceptance")
def test_killed_after_smtp_acceptance_the_email_goes_at_most_twice_with_one_message_id(
    outcomes, request, database
):
    counted = _check_common(_outcome(outcomes, request))
    assert 1 <= counted["emails"] <= 2 and counted["message_ids"] == 1, counted
    assert counted["drafts"] == ["sent"] and counted["emails_sent_events"] == 1, counted
    assert counted["moves"] == [("open", "with_vendor")], counted


@pytest.mark.parametrize("database", DATABASES)
@kill_point("after_pagerdutys_202")
def test_killed_after_pagerdutys_202_there_is_one_page(outcomes, request, database):
    counted = _check_common(_outcome(outcomes, request))
    # PagerDuty groups triggers by dedup key: a second one (the window no client closes) is
    # the same alert, not a second page.
    assert 1 <= counted["page_triggers"] <= 2 and counted["page_dedup_keys"] == 1, counted
    assert [r.get("pagerduty") for r in counted["page_routes"]] == ["sent"], counted
    assert counted["emails"] <= 2 and counted["message_ids"] <= 1, counted


@pytest.mark.parametrize("database", DATABASES)
@kill_point("with_the_database_cut_after_a_send")
def test_the_database_cut_right_after_a_send_sends_the_email_once(outcomes, request, database):
    counted = _check_common(_outcome(outcomes, request))
    assert counted["emails"] == 1, counted
    assert counted["drafts"] == ["sent"] and counted["emails_sent_events"] == 1, counted
