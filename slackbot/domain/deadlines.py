"""Service-level clocks: every deadline a case has now, when its reminder goes out, and to whom.

Pure rules: a case's state (`CaseClockState`), its playbook and `now` in, deadlines out. The
storage layer keeps one row per (case, kind) and calls `compute_deadlines` whenever the case
changes; the sweep calls `next_fire_at` and `reminder_audience` when a deadline is missed.

- vendor acknowledgement: `sla.vendor_ack` after the hand-off, until the vendor's ticket is known;
- progress update: `sla.progress_update` after the hand-off or the last recorded update, while
  the case is with the vendor (every recorded update moves the anchor, which resets the misses);
- contact attempts: the vendor's ladder (`sla.contact_attempts`, e.g. 0 h, 24 h, 48 h) once the
  vendor is contacting the end user, and `sla.unreachable_close` (72 h) after which the case is
  closed as unreachable;
- processing window: the playbook's window for the ticket's kind and season; a reminder when its
  upper bound passes;
- call-back: `sla.callback` after the hand-off when the requester left a call-back number;
- our reply: `sla.our_reply` (whole days: our business days) after the vendor asked us for
  details; the vendor's clocks are paused meanwhile and the progress clock starts afresh once
  the details went back;
- call-out confirmation: a call-out time we asked the vendor for is only a request until they
  confirm it: `sla.callout_confirm` after the request (at the latest at the call-out time).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from slackbot.domain.business_hours import (
    add_business_days,
    add_business_time,
    end_of_business_days,
    next_opening,
    next_opening_after_today,
)
from slackbot.domain.cases import CaseStatus, Priority
from slackbot.domain.durations import format_duration
from slackbot.domain.playbooks import Contact, Playbook, Window


class DeadlineKind(StrEnum):
    """The kinds of service-level clock a case can have."""

    VENDOR_ACK = "vendor_ack"
    PROGRESS_UPDATE = "progress_update"
    CONTACT_ATTEMPT = "contact_attempt"
    UNREACHABLE_CLOSE = "unreachable_close"
    PROCESSING_WINDOW = "processing_window"
    CALLBACK = "callback"
    OUR_REPLY = "our_reply"
    CALLOUT_CONFIRMATION = "callout_confirmation"

    @property
    def label(self) -> str:
        """What is overdue, in words."""
        return DEADLINE_LABELS[self]


DEADLINE_LABELS = {
    DeadlineKind.VENDOR_ACK: "the vendor's acknowledgement (their ticket number)",
    DeadlineKind.PROGRESS_UPDATE: "a progress update from the vendor",
    DeadlineKind.CONTACT_ATTEMPT: "the vendor's next attempt to contact the end user",
    DeadlineKind.UNREACHABLE_CLOSE: "contact with the end user",
    DeadlineKind.PROCESSING_WINDOW: "the end of the processing window",
    DeadlineKind.CALLBACK: "the promised call-back to the requester",
    DeadlineKind.OUR_REPLY: "our reply with the details the vendor asked for",
    DeadlineKind.CALLOUT_CONFIRMATION: "the vendor's confirmation of the requested call-out time",
}


class SnoozeChoice(StrEnum):
    """How long a reminder can be snoozed."""

    HOUR = "1h"
    TOMORROW = "tomorrow"


#: Statuses in which the case is in the vendor's hands.
WITH_VENDOR = (CaseStatus.WITH_VENDOR, CaseStatus.VENDOR_CONTACTING_USER)
#: Deadlines that are not progress updates stop after this many reminders.
MAX_REMINDERS = 2
#: The miss from which the team lead group is pinged.
ESCALATE_ON_MISS = 2
#: Intake fields that carry a call-back number.
CALLBACK_FIELDS = ("callback_phone",)


@dataclass(frozen=True)
class CaseClockState:
    """What the deadline rules need to know about a case."""

    status: CaseStatus
    opened_at: datetime
    priority: Priority = Priority.NORMAL
    category: str = ""
    handed_off_at: datetime | None = None
    last_update_at: datetime | None = None
    vendor_ticket: str | None = None
    #: When the vendor started trying to reach the end user (the contact ladder's zero).
    contacting_since: datetime | None = None
    callback_done: bool = False
    fields: Mapping[str, Any] = field(default_factory=dict)
    #: When the vendor asked us for details, and when we last sent them back.
    needs_info_since: datetime | None = None
    needs_info_answered_at: datetime | None = None
    #: A call-out time we asked the vendor for, when we asked, and whether they confirmed it.
    callout_at: datetime | None = None
    callout_requested_at: datetime | None = None
    callout_confirmed: bool = False


@dataclass(frozen=True)
class Deadline:
    """One clock: what is due, when, counted from which anchor."""

    kind: DeadlineKind
    due_at: datetime
    #: The instant the clock started from; a new anchor means a fresh clock (misses reset).
    anchor: datetime
    #: Reminders go to our team and wait for our business hours; the close does not.
    to_our_team: bool = True
    #: Wording for the agent, e.g. "estimated 2–3 business days".
    note: str = ""


def _vendor_after(playbook: Playbook, start: datetime, duration: str) -> datetime:
    """`start` + `duration`, in the vendor's business time when the playbook says so."""
    delta = playbook.duration(duration)
    if playbook.sla.business_time:
        return add_business_time(playbook.hours.theirs, start, delta)
    return start + delta


