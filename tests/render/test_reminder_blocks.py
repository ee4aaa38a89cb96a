"""Reminder Block Kit builders, tested with no fakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from slackbot.domain.deadlines import DeadlineKind
from slackbot.domain.playbooks import Contact
from slackbot.render.ids import CaseAction
from slackbot.render.reminders import (
    ReminderAction,
    build_overdue_list,
    build_reminder,
    build_unreachable_note,
    parse_button_value,
)

NOW = datetime(2026, 11, 18, 17, 0, tzinfo=UTC)


def test_reminder_mentions_says_what_and_offers_every_next_action():
    blocks = build_reminder(
        text="No progress update: one was due 2h ago.",
        mentions=("<@U1>",),
        escalated=False,
        leadership=(),
        deadline_id=7,
        case_id=3,
    )
    assert blocks[0]["text"]["text"].startswith(":alarm_clock: <@U1> No progress update")
    buttons = blocks[-1]["elements"]
    assert [b["action_id"] for b in buttons] == [
        ReminderAction.ASK_VENDOR,
        CaseAction.ADD_UPDATE,
        ReminderAction.ESCALATE_LEADERSHIP,
        ReminderAction.SNOOZE_HOUR,
        ReminderAction.SNOOZE_TOMORROW,
    ]
    assert buttons[1]["value"] == "3"
    assert parse_button_value(buttons[0]["value"]) == (7, 3)


def test_escalated_reminder_lists_vendor_leadership_escaped():
    blocks = build_reminder(
        text="Overdue.",
        mentions=("<@U1>", "<!subteam^S1>"),
        escalated=True,
        leadership=(
            Contact(name="Lead <!channel>", title="Boss", email="lead@vendor.example.com"),
        ),
        deadline_id=1,
        case_id=1,
        with_vendor=False,
    )
    context = blocks[1]["elements"][0]["text"]
    assert "Missed twice" in context
    assert "<!channel>" not in context and "Lead &lt;!channel&gt;" in context
    assert ReminderAction.ASK_VENDOR.value not in str(blocks[-1])


def test_unreachable_note_says_how_to_reopen():
    text, blocks = build_unreachable_note(mentions=("<@U1>",), after="72h", vendor="Vendor")
    assert "within 72h" in text and "reply on the vendor email thread" in text
    assert blocks[0]["text"]["text"] == text


def test_overdue_list_oldest_first_and_escaped():
    items = [
        (4, "Old <!here>", DeadlineKind.VENDOR_ACK, NOW - timedelta(days=2), "U1"),
        (9, "New", DeadlineKind.PROGRESS_UPDATE, NOW - timedelta(hours=1), None),
    ]
    text = build_overdue_list(items, NOW)
    assert text.index("ESC-4") < text.index("ESC-9")
    assert "<!here>" not in text and "overdue by 2d" in text and "<@U1>" in text
    assert build_overdue_list([], NOW) == ":white_check_mark: Nothing is overdue."


def test_button_values_that_are_not_ours_are_ignored():
    assert parse_button_value("nonsense") == (None, None)
