"""Sending a draft once someone confirms, and what follows when the mail server answers.

`send_draft` claims the draft (draft → queued) and queues the email in one transaction, so a
double-click, two instances or a restart still send one email; a draft missing a required
detail, or unsafe to send, is refused with what to fix. Without SMTP the case records a manual
hand-off and the person gets the finished text to send themselves. When the server accepts the
email the draft is marked sent with its Message-ID and the case moves along (`moves_when_sent`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session

from slackbot.domain.attachments import attachment_problems
from slackbot.domain.draft_checks import email_problems
from slackbot.domain.email import EmailRejected, new_message_id, reply_to_with
from slackbot.domain.handoff import Draft, Purpose, private_values
from slackbot.domain.handoff_followups import moves_when_sent
from slackbot.domain.privacy import scrub_contacts
from slackbot.domain.status_machine import IllegalTransition, Via, apply
from slackbot.domain.vocabulary import BOT_ACTOR, DraftState, EventKind
from slackbot.render import case_blocks, email_preview_blocks
from slackbot.usecases import slack_posts
from slackbot.usecases.case_change import cas
from slackbot.usecases.emails import queue_email
from slackbot.usecases.hooks import case_changed
from slackbot.usecases.move_case import Actor, MoveRequest, Outcome, Result, move_in_session
from slackbot.usecases.vendor_email.access import DraftAct, DraftError, act_on_draft
from slackbot.usecases.vendor_email.preview import moved_on
from storage.models import Case, EmailDraft, OutboxItem
from storage.repositories import get_case, get_draft

if TYPE_CHECKING:
    from slackbot.services import Services

#: The `purpose` of emails queued from drafts (the email outbox calls back with it).
DRAFT_EMAIL = "vendor_draft"


def _as_draft(row: EmailDraft) -> Draft:
    """The stored draft as the domain's checks read it."""
    return Draft(
        purpose=Purpose(row.purpose),
        to=tuple(row.to),
        cc=tuple(row.cc),
        reply_to=row.reply_to,
        subject=row.subject,
        text=row.body,
        in_reply_to=row.in_reply_to,
        references=tuple(row.thread_refs),
    )


def send_draft(
    services: Services, *, draft_id: int, actor: Actor, channel: str | None, kick: bool = True
) -> Result:
    """Send a previewed draft once: refuse what is missing or unsafe; never queue it twice."""

    def work(act: DraftAct) -> Result:
        row, case = act.row, act.case
        if not DraftState(row.state).sendable:
            return act.already()
        if row.purpose == Purpose.HANDOFF and case.handoff_emailed_at is not None:
            act.tell(email_preview_blocks.build_handoff_already(case, act.playbook.receiver.name))
            return Result(Outcome.REFUSED, "hand-off already sent", case_id=case.id)
        if row.missing:
            act.tell(email_preview_blocks.build_missing(row))
            return Result(Outcome.REFUSED, "missing details", case_id=case.id)
        problems = [*email_problems(_as_draft(row)), *attachment_problems(row.attachments)]
        if problems:
            act.tell(email_preview_blocks.build_problems(problems))
            return Result(Outcome.REFUSED, "; ".join(problems), case_id=case.id)
        if not services.settings.smtp_configured:
            return _hand_off_manually(services, act)
        return _queue(services, act)

    return act_on_draft(
        services,
        draft_id=draft_id,
        actor=actor,
        channel=channel,
        what="send email",
        work=work,
        kick=kick,
    )


def _queue(services: Services, act: DraftAct) -> Result:
    """Claim the draft and queue its email (Message-ID fixed now, so a resend is the same)."""
    session, row, case, actor, now = act.session, act.row, act.case, act.actor, act.now
    settings = services.settings
    email_from = settings.email_from
    row.sends += 1
    message_id = row.message_id or new_message_id(email_from)
    try:
        item = queue_email(
            session,
            to=row.to,
            cc=row.cc,
            reply_to=reply_to_with(row.reply_to, email_from if settings.imap_configured else None),
            subject=row.subject,
            text=row.body,
            now=now,
            email_from=email_from,
            case_id=case.id,
            in_reply_to=row.in_reply_to,
            references=row.thread_refs,
            attachments=row.attachments,
            # One outbox item per send of this draft: a double-click finds the same one.
            dedup_key=f"email-draft:{row.id}:{row.sends}",
            message_id=message_id,
            purpose=DRAFT_EMAIL,
            context={"draft_id": row.id},
        )
    except EmailRejected as exc:  # email_problems already caught this; never send it anyway
        raise DraftError(str(exc)) from None
    row.state, row.queued_by, row.queued_at = DraftState.QUEUED.value, actor.user_id, now
    _claim_handoff(session, row, case, now)
    row.message_id, row.outbox_id, row.error = message_id, item.id, None
    moved_on(
        session,
        row,
        kind=EventKind.EMAIL_QUEUED,
        actor=actor.user_id,
        via=Via.BUTTON,
        now=now,
        to=list(row.to),
    )
    receiver = act.playbook.receiver.name
    slack_posts.post_in_thread(
        session,
        case_id=case.id,
        now=now,
        text=email_preview_blocks.build_queued_note(row, actor.user_id, receiver),
    )
    return Result(Outcome.APPLIED, case_id=case.id)