def our_reply_due(playbook: Playbook, since: datetime) -> datetime:
    """When our reply to the vendor's request for details is due: whole days are our business
    days (the same time of day, or our next opening after it); shorter durations run in our
    open hours."""
    delta = playbook.duration(playbook.sla.our_reply)
    hours = playbook.hours.ours
    if (
        delta >= timedelta(days=1)
        and delta % timedelta(days=1) == timedelta(0)
        and not hours.always
    ):
        day = add_business_days(hours, since.astimezone(hours.zone).date(), delta.days)
        local = since.astimezone(hours.zone)
        moved = datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=hours.zone)
        return next_opening(hours, moved.astimezone(since.tzinfo))
    return add_business_time(hours, since, delta)


def callout_confirmation_due(playbook: Playbook, state: CaseClockState) -> datetime | None:
    """When an unconfirmed call-out request needs the vendor's confirmation, or None."""
    if state.callout_at is None or state.callout_requested_at is None or state.callout_confirmed:
        return None
    due = state.callout_requested_at + playbook.duration(playbook.sla.callout_confirm)
    return min(due, state.callout_at)


def _progress_anchor(state: CaseClockState) -> datetime:
    """The progress clock runs from the hand-off, the last update or the details we sent back."""
    assert state.handed_off_at is not None
    anchors = [state.handed_off_at, state.last_update_at, state.needs_info_answered_at]
    return max(anchor for anchor in anchors if anchor is not None)


def _our_clocks(state: CaseClockState, playbook: Playbook) -> list[Deadline]:
    """The clocks on our side of a hand-off: our reply, and the call-out confirmation."""
    deadlines: list[Deadline] = []
    if state.status is CaseStatus.VENDOR_NEEDS_INFO and state.needs_info_since is not None:
        since = state.needs_info_since
        deadlines.append(Deadline(DeadlineKind.OUR_REPLY, our_reply_due(playbook, since), since))
    callout_due = callout_confirmation_due(playbook, state)
    if callout_due is not None and state.callout_requested_at is not None:
        deadlines.append(
            Deadline(
                DeadlineKind.CALLOUT_CONFIRMATION,
                callout_due,
                state.callout_requested_at,
                note="requested, not confirmed",
            )
        )
    return deadlines


def is_escalation(state: CaseClockState) -> bool:
    """Blocker cases (high priority) run on the escalation window, others on the general one."""
    return state.priority is Priority.HIGH


def processing_window(playbook: Playbook, state: CaseClockState) -> tuple[Window, datetime] | None:
    """The window that applies to the case and when its upper bound passes, or None."""
    opened_local = state.opened_at.astimezone(playbook.hours.theirs.zone)
    window = playbook.processing.window(escalation=is_escalation(state), day=opened_local.date())
    if window is None:
        return None
    if window.business_days:
        hours = playbook.hours.theirs
        if hours.always:
            hours = playbook.hours.ours
        return window, end_of_business_days(hours, state.opened_at, window.max_days)
    return window, state.opened_at + timedelta(days=window.max_days)


