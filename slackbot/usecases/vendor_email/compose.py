"""Composing a draft (the outbox's side of a request): read the case opener's Slack profile, so
the vendor writes back to our agent whoever asked, compose the email from the case as it is now, store it
(superseding earlier unsent drafts of its kind) and post its preview, contact details hidden."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from slackbot.domain.cases import case_key
from slackbot.domain.clock import ensure_utc
from slackbot.domain.handoff import CaseFacts, Draft, Purpose, Sender, ThreadRef, compose_handoff
from slackbot.domain.handoff_followups import (
    compose_contact_escalation,
    compose_reopen,
    compose_update_request,
)
from slackbot.domain.handoff_history import LoggedEvent, history_lines
from slackbot.domain.mrkdwn import escape
from slackbot.domain.playbooks import Playbook
from slackbot.domain.vocabulary import BOT_ACTOR, EventKind
from slackbot.render import email_preview_blocks
from slackbot.usecases import slack_posts
from slackbot.usecases.events import record_event
from slackbot.usecases.vendor_email.preview import preview_key, refresh_preview
from storage.models import Case, EmailDraft, OutboxItem
from storage.repositories import case_events, get_case, sent_draft, supersede_drafts

if TYPE_CHECKING:
    from slackbot.services import Services

#: Emails that belong to the vendor's ticket thread (follow-ups reply to the newest).
THREAD_PURPOSES = (Purpose.HANDOFF, Purpose.REOPEN, Purpose.UPDATE_REQUEST)


def facts(case: Case, playbook: Playbook) -> CaseFacts:
    """The domain's view of a stored case."""
    category = playbook.category(case.category)
    return CaseFacts(
        key=case_key(case.id),
        summary=case.summary,
        internal_ticket=case.internal_ticket,
        category_label=category.label if category else case.category,
        requester_type=case.requester_type,
        fields=dict(case.fields or {}),
        vendor_ticket=case.vendor_ticket,
        vendor_status=case.vendor_status,
        handed_off_at=ensure_utc(case.handed_off_at) if case.handed_off_at else None,
    )


def vendor_thread(session: Session, case_id: int) -> ThreadRef | None:
    """The newest email on the vendor's ticket thread, for a reply to cite."""
    latest = sent_draft(session, case_id=case_id, purposes=THREAD_PURPOSES, newest=True)
    if latest is None or not latest.message_id:
        return None
    # The thread keeps the hand-off's subject, whatever a later email said.
    root = sent_draft(session, case_id=case_id, purposes=(Purpose.HANDOFF,), newest=False)
    return ThreadRef(
        subject=(root or latest).subject,
        message_id=latest.message_id,
        references=tuple(latest.thread_refs),
    )


def case_history(session: Session, case: Case) -> list[str]:
    """What happened to the case, told to the vendor (see `handoff_history`)."""
    return history_lines(
        LoggedEvent(
            at=event.at,
            kind=event.kind,
            to_status=event.to_status,
            detail=event.detail if isinstance(event.detail, dict) else {},
        )
        for event in case_events(session, case_id=case.id)
    )


def compose(
    session: Session,
    playbook: Playbook,
    case: Case,
    purpose: Purpose,
    sender: Sender,
    *,
    note: str | None,
    now: datetime,
) -> Draft:
    """The draft of `purpose` for the case as it is now."""
    case_facts = facts(case, playbook)
    thread = vendor_thread(session, case.id)
    if purpose is Purpose.HANDOFF:
        return compose_handoff(playbook, case_facts, sender)
    if purpose is Purpose.REOPEN:
        return compose_reopen(playbook, case_facts, sender, thread, note or "")
    if purpose is Purpose.UPDATE_REQUEST:
        return compose_update_request(playbook, case_facts, sender, thread, now)
    return compose_contact_escalation(
        playbook,
        case_facts,
        sender,
        purpose=purpose,
        history=case_history(session, case),
        thread=thread,
    )


