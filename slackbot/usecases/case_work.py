"""Working a case beyond its status (issue 13): assign it, edit its facts, record our engineers'
assessment, ask the vendor for a call-out time and record their confirmation.

Each is one transaction with the same steps as a move: lock the case, apply the one guard (who
may act; a refusal is logged and told only to the asker, nothing changes), compare-and-set the
case, log the change, post the thread note and refresh the root message through the outbox.

Who may: assigning and editing are the current tier's responders' (as moves are); the
assessment is the playbook's engineering tier's; a call-out is asked for and confirmed by the
case's opener, its owner or its tier's responders (as its emails are).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session

from slackbot.domain.case_work import (
    CaseFacts,
    EditResult,
    may_assign,
    technical_wait,
    validate_edit,
)
from slackbot.domain.cases import case_key
from slackbot.domain.mrkdwn import mention
from slackbot.domain.playbooks import Playbook
from slackbot.domain.status_machine import Via, responders_for
from slackbot.domain.vocabulary import EventKind
from slackbot.render import case_work_blocks
from slackbot.services import Services
from slackbot.usecases import slack_posts
from slackbot.usecases.case_change import Actor, Outcome, Result, cas, guard, guard_case
from slackbot.usecases.events import record_event
from slackbot.usecases.hooks import case_changed
from slackbot.usecases.notices import tell
from storage.db import write_session
from storage.models import Case
from storage.repositories import get_case

Work = Callable[[Session, Case, Playbook, datetime], Result]


def _change(
    services: Services, *, case_id: int, guard_: Callable[..., Result | None], work: Work
) -> Result:
    """Lock the case, guard, then do `work`, in one transaction; deliver what it queued."""
    now = services.clock.now()
    with write_session(services.engine) as session:
        case = get_case(session, case_id=case_id, lock=True)
        if case is None:
            return Result(Outcome.IGNORED, "no such case")
        playbook = services.playbooks.get(case.playbook_id)
        if playbook is None:
            return Result(Outcome.IGNORED, "the case's playbook is gone", case_id=case.id)
        refused = guard_(session, case, playbook, now)
        if refused is not None and refused.outcome is Outcome.NEEDS_MEMBERS:
            session.rollback()  # the edge fetches the members and asks again
            return refused
        result = refused or work(session, case, playbook, now)
    services.outbox.kick()
    return result


def _tier_guard(actor: Actor, via: Via, what: str, reply_to: str | None, tier=None):
    def check(session: Session, case: Case, playbook: Playbook, now: datetime):
        return guard(
            session,
            case,
            playbook,
            actor,
            tier=tier if tier is not None else case.tier,
            via=via,
            what=what,
            now=now,
            reply_to=reply_to,
        )

    return check


def _case_guard(actor: Actor, via: Via, what: str, reply_to: str | None):
    def check(session: Session, case: Case, playbook: Playbook, now: datetime):
        return guard_case(
            session, case, playbook, actor, via=via, what=what, now=now, reply_to=reply_to
        )

    return check


def _refuse(session: Session, case: Case, user: str, reply_to: str | None, text: str, now):
    slack_posts.post_ephemeral(
        session, user=user, channel=reply_to or case.channel_id, now=now, text=text
    )
    return Result(Outcome.REFUSED, text, case_id=case.id)


def _record(
    services: Services,
    session: Session,
    case: Case,
    values: dict[str, Any],
    *,
    kind: EventKind,
    actor: str,
    via: Via,
    thread_note: str,
    now: datetime,
    **detail: Any,
) -> Result:
    """Write the change, log it, say it in the thread and refresh the root message."""
    cas(session, case, {**values, "updated_at": now})
    record_event(session, case_id=case.id, kind=kind, at=now, actor=actor, via=via, **detail)
    case_changed(services, session, case, now)
    slack_posts.post_in_thread(session, case_id=case.id, now=now, text=thread_note)
    return Result(Outcome.APPLIED, case_id=case.id)


# --- assign ----------------------------------------------------------------------------------


def assign_case(
    services: Services,
    *,
    case_id: int,
    assignee: str,
    actor: Actor,
    via: Via,
    reply_to: str | None = None,
) -> Result:
    """Make `assignee` the case's owner; they must be one of its current tier's responders."""

    def work(session: Session, case: Case, playbook: Playbook, now: datetime) -> Result:
        # The guard may have read the tier's list from the cache (not in `actor.members`).
        responders = responders_for(playbook, case.tier, channel_id=case.channel_id)
        why = may_assign(assignee, actor.members_of(responders))
        if why is None and assignee == case.owner_id:
            why = "they own it already"
        if why is not None:
            text = f":no_entry: Can't assign {case_key(case.id)} to {mention(assignee)}: {why}."
            return _refuse(session, case, actor.user_id, reply_to, text, now)
        before = case.owner_id
        return _record(
            services,
            session,
            case,
            {"owner_id": assignee},
            kind=EventKind.ASSIGNED,
            actor=actor.user_id,
            via=via,
            thread_note=case_work_blocks.build_assigned_note(
                actor.user_id, case.id, before, assignee
            ),
            now=now,
            from_owner=before,
            to_owner=assignee,
        )

    return _change(
        services,
        case_id=case_id,
        guard_=_tier_guard(actor, via, EventKind.ASSIGNED.value, reply_to),
        work=work,
    )


# --- edit ------------------------------------------------------------------------------------


def facts_of(case: Case) -> CaseFacts:
    """The editable facts of a stored case."""
    return CaseFacts(
        summary=case.summary,
        category=case.category,
        tier=case.tier,
        priority=case.priority,
        requester_type=case.requester_type,
        internal_ticket=case.internal_ticket,
    )


def check_edit(services: Services, *, case_id: int, raw: Mapping[str, Any]) -> EditResult:
    """The form's errors (the intake's checks), before anything is written."""
    case = _read(services, case_id)
    playbook = services.playbooks.get(case.playbook_id) if case else None
    if case is None or playbook is None:
        return EditResult(errors={"summary": "This case no longer exists."})
    return validate_edit(playbook, facts_of(case), raw, services.clock.now())


def may_edit(services: Services, *, case_id: int, actor: Actor, reply_to: str | None) -> Result:
    """Whether `actor` may edit the case (checked before its form opens): the tier's responders."""
    return _change(
        services,
        case_id=case_id,
        guard_=_tier_guard(actor, Via.BUTTON, EventKind.CASE_EDITED.value, reply_to),
        work=lambda session, case, playbook, now: Result(Outcome.APPLIED, case_id=case.id),
    )