def processing_estimate(playbook: Playbook, state: CaseClockState) -> str | None:
    """The estimate shown to the agent when the case opens: "estimated 2–3 business days"."""
    found = processing_window(playbook, state)
    if found is None:
        return None
    return f"estimated {found[0].describe()}"


def compute_deadlines(state: CaseClockState, playbook: Playbook, now: datetime) -> list[Deadline]:
    """Every deadline the case has at `now` (closed cases have none)."""
    del now  # the clocks are anchored on the case's own instants; kept for symmetry and tests
    if state.status.is_closed:
        return []
    deadlines: list[Deadline] = []
    sla = playbook.sla
    with_vendor = state.status in WITH_VENDOR
    if with_vendor and state.handed_off_at is not None and not state.vendor_ticket:
        deadlines.append(
            Deadline(
                DeadlineKind.VENDOR_ACK,
                _vendor_after(playbook, state.handed_off_at, sla.vendor_ack),
                state.handed_off_at,
            )
        )
    if with_vendor and state.handed_off_at is not None:
        anchor = _progress_anchor(state)
        deadlines.append(
            Deadline(
                DeadlineKind.PROGRESS_UPDATE,
                _vendor_after(playbook, anchor, sla.progress_update),
                anchor,
            )
        )
    if state.status is CaseStatus.VENDOR_CONTACTING_USER and state.contacting_since is not None:
        start = state.contacting_since
        # At 0 h the vendor tries as they take the case; the clock watches the later steps.
        second = contact_ladder_due(playbook, start, 1)
        if second is not None:
            deadlines.append(Deadline(DeadlineKind.CONTACT_ATTEMPT, second, start))
        deadlines.append(
            Deadline(
                DeadlineKind.UNREACHABLE_CLOSE,
                _vendor_after(playbook, start, sla.unreachable_close),
                start,
                to_our_team=False,
            )
        )
    found = processing_window(playbook, state)
    if found is not None:
        window, due = found
        deadlines.append(
            Deadline(
                DeadlineKind.PROCESSING_WINDOW,
                due,
                state.opened_at,
                note=f"estimated {window.describe()}",
            )
        )
    has_callback = any(str(state.fields.get(name) or "").strip() for name in CALLBACK_FIELDS)
    if has_callback and not state.callback_done:
        anchor = state.handed_off_at or state.opened_at
        deadlines.append(
            Deadline(DeadlineKind.CALLBACK, _vendor_after(playbook, anchor, sla.callback), anchor)
        )
    deadlines += _our_clocks(state, playbook)
    return deadlines


def contact_ladder_due(playbook: Playbook, deadline_anchor: datetime, step: int) -> datetime | None:
    """When the ladder's `step`-th attempt (0-based) is due, or None past the last step."""
    steps = playbook.sla.contact_attempts
    if step >= len(steps):
        return None
    return _vendor_after(playbook, deadline_anchor, steps[step])


def repeat_interval(playbook: Playbook, kind: DeadlineKind) -> timedelta:
    """How long after a reminder the next one for the same clock is due."""
    if kind is DeadlineKind.PROGRESS_UPDATE:
        # Every period without an update is another missed update.
        return playbook.duration(playbook.sla.progress_update)
    return playbook.duration(playbook.sla.reminder_repeat)


def reminder_due(playbook: Playbook, deadline: Deadline, misses: int) -> datetime | None:
    """When reminder number `misses + 1` for this clock is due, or None when none is left."""
    kind = deadline.kind
    if kind is DeadlineKind.UNREACHABLE_CLOSE:
        return deadline.due_at if misses == 0 else None
    if kind is DeadlineKind.CONTACT_ATTEMPT:
        # One reminder per ladder step after the first: step 0 is the vendor's immediate try.
        return contact_ladder_due(playbook, deadline.anchor, misses + 1)
    if kind is DeadlineKind.PROGRESS_UPDATE:
        return deadline.due_at + misses * repeat_interval(playbook, kind)
    if misses >= MAX_REMINDERS:
        return None
    return deadline.due_at + misses * repeat_interval(playbook, kind)


