"""Editing a draft before it goes: the hand-off's details (written back to the case, then the
email is recomposed from them) or a follow-up's note; the new draft replaces the old one, whose
preview then says so and can no longer be sent."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from slackbot.domain.handoff import Purpose, Sender
from slackbot.domain.playbooks import Playbook
from slackbot.domain.status_machine import Via
from slackbot.domain.vocabulary import DraftState, EventKind
from slackbot.render import email_preview_blocks
from slackbot.usecases.actors import with_members
from slackbot.usecases.events import record_event
from slackbot.usecases.hooks import case_changed
from slackbot.usecases.move_case import Actor, Outcome, Result
from slackbot.usecases.vendor_email.access import DraftAct, DraftError, act_on_draft, load_draft
from slackbot.usecases.vendor_email.compose import compose, store_draft
from storage.models import Case, EmailDraft

if TYPE_CHECKING:
    from slackbot.services import Services


def open_for_edit(
    services: Services, *, draft_id: int, user_id: str, channel: str | None
) -> tuple[EmailDraft, Case, Playbook] | None:
    """The draft, its case and playbook to prefill the Edit modal (contact details included),
    only for who may act on the case; None when refused (denied, logged and told)."""
    found: list[tuple[EmailDraft, Case, Playbook]] = []

    def work(act: DraftAct) -> Result:
        if not DraftState(act.row.state).sendable:
            raise DraftError(email_preview_blocks.build_already(act.row))
        found.append((act.row, act.case, act.playbook))
        return Result(Outcome.APPLIED, case_id=act.case.id)

    result = with_members(
        services,
        user_id,
        lambda actor: act_on_draft(
            services,
            draft_id=draft_id,
            actor=actor,
            channel=channel,
            what="edit email",
            work=work,
            kick=True,
        ),
    )
    if result is not None and result.outcome is Outcome.IGNORED:
        raise DraftError(result.reason)
    return found[-1] if found else None


def draft_for_edit(services: Services, *, draft_id: int) -> tuple[EmailDraft, Case, Playbook]:
    """The draft, its case and playbook, to read an Edit submission (`edit_draft` decides who
    may apply it); DraftError when it can't change."""
    with Session(services.engine) as session:
        row, case, playbook = load_draft(session, services, draft_id, lock=False)
    if not DraftState(row.state).sendable:
        raise DraftError(email_preview_blocks.build_already(row))
    return row, case, playbook


def edit_draft(
    services: Services,
    *,
    draft_id: int,
    actor: Actor,
    values: dict[str, Any],
    channel: str | None = None,
    kick: bool = True,
) -> Result:
    """Apply an edit (hand-off details, or a follow-up's note) and show the recomposed draft."""

    def work(act: DraftAct) -> Result:
        row, case, session, now = act.row, act.case, act.session, act.now
        if not DraftState(row.state).sendable:
            return act.already()
        purpose = Purpose(row.purpose)
        note = row.note
        if purpose is Purpose.HANDOFF:
            _apply_details(services, session, case, values, actor.user_id, now)
        else:
            note = values.get("note") or None
        sender = Sender(**row.sender) if row.sender else Sender(case.opened_by)
        draft = compose(session, act.playbook, case, purpose, sender, note=note, now=now)
        store_draft(
            session,
            case=case,
            playbook=act.playbook,
            draft=draft,
            sender=sender,
            created_by=actor.user_id,
            note=note,
            now=now,
        )
        return Result(Outcome.APPLIED, case_id=case.id)

    return act_on_draft(
        services,
        draft_id=draft_id,
        actor=actor,
        channel=channel,
        what="edit email",
        work=work,
        kick=kick,
    )


def _edited(case: Case, values: dict[str, Any]) -> tuple[dict[str, Any], str, list[str]]:
    """The case's details and our ticket with the edit applied, and which of them changed."""
    fields = dict(case.fields or {})
    ticket = case.internal_ticket
    changed: list[str] = []
    for key, value in values.items():
        if key == "internal_ticket":
            if value and value != ticket:
                ticket = value
                changed.append(key)
            continue
        empty = value in (None, "", [])
        if empty and isinstance(value, list):
            continue  # an empty file input keeps what was attached
        if empty and key in fields:
            fields.pop(key)
            changed.append(key)
        elif not empty and fields.get(key) != value:
            fields[key] = value
            changed.append(key)
    return fields, ticket, changed


def _apply_details(
    services: Services,
    session: Session,
    case: Case,
    values: dict[str, Any],
    actor: str,
    now: datetime,
) -> None:
    """Write edited hand-off details to the case (files left empty keep the old ones)."""
    fields, ticket, changed = _edited(case, values)
    if not changed:
        return
    case.fields, case.internal_ticket = fields, ticket
    case.updated_at = now
    case.version += 1
    session.add(case)
    record_event(
        session,
        case_id=case.id,
        kind=EventKind.DETAILS_EDITED,
        at=now,
        actor=actor,
        via=Via.MODAL,
        # Which fields changed, never their values: they may be contact details.
        fields=sorted(set(changed)),
    )
    session.flush()
    case_changed(services, session, case, now)