def edit_case(
    services: Services,
    *,
    case_id: int,
    raw: Mapping[str, Any],
    actor: Actor,
    reply_to: str | None = None,
) -> Result:
    """Apply an edit checked with the intake's rules; each changed field goes in the history."""

    def work(session: Session, case: Case, playbook: Playbook, now: datetime) -> Result:
        checked = validate_edit(playbook, facts_of(case), raw, now)
        if checked.errors:
            why = "; ".join(checked.errors.values())
            return _refuse(session, case, actor.user_id, reply_to, f":warning: {why}", now)
        if not checked.changes:
            text = f"Nothing to change on {case_key(case.id)}: the form matched the case."
            return _refuse(session, case, actor.user_id, reply_to, text, now)
        values = {name: after for name, (_, after) in checked.changes.items()}
        return _record(
            services,
            session,
            case,
            values,
            kind=EventKind.CASE_EDITED,
            actor=actor.user_id,
            via=Via.MODAL,
            thread_note=case_work_blocks.build_edited_note(
                actor.user_id, case.id, checked.changes, playbook
            ),
            now=now,
            changes={name: [before, after] for name, (before, after) in checked.changes.items()},
        )

    return _change(
        services,
        case_id=case_id,
        guard_=_tier_guard(actor, Via.MODAL, EventKind.CASE_EDITED.value, reply_to),
        work=work,
    )


# --- our engineers' assessment and the technical escalation ----------------------------------