def deliver_at(playbook: Playbook, deadline: Deadline, due: datetime) -> datetime:
    """When a reminder due at `due` is delivered: our business hours for our team's reminders."""
    if not deadline.to_our_team:
        return due
    return next_opening(playbook.hours.ours, due)


def next_fire_at(
    playbook: Playbook,
    deadline: Deadline,
    misses: int,
    *,
    snoozed_until: datetime | None = None,
    not_before: datetime | None = None,
) -> datetime | None:
    """When the sweep should next act on this clock, or None when it has nothing left to do.

    `not_before` (the time of the last reminder plus the repeat) keeps a bot that was down from
    posting one reminder per period it missed: it posts once, then waits a full period.
    """
    due = reminder_due(playbook, deadline, misses)
    if due is None:
        return None
    if not_before is not None and due < not_before:
        due = not_before
    fire = deliver_at(playbook, deadline, due)
    if snoozed_until is not None and snoozed_until > fire:
        fire = deliver_at(playbook, deadline, snoozed_until)
    return fire


def snooze_until(playbook: Playbook, now: datetime, choice: SnoozeChoice) -> datetime:
    """Until when a snoozed reminder stays quiet: an hour, or our team's next day's opening."""
    if choice is SnoozeChoice.HOUR:
        return now + timedelta(hours=1)
    return next_opening_after_today(playbook.hours.ours, now)


def may_snooze(*, owner_id: str | None, opened_by: str, user_id: str) -> bool:
    """Only the case's owner may snooze its reminders (the opener, while nobody owns it)."""
    return user_id == (owner_id or opened_by)


@dataclass(frozen=True)
class Audience:
    """Who a reminder pings and which vendor contacts it suggests."""

    mentions: tuple[str, ...]
    escalated: bool
    leadership: tuple[Contact, ...] = ()


def _mention(who: str) -> str:
    return f"<@{who}>" if who.startswith(("U", "W")) else f"<!subteam^{who}>"


def reminder_audience(
    playbook: Playbook, *, owner_id: str | None, tier: int, miss: int
) -> Audience:
    """The owner (or the tier's group); from the second miss also the leads and vendor leadership."""
    mentions: list[str] = []
    if owner_id:
        mentions.append(_mention(owner_id))
    else:
        tier_ = playbook.tier(tier)
        if tier_ is not None and tier_.responders != "channel":
            mentions.append(_mention(tier_.responders))
    escalated = miss >= ESCALATE_ON_MISS
    if escalated and playbook.lead_group:
        mentions.append(_mention(playbook.lead_group))
    return Audience(tuple(mentions), escalated, playbook.leadership_contacts if escalated else ())


def overdue_by(due_at: datetime, now: datetime) -> str:
    """How late, for people: "3h", "1d 2h"."""
    return format_duration(max(now - due_at, timedelta(0)))


def reminder_text(kind: DeadlineKind, *, due_at: datetime, now: datetime, miss: int) -> str:
    """The plain sentence of a reminder: what is overdue and by how long."""
    late = overdue_by(due_at, now)
    if kind is DeadlineKind.CONTACT_ATTEMPT:
        # `miss` reminders were already sent; the ladder's first try (step 0) needs none.
        return (
            f"Contact attempt {miss + 2} with the end user was due {late} ago: check with the "
            "vendor whether they reached them."
        )
    if kind is DeadlineKind.PROCESSING_WINDOW:
        return f"The processing window ended {late} ago and the case is still open."
    if kind is DeadlineKind.PROGRESS_UPDATE:
        return f"No progress update from the vendor: one was due {late} ago."
    if kind is DeadlineKind.OUR_REPLY:
        return (
            f"The vendor is waiting on us: the details they asked for were due {late} ago. "
            "Send them with *Add update* (or a reply email): that hands the case back."
        )
    if kind is DeadlineKind.CALLOUT_CONFIRMATION:
        return (
            "The call-out time we asked the vendor for is still only a request: they have not "
            f"confirmed it ({late} overdue). Ask them to confirm, and press *Call-out confirmed* "
            "once they do."
        )
    return f"Overdue by {late}: {kind.label}."
