"""A stranger (not the opener, not a responder of the case's tier) against the buttons of a
case's reminders, through the signed endpoint: refused, and nothing drafted or logged."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from slackbot.devtools.signed import block_actions
from slackbot.render.reminders import ReminderAction
from slackbot.usecases import deadlines
from storage.models import CaseEvent, OutboxItem
from tests.support.fast_vendor import FAST, hand_off, open_fast_case

AGENT = "U0AGENT01"
RESPONDER = "U0TIER1001"
STRANGER = "U0STRANGE1"


@pytest.fixture
def fast_bot(make_bot, tmp_path, fake_slack):
    path = tmp_path / "playbooks.toml"
    path.write_text(FAST, encoding="utf-8")
    fake_slack.usergroups["S0TIER10009"] = [RESPONDER]
    return make_bot(ESCALATION_PLAYBOOKS=str(path))


def _reminder_value(bot, fake_slack, clock) -> tuple[int, str]:
    case_id = open_fast_case(bot.services)
    hand_off(bot.services, case_id)
    clock.advance(timedelta(seconds=10))
    assert deadlines.sweep(bot.services) == 1
    posted = [c for c in fake_slack.calls_to("chat.postMessage") if ":alarm_clock:" in str(c.body)]
    blocks = posted[-1].body["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    buttons = {b["action_id"]: b for b in blocks[-1]["elements"]}
    return case_id, buttons[ReminderAction.ASK_VENDOR.value]["value"]


def _press(bot, action_id: str, value: str, user: str):
    return bot.sender.interactive(block_actions(action_id, value, user=user, channel="C0FAST001"))


def _events(bot, case_id: int) -> list[CaseEvent]:
    with Session(bot.services.engine) as session:
        return list(session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id)).all())


def _compose_items(bot) -> list[OutboxItem]:
    with Session(bot.services.engine) as session:
        return list(session.exec(select(OutboxItem).where(OutboxItem.kind == "email.compose")))


def _denial_to(fake_slack, user: str):
    return fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and c.body.get("user") == user,
        f"a denial to {user}",
    )[-1]


@pytest.mark.parametrize(
    ("action", "logged"),
    [
        (ReminderAction.ASK_VENDOR, "update_requested"),
        (ReminderAction.ESCALATE_LEADERSHIP, "leadership_requested"),
        (ReminderAction.CALLBACK_DONE, "callback_done"),
    ],
)
def test_a_strangers_reminder_button_is_denied_and_nothing_is_drafted(
    fast_bot, fake_slack, clock, action, logged
):
    case_id, value = _reminder_value(fast_bot, fake_slack, clock)
    before = len(_compose_items(fast_bot))  # the hand-off's, asked for when the case opened
    drafted = [e.kind for e in _events(fast_bot, case_id)].count("email_drafted")
    assert _press(fast_bot, action, value, STRANGER).status == 200
    assert ":lock:" in _denial_to(fake_slack, STRANGER).body["text"]
    fast_bot.services.outbox.deliver_due()
    assert len(_compose_items(fast_bot)) == before
    kinds = [e.kind for e in _events(fast_bot, case_id)]
    assert logged not in kinds and kinds.count("email_drafted") == drafted
    assert [e.actor for e in _events(fast_bot, case_id) if e.kind == "denied"] == [STRANGER]


def test_a_tier_responder_may_ask_the_vendor_for_an_update(fast_bot, fake_slack, clock):
    case_id, value = _reminder_value(fast_bot, fake_slack, clock)
    _press(fast_bot, ReminderAction.ASK_VENDOR, value, RESPONDER)
    fake_slack.wait_for_post("Request for an update email")
    assert "update_requested" in [e.kind for e in _events(fast_bot, case_id)]


def test_escalate_overdue_lists_only_the_cases_the_asker_may_see(fast_bot, fake_slack, clock):
    case_id, _ = _reminder_value(fast_bot, fake_slack, clock)
    outside = fast_bot.sender.command("/escalate", "overdue", user=STRANGER).body
    assert f"ESC-{case_id}" not in outside and "1 more open case" in outside
    inside = fast_bot.sender.command("/escalate", "overdue", user=RESPONDER).body
    assert f"ESC-{case_id}" in inside and "more open" not in inside
