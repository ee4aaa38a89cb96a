"""Reminder buttons end to end: signed block_actions requests, answers seen by the fake Slack."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from slackbot.devtools.slack_rules import trigger_id
from slackbot.render.ids import CaseAction, CaseView
from slackbot.render.reminders import ReminderAction
from slackbot.usecases import deadlines
from storage.models import CaseEvent
from tests.support.fast_vendor import FAST, hand_off, open_fast_case


@pytest.fixture
def fast_bot(make_bot, tmp_path):
    path = tmp_path / "playbooks.toml"
    path.write_text(FAST, encoding="utf-8")
    return make_bot(ESCALATION_PLAYBOOKS=str(path))


def press(bot, action: str, value: str, user: str = "U0AGENT01"):
    payload = {
        "type": "block_actions",
        "team": {"id": "T0TEAM001", "domain": "example"},
        "user": {"id": user, "team_id": "T0TEAM001"},
        "api_app_id": "A0APP0001",
        "channel": {"id": "C0FAST001", "name": "fast"},
        "container": {"type": "message", "message_ts": "1.1", "channel_id": "C0FAST001"},
        "trigger_id": trigger_id(),
        "actions": [
            {
                "type": "button",
                "action_id": str(action),
                "block_id": "deadline_1",
                "value": value,
                "action_ts": "1.2",
            }
        ],
    }
    return bot.sender.interactive(payload)


def _reminder(bot, fake_slack, clock):
    case_id = open_fast_case(bot.services)
    hand_off(bot.services, case_id)
    clock.advance(timedelta(seconds=10))
    assert deadlines.sweep(bot.services) == 1
    posted = [c for c in fake_slack.calls_to("chat.postMessage") if ":alarm_clock:" in str(c.body)]
    blocks = posted[-1].body["blocks"]
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    buttons = {b["action_id"]: b for b in blocks[-1]["elements"]}
    expected = {a.value for a in ReminderAction} - {ReminderAction.CALLBACK_DONE}
    assert set(buttons) == expected | {CaseAction.ADD_UPDATE.value}
    assert buttons[CaseAction.ADD_UPDATE.value]["value"] == str(case_id)
    return case_id, buttons[ReminderAction.ASK_VENDOR.value]["value"]


def test_record_update_button_opens_the_cases_add_update_form(fast_bot, fake_slack, clock):
    case_id, _ = _reminder(fast_bot, fake_slack, clock)
    # Add update is for the tier's responders: the form opens only for them (issue 11).
    fake_slack.usergroups["S0TIER10009"] = ["U0TIER1001"]
    assert press(fast_bot, CaseAction.ADD_UPDATE, str(case_id), user="U0TIER1001").status == 200
    opened = fake_slack.wait_for("views.open")[-1]
    view = opened.body["view"]
    if isinstance(view, str):
        view = json.loads(view)
    assert view["callback_id"] == CaseView.ADD_UPDATE.value


def _blocks(call):
    blocks = call.body.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def test_ask_vendor_drafts_an_update_request_through_the_hand_off_flow(fast_bot, fake_slack, clock):
    case_id, value = _reminder(fast_bot, fake_slack, clock)
    press(fast_bot, ReminderAction.ASK_VENDOR, value)
    preview = fake_slack.wait_for_post("Request for an update email")[-1]
    text = json.dumps(_blocks(preview))
    assert "support@vendor.example.com" in text
    assert "your ticket: V-1" in text and f"case ESC-{case_id}" in text
    assert "email_send" in text  # nothing leaves until someone presses Send
    with Session(fast_bot.services.engine) as session:
        kinds = [
            e.kind for e in session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id))
        ]
    assert "update_requested" in kinds and "email_drafted" in kinds


def test_snooze_by_someone_else_is_refused_where_they_are(fast_bot, fake_slack, clock):
    _, value = _reminder(fast_bot, fake_slack, clock)
    press(fast_bot, ReminderAction.SNOOZE_HOUR, value, user="U0OTHER01")
    answer = fake_slack.wait_for("chat.postEphemeral")[-1]
    assert answer.body["user"] == "U0OTHER01"
    assert "Only the case's owner" in answer.body["text"]


def test_escalate_to_leadership_drafts_an_email_to_the_vendor_leadership(
    fast_bot, fake_slack, clock
):
    _, value = _reminder(fast_bot, fake_slack, clock)
    press(fast_bot, ReminderAction.ESCALATE_LEADERSHIP, value)
    preview = fake_slack.wait_for_post("Escalation to vendor leadership email")[-1]
    text = json.dumps(_blocks(preview))
    assert "lead@vendor.example.com" in text
    assert "Your ticket number: V-1" in text


def test_overdue_subcommand_through_the_endpoint(fast_bot, fake_slack, clock):
    case_id = open_fast_case(fast_bot.services)
    hand_off(fast_bot.services, case_id)
    clock.advance(timedelta(seconds=12))
    body = fast_bot.sender.command("/escalate", "overdue").body
    assert f"ESC-{case_id}" in body and "overdue by 2s" in body
