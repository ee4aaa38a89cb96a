"""Deadline rules with fixed datetimes and the shipped playbooks: no fakes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from slackbot.domain.cases import CaseStatus, Priority
from slackbot.domain.deadlines import (
    CaseClockState,
    DeadlineKind,
    SnoozeChoice,
    compute_deadlines,
    may_snooze,
    next_fire_at,
    processing_estimate,
    reminder_audience,
    reminder_due,
    reminder_text,
    snooze_until,
)
from slackbot.domain.playbooks import DEFAULT_PLAYBOOKS_PATH, load_playbooks

PLAYBOOKS = load_playbooks(DEFAULT_PLAYBOOKS_PATH)
IDV = PLAYBOOKS.get("idv")
ASSISTER = PLAYBOOKS.get("assister")
TIER3 = PLAYBOOKS.get("tier3")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


#: Wednesday 18 Nov 2026, 09:00 PST.
OPENED = utc(2026, 11, 18, 17, 0)
HANDED = utc(2026, 11, 18, 18, 0)


def with_vendor(**changes) -> CaseClockState:
    base = CaseClockState(status=CaseStatus.WITH_VENDOR, opened_at=OPENED, handed_off_at=HANDED)
    return replace(base, **changes)


def by_kind(state, playbook=IDV, now=HANDED):
    return {d.kind: d for d in compute_deadlines(state, playbook, now)}


def test_an_open_case_not_yet_handed_off_has_no_vendor_clocks():
    found = by_kind(CaseClockState(status=CaseStatus.OPEN, opened_at=OPENED))
    assert found == {}


def test_vendor_ack_is_due_after_hand_off_until_the_vendor_ticket_is_known():
    found = by_kind(with_vendor())
    assert found[DeadlineKind.VENDOR_ACK].due_at == HANDED + timedelta(hours=4)
    assert DeadlineKind.VENDOR_ACK not in by_kind(with_vendor(vendor_ticket="V-1"))


def test_progress_update_every_24h_and_reset_by_an_update():
    first = by_kind(with_vendor())[DeadlineKind.PROGRESS_UPDATE]
    assert first.due_at == HANDED + timedelta(hours=24)
    update = HANDED + timedelta(hours=20)
    after = by_kind(with_vendor(last_update_at=update))[DeadlineKind.PROGRESS_UPDATE]
    assert after.due_at == update + timedelta(hours=24)
    assert after.anchor != first.anchor  # a new anchor: the stored misses start again


def test_each_missed_period_is_one_more_progress_reminder():
    deadline = by_kind(with_vendor())[DeadlineKind.PROGRESS_UPDATE]
    assert reminder_due(IDV, deadline, 0) == HANDED + timedelta(hours=24)
    assert reminder_due(IDV, deadline, 2) == HANDED + timedelta(hours=72)


def test_clocks_stop_when_the_case_closes():
    assert by_kind(with_vendor(status=CaseStatus.RESOLVED)) == {}


def test_contact_ladder_and_unreachable_close_at_72h():
    since = utc(2026, 11, 19, 0, 0)
    state = with_vendor(status=CaseStatus.VENDOR_CONTACTING_USER, contacting_since=since)
    found = by_kind(state)
    ladder = found[DeadlineKind.CONTACT_ATTEMPT]
    assert [reminder_due(IDV, ladder, n) for n in range(3)] == [
        since + timedelta(hours=24),
        since + timedelta(hours=48),
        None,
    ]
    close = found[DeadlineKind.UNREACHABLE_CLOSE]
    assert close.due_at == since + timedelta(hours=72)
    assert not close.to_our_team
    # Sunday 22 Nov 00:00 UTC: the vendor's 24x7 clock is not deferred to our hours.
    assert next_fire_at(IDV, close, 0) == close.due_at
    assert next_fire_at(IDV, close, 1) is None


def test_processing_window_by_kind_and_season():
    outside = CaseClockState(status=CaseStatus.OPEN, opened_at=utc(2026, 10, 20, 15, 0))
    assert processing_estimate(ASSISTER, outside) == "estimated 3–5 business days"
    blocker = replace(outside, priority=Priority.HIGH)
    assert processing_estimate(ASSISTER, blocker) == "estimated 2–3 business days"
    in_season = replace(outside, opened_at=utc(2026, 11, 2, 15, 0))
    assert processing_estimate(ASSISTER, in_season) == "estimated 5–7 business days"
    assert processing_estimate(IDV, outside) is None


@pytest.mark.parametrize(
    ("opened", "estimate"),
    [
        (utc(2026, 10, 31, 15, 0), "estimated 3–5 business days"),  # day before the season
        (utc(2026, 11, 1, 15, 0), "estimated 5–7 business days"),  # first day
        (utc(2026, 12, 31, 15, 0), "estimated 5–7 business days"),  # over New Year...
        (utc(2027, 1, 1, 15, 0), "estimated 5–7 business days"),
        (utc(2027, 1, 15, 15, 0), "estimated 5–7 business days"),  # last day
        (utc(2027, 1, 16, 15, 0), "estimated 3–5 business days"),  # after
    ],
)
def test_season_boundaries_including_the_wrap_over_new_year(opened, estimate):
    state = CaseClockState(status=CaseStatus.OPEN, opened_at=opened)
    assert processing_estimate(ASSISTER, state) == estimate


def test_processing_window_reminder_when_the_upper_bound_passes():
    # Assister, Tue 20 Oct 2026 11:00 EDT, general: 5 business days (Mon–Sat) → Mon 26 Oct 18:00.
    state = CaseClockState(status=CaseStatus.OPEN, opened_at=utc(2026, 10, 20, 15, 0))
    window = by_kind(state, ASSISTER)[DeadlineKind.PROCESSING_WINDOW]
    assert window.due_at == utc(2026, 10, 26, 22, 0)
    assert window.note == "estimated 3–5 business days"
    # Our hours close at 17:00 EDT: the reminder waits until Tuesday 08:00 EDT.
    assert next_fire_at(ASSISTER, window, 0) == utc(2026, 10, 27, 12, 0)


def test_callback_deadline_when_the_requester_left_a_number():
    state = with_vendor(fields={"callback_phone": "555-0100"})
    callback = by_kind(state, ASSISTER)[DeadlineKind.CALLBACK]
    assert callback.due_at == HANDED + timedelta(days=1)
    assert DeadlineKind.CALLBACK not in by_kind(replace(state, callback_done=True), ASSISTER)
    assert DeadlineKind.CALLBACK not in by_kind(with_vendor(), ASSISTER)


def test_business_time_sla_counts_only_open_hours():
    # tier3 counts in the platform team's hours (08–18 New York): handed off Fri 16:00 EST,
    # 4 h ack → 2 h Friday + 2 h Monday → Monday 10:00 EST.
    state = with_vendor(handed_off_at=utc(2026, 11, 20, 21, 0))
    ack = by_kind(state, TIER3)[DeadlineKind.VENDOR_ACK]
    assert ack.due_at == utc(2026, 11, 23, 15, 0)


def test_reminders_to_our_team_wait_for_monday_over_a_weekend():
    # Handed off Friday 20 Nov 16:00 PST; ack due 20:00 PST (after close) → Monday 05:00 PST.
    state = with_vendor(handed_off_at=utc(2026, 11, 21, 0, 0))
    ack = by_kind(state)[DeadlineKind.VENDOR_ACK]
    assert ack.due_at == utc(2026, 11, 21, 4, 0)
    assert next_fire_at(IDV, ack, 0) == utc(2026, 11, 23, 13, 0)


def test_reminders_deferred_over_the_dst_change_open_at_the_new_offset():
    # Handed off Fri 30 Oct 2026 15:00 PDT; ack due 19:00 PDT; Monday 2 Nov opens 05:00 PST.
    state = with_vendor(handed_off_at=utc(2026, 10, 30, 22, 0))
    ack = by_kind(state)[DeadlineKind.VENDOR_ACK]
    assert next_fire_at(IDV, ack, 0) == utc(2026, 11, 2, 13, 0)


def test_non_progress_reminders_stop_after_the_second():
    ack = by_kind(with_vendor())[DeadlineKind.VENDOR_ACK]
    assert reminder_due(IDV, ack, 1) == ack.due_at + timedelta(hours=4)
    # 18:00 PST is after our close: the repeat waits for Thursday 05:00 PST.
    assert next_fire_at(IDV, ack, 1) == utc(2026, 11, 19, 13, 0)
    assert next_fire_at(IDV, ack, 2) is None


def test_a_bot_that_was_down_posts_once_then_waits_a_full_period():
    progress = by_kind(with_vendor())[DeadlineKind.PROGRESS_UPDATE]
    back = HANDED + timedelta(days=5)
    # Four periods were missed while down; the next reminder is one period after "now".
    assert next_fire_at(
        IDV, progress, 1, not_before=back + timedelta(hours=24)
    ) == back + timedelta(hours=24)


def test_snooze_keeps_the_reminder_quiet_and_inside_our_hours():
    ack = by_kind(with_vendor())[DeadlineKind.VENDOR_ACK]
    now = ack.due_at
    hour = snooze_until(IDV, now, SnoozeChoice.HOUR)
    assert hour == now + timedelta(hours=1)
    assert next_fire_at(IDV, ack, 0, snoozed_until=hour) == hour
    tomorrow = snooze_until(IDV, now, SnoozeChoice.TOMORROW)
    assert tomorrow == utc(2026, 11, 19, 13, 0)  # Thursday 05:00 PST


def test_only_the_owner_may_snooze():
    assert may_snooze(owner_id="U1", opened_by="U2", user_id="U1")
    assert not may_snooze(owner_id="U1", opened_by="U2", user_id="U2")
    assert may_snooze(owner_id=None, opened_by="U2", user_id="U2")


def test_second_miss_pings_the_leads_and_suggests_vendor_leadership():
    first = reminder_audience(IDV, owner_id="U1", tier=1, miss=1)
    assert first.mentions == ("<@U1>",)
    assert not first.escalated and first.leadership == ()
    second = reminder_audience(IDV, owner_id="U1", tier=1, miss=2)
    assert second.mentions == ("<@U1>", "<!subteam^S0LEADS0001>")
    assert second.escalated
    assert [c.name for c in second.leadership] == [c.name for c in IDV.leadership_contacts]


def test_nobody_owns_it_so_the_tier_group_is_pinged():
    audience = reminder_audience(IDV, owner_id=None, tier=2, miss=1)
    assert audience.mentions == ("<!subteam^S0TIER20001>",)


def test_reminder_text_says_what_and_how_late():
    text = reminder_text(
        DeadlineKind.VENDOR_ACK, due_at=HANDED, now=HANDED + timedelta(hours=3), miss=0
    )
    assert "3h" in text and "acknowledgement" in text


def test_contact_attempt_reminders_count_the_ladder_from_the_second_try():
    text = reminder_text(
        DeadlineKind.CONTACT_ATTEMPT, due_at=HANDED, now=HANDED + timedelta(hours=1), miss=0
    )
    assert text.startswith("Contact attempt 2 ")
