"""The case history an escalation to the vendor's contacts cites: pure, over plain log entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from slackbot.domain.handoff import Purpose
from slackbot.domain.handoff_followups import moves_when_sent
from slackbot.domain.handoff_history import HISTORY_LIMIT, LoggedEvent, history_line, history_lines
from slackbot.domain.status_machine import Action

AT = datetime(2026, 11, 18, 17, 0, tzinfo=UTC)


def test_moves_updates_emails_and_their_missed_clocks_are_told_in_order_with_utc_times():
    events = [
        LoggedEvent(AT, "opened"),
        LoggedEvent(AT + timedelta(minutes=5), "email_sent", detail={"purpose": "handoff"}),
        LoggedEvent(AT + timedelta(minutes=5), "status_changed", to_status="with_vendor"),
        LoggedEvent(
            AT + timedelta(hours=1),
            "update",
            detail={"vendor_ticket": "IDV-777", "vendor_status": "investigating"},
        ),
        LoggedEvent(
            AT + timedelta(days=1),
            "reminder",
            detail={"deadline": "progress_update", "overdue": "2h"},
        ),
        LoggedEvent(AT + timedelta(days=2), "undo", to_status="acknowledged"),
    ]
    assert history_lines(events) == [
        "2026-11-18 17:00 UTC: case opened",
        "2026-11-18 17:05 UTC: we sent the hand-off",
        "2026-11-18 17:05 UTC: waiting on vendor",
        "2026-11-18 18:00 UTC: update from your team, ticket IDV-777, status: investigating",
        "2026-11-19 17:00 UTC: still waiting for a progress update from the vendor (overdue by 2h)",
        "2026-11-20 17:00 UTC: acknowledged",
    ]


def test_internal_chatter_and_our_own_clocks_stay_out():
    quiet = [
        LoggedEvent(AT, "reply", detail={"text": "asked the prescriber again"}),
        LoggedEvent(AT, "email_viewed", detail={"draft": 3}),
        LoggedEvent(AT, "denied"),
        LoggedEvent(AT, "details_edited", detail={"fields": ["description"]}),
        LoggedEvent(AT, "reminder", detail={"deadline": "processing_window", "overdue": "1d"}),
        LoggedEvent(AT, "reminder", detail={"deadline": "callback", "overdue": "1h"}),
        LoggedEvent(AT, "update", detail={"note": "internal note only"}),
        LoggedEvent(AT, "status_changed"),  # no status recorded: nothing to say
    ]
    assert history_lines(quiet) == []
    assert [history_line(event) for event in quiet] == [None] * len(quiet)


def test_a_missed_clock_without_its_delay_still_reads():
    event = LoggedEvent(AT, "reminder", detail={"deadline": "vendor_ack"})
    assert history_line(event).startswith("still waiting for ")
    assert history_line(event).endswith("(overdue by ?)")


def test_only_the_newest_lines_are_cited():
    events = [LoggedEvent(AT + timedelta(minutes=i), "opened") for i in range(HISTORY_LIMIT + 5)]
    lines = history_lines(events)
    assert len(lines) == HISTORY_LIMIT
    assert lines[0].startswith("2026-11-18 17:05 UTC")
    assert history_lines(events, limit=2) == lines[-2:]


def test_naive_times_from_sqlite_are_taken_as_utc():
    naive = LoggedEvent(datetime(2026, 11, 18, 9, 30), "opened")  # noqa: DTZ001
    assert history_lines([naive]) == ["2026-11-18 09:30 UTC: case opened"]


def test_a_sent_hand_off_or_reopen_moves_the_case_to_the_vendor_and_nothing_else_moves_it():
    assert moves_when_sent(Purpose.HANDOFF) == (Action.HAND_TO_VENDOR,)
    assert moves_when_sent(Purpose.REOPEN) == (Action.REOPEN, Action.WAIT_ON_VENDOR)
    for purpose in (Purpose.UPDATE_REQUEST, Purpose.LEADERSHIP, Purpose.TECHNICAL):
        assert moves_when_sent(purpose) == ()
