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
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from slackbot.devtools.signed import block_actions, view_submission
from slackbot.devtools.slack_api import Delay
from slackbot.render.ids import EmailAction
from tests.conftest import DATABASES
from tests.support.faults import (
    SETTLE_SECONDS,
    World,
    cut_database,
    kill_after_answering,
    settle,
    world,
)
from tests.support.flows import AGENT, IDV_CHANNEL, open_idv_case, reaction
from tests.support.forms import idv_values
from tests.support.process import BotProcess

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
    kill_after_answering(here.pagerduty, _kill(bot))
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
    here.smtp.handler.on_accept = lambda: cut_database(here)
    _press_send(here, bot, channel)
    return settle(here, lambda counted: counted["drafts"] == ["sent"])


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