def _claim_handoff(session: Session, row: EmailDraft, case: Case, now: datetime) -> None:
    """The case's one hand-off email is on its way: no other is offered or sent (issue 13)."""
    if row.purpose == Purpose.HANDOFF:
        cas(session, case, {"handoff_emailed_at": now})
        slack_posts.refresh_root(session, case_id=case.id, now=now)


def _hand_off_manually(services: Services, act: DraftAct) -> Result:
    """No SMTP here: the person sends it themselves; the case records a manual hand-off."""
    session, row, case, actor, now = act.session, act.row, act.case, act.actor, act.now
    row.state, row.queued_by, row.queued_at = DraftState.MANUAL.value, actor.user_id, now
    _claim_handoff(session, row, case, now)
    moved_on(
        session,
        row,
        kind=EventKind.EMAIL_MANUAL,
        actor=actor.user_id,
        via=Via.BUTTON,
        now=now,
        to=list(row.to),
    )
    private = private_values(act.playbook, case.fields or {})
    slack_posts.post_in_thread(
        session,
        case_id=case.id,
        now=now,
        text=email_preview_blocks.build_manual_note(row, actor.user_id, private=private),
    )
    act.tell(
        "Send this yourself, then the vendor's ticket number goes in *Add update*:\n"
        + email_preview_blocks.build_full_email(row)
    )
    _follow(services, session, case, Purpose(row.purpose), actor.user_id, now)
    return Result(Outcome.APPLIED, "manual", case_id=case.id)


def _follow(
    services: Services, session: Session, case: Case, purpose: Purpose, actor: str, now: datetime
) -> None:
    """What a hand-off or reopen that reached the vendor does to the case's status."""
    playbook = services.playbooks.get(case.playbook_id)
    for action in moves_when_sent(purpose):
        session.flush()
        session.refresh(case)
        try:
            apply(case_blocks.case_state(case), action, actor=actor, top_tier=playbook.top_tier)
        except IllegalTransition:
            continue  # e.g. already with the vendor: nothing to move
        # The sender was authorised when they pressed Send; the move follows from the email.
        trusted = Actor(actor, {case.tier: frozenset({actor})})
        move_in_session(
            services,
            session,
            MoveRequest(
                case_id=case.id,
                action=action,
                actor=trusted,
                via=Via.EMAIL,
                event_id=None,
                reaction=None,
                item_ts=None,
                reason=None,
                reply_to=None,
            ),
            now,
        )
    # A case someone marked ⏳ before the email went is already with the vendor, so no move ran:
    # the email that reached them is still the hand-off, and their clocks start from it.
    if purpose is Purpose.HANDOFF and case.handed_off_at is None:
        case.handed_off_at = now
        session.add(case)


def email_sent(services: Services, session: Session, item: OutboxItem, result: dict) -> None:
    """The mail server accepted a draft's email: record it and move the case along."""
    row = get_draft(session, draft_id=item.payload.get("draft_id"))
    if row is None:
        return
    now = services.clock.now()
    row.state, row.sent_at = DraftState.SENT.value, now
    row.message_id = result.get("message_id") or row.message_id
    case = get_case(session, case_id=row.case_id, lock=True)
    playbook = services.playbooks.get(case.playbook_id)
    sender = row.queued_by or BOT_ACTOR
    moved_on(
        session,
        row,
        kind=EventKind.EMAIL_SENT,
        actor=sender,
        via=Via.EMAIL,
        now=now,
        message_id=row.message_id,
    )
    receiver = playbook.receiver.name if playbook else case.playbook_id
    slack_posts.post_in_thread(
        session, case_id=case.id, now=now, text=email_preview_blocks.build_sent_note(row, receiver)
    )
    if playbook is not None:
        _follow(services, session, case, Purpose(row.purpose), sender, now)
        case_changed(services, session, case, now)


def email_given_up(services: Services, session: Session, item: OutboxItem, reason: str) -> None:
    """The email failed for good (the outbox says why in the thread): the draft may be resent."""
    row = get_draft(session, draft_id=item.payload.get("draft_id"))
    if row is None:
        return
    # The preview shows the reason to the channel: no contact value or address in it.
    case = get_case(session, case_id=row.case_id)
    playbook = services.playbooks.get(case.playbook_id) if case else None
    secrets = private_values(playbook, case.fields or {}) if case and playbook else ()
    reason = scrub_contacts(reason, secrets)
    row.state, row.error = DraftState.FAILED.value, reason[:2000]
    if row.purpose == Purpose.HANDOFF:  # it never reached them: Send may be pressed again
        case = get_case(session, case_id=row.case_id, lock=True)
        if case is not None:
            cas(session, case, {"handoff_emailed_at": None})
            slack_posts.refresh_root(session, case_id=case.id, now=services.clock.now())
    moved_on(
        session,
        row,
        kind=EventKind.EMAIL_FAILED,
        actor=BOT_ACTOR,
        via=Via.EMAIL,
        now=services.clock.now(),
        reason=reason[:300],
    )