def record_assessment(
    services: Services,
    *,
    case_id: int,
    assessment: str,
    actor: Actor,
    reply_to: str | None = None,
) -> Result:
    """Our engineers (the playbook's engineering tier) assessed the case."""
    case = _read(services, case_id)
    playbook = services.playbooks.get(case.playbook_id) if case else None
    tier = playbook.engineering_tier if playbook else None
    if case is None or tier is None:
        return Result(Outcome.IGNORED, "no engineering tier", case_id=case_id)

    def work(session: Session, case: Case, playbook: Playbook, now: datetime) -> Result:
        return _record(
            services,
            session,
            case,
            {"assessed_at": now, "assessed_by": actor.user_id, "assessment": assessment},
            kind=EventKind.ASSESSED,
            actor=actor.user_id,
            via=Via.MODAL,
            thread_note=case_work_blocks.build_assessed_note(actor.user_id, case.id, assessment),
            now=now,
            note=assessment,
        )

    return _change(
        services,
        case_id=case_id,
        guard_=_tier_guard(actor, Via.MODAL, EventKind.ASSESSED.value, reply_to, tier=tier),
        work=work,
    )


def explain_technical_wait(
    services: Services, *, case_id: int, user: str, channel: str | None
) -> None:
    """Tell the presser why the technical escalation is not offered yet."""
    case = _read(services, case_id)
    playbook = services.playbooks.get(case.playbook_id) if case else None
    if case is None or playbook is None:
        return
    why = technical_wait(
        playbook, assessed_at=case.assessed_at, handed_off=case.handed_off_at is not None
    )
    text = (
        case_work_blocks.build_technical_wait(case.id, why)
        if why
        else f"{case_key(case.id)} may go to the vendor's technical contacts now."
    )
    tell(services, user=user, channel=channel, text=text)


# --- the call-out ----------------------------------------------------------------------------


def request_callout(
    services: Services,
    *,
    case_id: int,
    when: datetime,
    actor: Actor,
    reply_to: str | None = None,
) -> Result:
    """Record the call-out time we ask the vendor for: a request until they confirm it."""

    def work(session: Session, case: Case, playbook: Playbook, now: datetime) -> Result:
        values = {"callout_at": when, "callout_requested_at": now, "callout_confirmed_at": None}
        return _record(
            services,
            session,
            case,
            values,
            kind=EventKind.CALLOUT_REQUESTED,
            actor=actor.user_id,
            via=Via.MODAL,
            thread_note=case_work_blocks.build_callout_note(
                actor.user_id, case.id, when, confirmed=False
            ),
            now=now,
            callout_at=when.isoformat(),
        )

    return _change(
        services,
        case_id=case_id,
        guard_=_case_guard(actor, Via.MODAL, EventKind.CALLOUT_REQUESTED.value, reply_to),
        work=work,
    )


def confirm_callout(
    services: Services,
    *,
    case_id: int,
    actor: Actor,
    via: Via = Via.BUTTON,
    reply_to: str | None = None,
) -> Result:
    """The vendor confirmed the requested call-out time."""

    def work(session: Session, case: Case, playbook: Playbook, now: datetime) -> Result:
        return confirm_callout_in_session(
            services, session, case, user=actor.user_id, via=via, reply_to=reply_to, now=now
        )

    return _change(
        services,
        case_id=case_id,
        guard_=_case_guard(actor, via, EventKind.CALLOUT_CONFIRMED.value, reply_to),
        work=work,
    )


def confirm_callout_in_session(
    services: Services,
    session: Session,
    case: Case,
    *,
    user: str,
    via: Via,
    reply_to: str | None,
    now: datetime,
) -> Result:
    """Record the vendor's confirmation inside the caller's transaction (who may: checked)."""
    if case.callout_at is None or case.callout_confirmed_at is not None:
        text = f"No call-out request on {case_key(case.id)} waits for the vendor's confirmation."
        return _refuse(session, case, user, reply_to, text, now)
    return _record(
        services,
        session,
        case,
        {"callout_confirmed_at": now},
        kind=EventKind.CALLOUT_CONFIRMED,
        actor=user,
        via=via,
        thread_note=case_work_blocks.build_callout_note(
            user, case.id, case.callout_at, confirmed=True
        ),
        now=now,
    )


def _read(services: Services, case_id: int) -> Case | None:
    with Session(services.engine) as session:
        return get_case(session, case_id=case_id)
