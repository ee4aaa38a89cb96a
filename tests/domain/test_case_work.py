"""Issue 13's rules with fixed datetimes and the shipped playbooks: waiting on us (our reply
clock, the vendor's paused), the call-out request, the edit's checks, the technical wait."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from slackbot.domain.case_work import (
    CaseFacts,
    check_callout,
    check_note,
    may_assign,
    technical_wait,
    validate_edit,
)
from slackbot.domain.cases import CaseStatus
from slackbot.domain.deadlines import (
    CaseClockState,
    DeadlineKind,
    compute_deadlines,
    our_reply_due,
    reminder_text,
)
from slackbot.domain.playbooks import DEFAULT_PLAYBOOKS_PATH, load_playbooks
from slackbot.domain.status_machine import Action, CaseState, apply, parse_action

PLAYBOOKS = load_playbooks(DEFAULT_PLAYBOOKS_PATH)
IDV = PLAYBOOKS.get("idv")
ASSISTER = PLAYBOOKS.get("assister")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


#: Wednesday 18 Nov 2026, 09:00 and 10:00 PST; idv's own hours are Mon–Fri 05:00–17:00 PST.
OPENED = utc(2026, 11, 18, 17, 0)
HANDED = utc(2026, 11, 18, 18, 0)
ASKED = utc(2026, 11, 18, 20, 0)  # 12:00 PST


def kinds(state: CaseClockState, playbook=IDV) -> dict[DeadlineKind, object]:
    return {d.kind: d for d in compute_deadlines(state, playbook, ASKED)}


def with_vendor(**changes) -> CaseClockState:
    base = CaseClockState(status=CaseStatus.WITH_VENDOR, opened_at=OPENED, handed_off_at=HANDED)
    return replace(base, **changes)


# --- waiting on us ---------------------------------------------------------------------------


def test_the_vendor_asking_for_details_is_a_move_only_while_it_is_with_them():
    for status in (CaseStatus.WITH_VENDOR, CaseStatus.VENDOR_CONTACTING_USER):
        moved = apply(CaseState(status, "U1", 2), Action.VENDOR_NEEDS_INFO, actor="U1", top_tier=3)
        assert moved.after.status is CaseStatus.VENDOR_NEEDS_INFO
        assert moved.after.owner == "U1"  # the owner keeps it: the ball is in their court
    back = apply(
        CaseState(CaseStatus.VENDOR_NEEDS_INFO, "U1", 2),
        Action.WAIT_ON_VENDOR,
        actor="U1",
        top_tier=3,
    )
    assert back.after.status is CaseStatus.WITH_VENDOR
    assert parse_action("needs-info") is Action.VENDOR_NEEDS_INFO
    assert IDV.reaction_map["question"] == "vendor_needs_info"


def test_waiting_on_us_pauses_the_vendors_clocks_and_starts_ours():
    state = with_vendor(status=CaseStatus.VENDOR_NEEDS_INFO, needs_info_since=ASKED)
    found = kinds(state)
    assert DeadlineKind.PROGRESS_UPDATE not in found
    assert DeadlineKind.VENDOR_ACK not in found
    ours = found[DeadlineKind.OUR_REPLY]
    # One business day of ours: Thursday, the same time of day.
    assert ours.due_at == utc(2026, 11, 19, 20, 0)
    assert ours.anchor == ASKED and ours.to_our_team
    # With the vendor again, their clocks run and ours is gone.
    found = kinds(with_vendor(needs_info_since=ASKED))
    assert DeadlineKind.PROGRESS_UPDATE in found and DeadlineKind.OUR_REPLY not in found


def test_our_reply_skips_our_weekend_and_short_durations_run_in_open_hours():
    friday = utc(2026, 11, 20, 20, 0)  # Friday 12:00 PST
    assert our_reply_due(IDV, friday) == utc(2026, 11, 23, 20, 0)  # Monday 12:00 PST
    fast = IDV.model_copy(update={"sla": IDV.sla.model_copy(update={"our_reply": "2h"})})
    late = utc(2026, 11, 19, 0, 30)  # Wednesday 16:30 PST: 30 minutes left that day
    assert our_reply_due(fast, late) == utc(2026, 11, 19, 14, 30)  # Thursday 06:30 PST


def test_details_sent_back_restart_the_progress_clock_from_then():
    answered = ASKED + timedelta(hours=3)
    state = with_vendor(needs_info_since=ASKED, needs_info_answered_at=answered)
    progress = kinds(state)[DeadlineKind.PROGRESS_UPDATE]
    assert progress.anchor == answered
    assert progress.due_at == answered + IDV.duration(IDV.sla.progress_update)


def test_our_reply_reminder_says_how_to_hand_it_back():
    text = reminder_text(
        DeadlineKind.OUR_REPLY, due_at=ASKED, now=ASKED + timedelta(hours=2), miss=0
    )
    assert "waiting on us" in text and "Add update" in text and "2h" in text


# --- the call-out ----------------------------------------------------------------------------


def test_a_requested_call_out_is_reminded_until_the_vendor_confirms_it():
    callout = ASKED + timedelta(days=1)
    state = with_vendor(callout_at=callout, callout_requested_at=ASKED)
    clock = kinds(state)[DeadlineKind.CALLOUT_CONFIRMATION]
    assert clock.due_at == ASKED + timedelta(hours=4)
    assert clock.note == "requested, not confirmed"
    # A call-out sooner than the wait is due at the call-out itself.
    soon = with_vendor(callout_at=ASKED + timedelta(hours=1), callout_requested_at=ASKED)
    assert kinds(soon)[DeadlineKind.CALLOUT_CONFIRMATION].due_at == ASKED + timedelta(hours=1)
    confirmed = replace(state, callout_confirmed=True)
    assert DeadlineKind.CALLOUT_CONFIRMATION not in kinds(confirmed)
    text = reminder_text(DeadlineKind.CALLOUT_CONFIRMATION, due_at=ASKED, now=ASKED, miss=0)
    assert "only a request" in text


def test_a_call_out_time_must_lie_ahead():
    ahead = int((ASKED + timedelta(hours=2)).timestamp())
    assert check_callout(str(ahead), ASKED) == (ASKED + timedelta(hours=2), "")
    assert check_callout(str(int(ASKED.timestamp()) - 60), ASKED)[1].startswith("That time")
    assert check_callout(None, ASKED)[0] is None


# --- edit, assign, notes ---------------------------------------------------------------------

CURRENT = CaseFacts(
    summary="Cannot pass checks",
    category="other",
    tier=1,
    priority="normal",
    requester_type="Clinician",
    internal_ticket="XQ123",
)


def form(**changes) -> dict:
    values = {
        "summary": CURRENT.summary,
        "category": CURRENT.category,
        "tier": str(CURRENT.tier),
        "priority": CURRENT.priority,
        "requester_type": CURRENT.requester_type,
    }
    values.update(changes)
    return values


def test_an_edit_changes_only_what_differs_and_a_blocker_category_brings_high_priority():
    result = validate_edit(IDV, CURRENT, form(category="access", tier="2"), ASKED)
    assert result.errors == {}
    assert result.changes == {
        "category": ("other", "access"),
        "tier": (1, 2),
        "priority": ("normal", "high"),
    }
    chosen = validate_edit(IDV, CURRENT, form(category="access", priority="high"), ASKED)
    assert chosen.changes["priority"] == ("normal", "high")
    kept = validate_edit(IDV, CURRENT, form(category="access", priority="low"), ASKED)
    assert kept.errors == {"priority": "Pick a priority."}
    assert validate_edit(IDV, CURRENT, form(), ASKED).changes == {}


def test_an_edit_gets_the_intakes_checks_pii_included():
    result = validate_edit(
        IDV, CURRENT, form(summary="SSN 123-45-6789", category="nope", tier="9"), ASKED
    )
    assert result.changes == {}
    assert "social security number" in result.errors["summary"]
    assert set(result.errors) == {"summary", "category", "tier"}


def test_free_text_is_pii_checked_and_required():
    assert check_note("  the sign-up email  ", label="x", limit=100) == ("the sign-up email", "")
    assert "social security number" in check_note("SSN 123-45-6789", label="x", limit=100)[1]
    assert check_note("", label="what they asked for", limit=100) == (
        "",
        "Say what they asked for.",
    )
    assert "under 5" in check_note("too long", label="x", limit=5)[1]


def test_only_a_responder_of_the_tier_can_be_assigned():
    members = frozenset({"U1", "U2"})
    assert may_assign("U2", members) is None
    assert "not one of" in may_assign("U9", members)


# --- the technical escalation ----------------------------------------------------------------


def test_the_technical_escalation_waits_for_our_engineers_assessment():
    assert IDV.engineering_tier == 3
    why = technical_wait(IDV, assessed_at=None, handed_off=True)
    assert "Engineering" in why and "Engineering assessed" in why
    assert technical_wait(IDV, assessed_at=ASKED, handed_off=True) is None
    assert "not been handed" in technical_wait(IDV, assessed_at=ASKED, handed_off=False)
    # A playbook naming no engineering tier does not wait.
    assert ASSISTER.engineering_tier is None
    assert technical_wait(ASSISTER, assessed_at=None, handed_off=True) is None