def _row(
    case: Case, draft: Draft, sender: Sender, *, created_by: str, note: str | None, now: datetime
) -> EmailDraft:
    """The stored form of a composed draft (its state: a draft)."""
    return EmailDraft(
        case_id=case.id,
        purpose=draft.purpose.value,
        to=list(draft.to),
        cc=list(draft.cc),
        reply_to=draft.reply_to,
        subject=draft.subject,
        body=draft.text,
        in_reply_to=draft.in_reply_to,
        thread_refs=list(draft.references),
        attachments=list(draft.attachments),
        missing=[{"what": m.what, "how": m.how} for m in draft.missing],
        sender={"user_id": sender.user_id, "name": sender.name, "email": sender.email},
        note=note,
        created_by=created_by,
        created_at=now,
    )


def store_draft(
    session: Session,
    *,
    case: Case,
    playbook: Playbook,
    draft: Draft,
    sender: Sender,
    created_by: str,
    note: str | None,
    now: datetime,
) -> EmailDraft:
    """Keep the draft (superseding earlier unsent ones of its kind) and post its preview."""
    for draft_id in supersede_drafts(session, case_id=case.id, purpose=draft.purpose.value):
        refresh_preview(session, draft_id=draft_id, case_id=case.id, now=now)
    row = _row(case, draft, sender, created_by=created_by, note=note, now=now)
    session.add(row)
    session.flush()
    record_event(
        session,
        case_id=case.id,
        kind=EventKind.EMAIL_DRAFTED,
        at=now,
        actor=created_by,
        # Composed by the bot itself, whoever asked: the log has always said "bot" here.
        via=BOT_ACTOR,
        purpose=draft.purpose.value,
        draft=row.id,
        missing=len(draft.missing),
    )
    text, blocks = email_preview_blocks.build_email_preview(
        row, receiver=playbook.receiver.name, private=draft.private_values
    )
    slack_posts.post_in_thread(
        session, case_id=case.id, now=now, text=text, blocks_=blocks, dedup_key=preview_key(row.id)
    )
    return row


def _sender_id(payload: dict[str, Any]) -> str:
    """Who the email names as its sender (items queued before the opener was named: the
    requester)."""
    return payload.get("sender") or payload["user"]


@dataclass
class Composer:
    """The outbox handler that reads the sender's (the opener's) profile and composes the draft."""

    services: Services

    def perform(self, item: OutboxItem) -> dict[str, Any]:
        """Read the sender's (the case opener's) name and email from Slack (both empty if Slack
        won't say)."""
        # Composed anyway without them: the draft then says the address is missing and how.
        return self.services.poster.profile(_sender_id(item.payload))

    def failed(self, session: Session, item: OutboxItem, reason: str) -> None:
        """Composing gave up (Slack kept failing): say so in the thread, with how to retry."""
        purpose = Purpose(item.payload["purpose"])
        slack_posts.post_in_thread(
            session,
            case_id=item.payload["case_id"],
            now=self.services.clock.now(),
            text=f":warning: Could not draft the {purpose.label} email ({escape(reason[:200])}). "
            "Press the case's button again to retry.",
        )

    def done(self, session: Session, item: OutboxItem, result: dict[str, Any]) -> None:
        """Compose the draft from the case as it is now, store it and queue its preview."""
        payload = item.payload
        case = get_case(session, case_id=payload["case_id"])
        playbook = self.services.playbooks.get(case.playbook_id) if case else None
        if case is None or playbook is None:
            return
        sender = Sender(_sender_id(payload), result.get("name") or "", result.get("email") or "")
        now = self.services.clock.now()
        note = payload.get("note")
        purpose = Purpose(payload["purpose"])
        draft = compose(session, playbook, case, purpose, sender, note=note, now=now)
        store_draft(
            session,
            case=case,
            playbook=playbook,
            draft=draft,
            sender=sender,
            created_by=payload["user"],
            note=note,
            now=now,
        )
