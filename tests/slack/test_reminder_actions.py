"""Reminder buttons end to end: signed block_actions requests, answers seen by the fake Slack."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from slackbot.domain.deadlines import DeadlineKind
from slackbot.slack.reminders import ReminderAction
from slackbot.usecases import deadlines
from storage.models import CaseEvent, Deadline
from tests.usecases.test_deadlines import FAST, _hand_off, _open


@pytest.fixture
def fast_bot(make_bot, tmp_path):
    path = tmp_path / "playbooks.toml"
    path.write_text(FAST, encoding="utf-8")
    return make_bot(ESCALATION_PLAYBOOKS=str(path))


def press(bot, action: ReminderAction, value: str, user: str = "U0AGENT01"):
    payload = {
        "type": "block_actions",
        "team": {"id": "T0TEAM001", "domain": "example"},
        "user": {"id": user, "team_id": "T0TEAM001"},
        "api_app_id": "A0APP0001",
        "channel": {"id": "C0FAST001", "name": "fast"},
        "container": {"type": "message", "message_ts": "1.1", "channel_id": "C0FAST001"},
        "trigger_id": "1337.42.abcdef",
        "actions": [
            {
                "type": "button",
                "action_id": action.value,
                "block_id": "deadline_1",
                "value": value,
                "action_ts": "1.2",
            }
        ],
    }
    return bot.sender.interactive(payload)


def _reminder(bot, fake_slack, clock):
    case_id = _open(bot.services)
    _hand_off(bot.services, case_id)
    clock.advance(timedelta(seconds=10))
    assert deadlines.sweep(bot.services) == 1
    posted = [c for c in fake_slack.calls_to("chat.postMessage") if ":alarm_clock:" in str(c.body)]
    blocks = posted[-1].body["blocks"]
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    buttons = {b["action_id"]: b for b in blocks[-1]["elements"]}
    assert set(buttons) == {a.value for a in ReminderAction} - {ReminderAction.CALLBACK_DONE}
    return case_id, buttons[ReminderAction.RECORD_UPDATE.value]["value"]


def test_record_update_button_resets_the_clock_and_says_so(fast_bot, fake_slack, clock):
    case_id, value = _reminder(fast_bot, fake_slack, clock)
    assert press(fast_bot, ReminderAction.RECORD_UPDATE, value).status == 200
    fake_slack.wait_for("chat.update")
    with Session(fast_bot.services.engine) as session:
        row = session.exec(
            select(Deadline).where(
                Deadline.case_id == case_id, Deadline.kind == DeadlineKind.PROGRESS_UPDATE.value
            )
        ).one()
        kinds = [
            e.kind for e in session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id))
        ]
    assert row.misses == 0
    assert "update" in kinds
    texts = [c.body.get("text", "") for c in fake_slack.calls_to("chat.postMessage")]
    assert any("recorded an update" in t for t in texts)


def test_snooze_by_someone_else_is_refused_where_they_are(fast_bot, fake_slack, clock):
    _, value = _reminder(fast_bot, fake_slack, clock)
    press(fast_bot, ReminderAction.SNOOZE_HOUR, value, user="U0OTHER01")
    answer = fake_slack.wait_for("chat.postEphemeral")[-1]
    assert answer.body["user"] == "U0OTHER01"
    assert "Only the case's owner" in answer.body["text"]


def test_escalate_to_leadership_suggests_the_vendor_leadership(fast_bot, fake_slack, clock):
    _, value = _reminder(fast_bot, fake_slack, clock)
    press(fast_bot, ReminderAction.ESCALATE_LEADERSHIP, value)
    answer = fake_slack.wait_for("chat.postEphemeral")[-1]
    assert "lead@vendor.example.com" in answer.body["text"]


def test_overdue_subcommand_through_the_endpoint(fast_bot, fake_slack, clock):
    case_id = _open(fast_bot.services)
    _hand_off(fast_bot.services, case_id)
    clock.advance(timedelta(seconds=12))
    body = fast_bot.sender.command("/escalate", "overdue").body
    assert f"ESC-{case_id}" in body and "overdue by 2s" in body
