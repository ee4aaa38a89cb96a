"""Emails to the receiving side: compose a draft, show it, send it once someone confirms.

1. `request_draft` records (in the caller's transaction, through the outbox) that a draft is
   wanted: the hand-off when a case opens, or a follow-up when someone presses Reopen with
   vendor, Escalate to vendor leadership/technical, or Ask the vendor for an update.
2. The outbox performs it: it reads the requester's name and email from Slack (the vendor
   writes back to our agent), composes the draft from the case and its playbook, stores it
   and posts the preview, contact details hidden, in the case thread.
3. `send_draft` claims the draft (draft → queued) and queues the email in one transaction, so
   a double-click, two instances or a restart still send one email; a draft missing a required
   detail, or unsafe to send, is refused with what to fix. Without SMTP the case records a
   manual hand-off and the person gets the finished text to send themselves.
4. When the mail server accepts it, the draft is marked sent with its Message-ID; a hand-off
   moves the case to the vendor, a reopen brings it back to them. Later emails reply on that
   thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from sqlalchemy import update
from sqlmodel import Session, select

from slackbot.domain.attachments import attachment_problems
from slackbot.domain.cases import CaseStatus, case_key
from slackbot.domain.clock import ensure_utc
from slackbot.domain.deadlines import DeadlineKind
from slackbot.domain.email import EmailRejected, new_message_id
from slackbot.domain.errors import UserFacingError
from slackbot.domain.handoff import (
    CaseFacts,
    Draft,
    Purpose,
    Sender,
    ThreadRef,
    compose_contact_escalation,
    compose_handoff,
    compose_reopen,
    compose_update_request,
    email_problems,
    private_values,
)
from slackbot.domain.mrkdwn import escape
from slackbot.domain.playbooks import Playbook
from slackbot.domain.status_machine import Action, IllegalTransition, Via, apply
from slackbot.domain.vocabulary import OutboxKind
from slackbot.effects import RetryLater
from slackbot.render import case_blocks, email_blocks
from slackbot.usecases import slack_posts
from slackbot.usecases.drafts import request_draft
from slackbot.usecases.emails import queue_email
from slackbot.usecases.hooks import case_changed
from slackbot.usecases.move_case import (
    Actor,
    MoveRequest,
    Outcome,
    Result,
    guard,
    move_in_session,
)
from slackbot.usecases.outbox import enqueue
from storage.db import write_session
from storage.models import Case, CaseEvent, EmailDraft, OutboxItem
from storage.repositories import case_events, get_case

if TYPE_CHECKING:
    from slackbot.services import Services

log = logging.getLogger(__name__)

COMPOSE = OutboxKind.EMAIL_COMPOSE
PREVIEW = OutboxKind.EMAIL_PREVIEW
#: How long an edit of a preview waits for the preview itself to be posted.
PREVIEW_WAIT = timedelta(seconds=2)
PREVIEW_TRIES = 3
#: The `purpose` of emails queued from drafts (the email outbox calls back with it).
DRAFT_EMAIL = "vendor_draft"
#: Emails that belong to the vendor's ticket thread (follow-ups reply to the newest).
THREAD_PURPOSES = (Purpose.HANDOFF, Purpose.REOPEN, Purpose.UPDATE_REQUEST)
#: Service-level clocks the vendor's side runs: their misses belong in an escalation's history.
VENDOR_CLOCKS = ("vendor_ack", "progress_update", "contact_attempt")
#: Slack errors reading a profile that retrying won't fix: compose without the email address.
PROFILE_GIVE_UP = {"missing_scope", "user_not_found", "not_allowed_token_type", "invalid_auth"}


class DraftError(UserFacingError):
    """A draft can't be acted on as asked; the message is for the person who tried."""


# --- asking for a draft ----------------------------------------------------------------------


def ask_for_draft(
    services: Services, *, case_id: int, purpose: Purpose, user_id: str, note: str | None = None
) -> None:
    """A button asked for a draft: queue its composition and deliver at once."""
    now = services.clock.now()
    with write_session(services.engine) as session:
        case = get_case(session, case_id=case_id)
        playbook = services.playbooks.get(case.playbook_id) if case else None
        if case is None or playbook is None:
            raise DraftError("This case no longer exists.")
        if not playbook.receiver.email:
            raise DraftError(
                f"{playbook.receiver.name} takes no email in playbook `{playbook.id}`."
            )
        request_draft(session, case_id=case.id, purpose=purpose, user_id=user_id, now=now)
    services.outbox.kick()


# --- composing (the outbox's side) -----------------------------------------------------------


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
    latest = session.exec(
        select(EmailDraft)
        .where(
            EmailDraft.case_id == case_id,
            EmailDraft.state == "sent",
            EmailDraft.purpose.in_([p.value for p in THREAD_PURPOSES]),
        )
        .order_by(EmailDraft.id.desc())
    ).first()
    if latest is None or not latest.message_id:
        return None
    root = session.exec(
        select(EmailDraft)
        .where(
            EmailDraft.case_id == case_id,
            EmailDraft.state == "sent",
            EmailDraft.purpose == Purpose.HANDOFF.value,
        )
        .order_by(EmailDraft.id)
    ).first()
    subject = (root or latest).subject
    return ThreadRef(
        subject=subject, message_id=latest.message_id, references=tuple(latest.thread_refs)
    )


def history_lines(session: Session, case: Case) -> list[str]:
    """What happened to the case, for the vendor: moves and their updates, no internal chatter."""
    lines: list[str] = []
    for event in case_events(session, case_id=case.id):
        at = f"{ensure_utc(event.at):%Y-%m-%d %H:%M} UTC"
        detail = event.detail if isinstance(event.detail, dict) else {}
        if event.kind == "opened":
            lines.append(f"{at}: case opened")
        elif event.kind in ("status_changed", "undo") and event.to_status:
            lines.append(f"{at}: {CaseStatus(event.to_status).label}")
        elif event.kind == "update":
            said = [
                f"{label} {detail[key]}"
                for key, label in (("vendor_ticket", "ticket"), ("vendor_status", "status:"))
                if detail.get(key)
            ]
            if said:
                lines.append(f"{at}: update from your team, {', '.join(said)}")
        elif event.kind == "email_sent":
            lines.append(f"{at}: we sent the {Purpose(detail['purpose']).label}")
        elif event.kind == "reminder" and detail.get("deadline") in VENDOR_CLOCKS:
            label = DeadlineKind(detail["deadline"]).label
            lines.append(
                f"{at}: still waiting for {label} (overdue by {detail.get('overdue', '?')})"
            )
    return lines[-20:]


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
        history=history_lines(session, case),
        thread=thread,
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
    replaced = session.exec(
        select(EmailDraft.id).where(
            EmailDraft.case_id == case.id,
            EmailDraft.purpose == draft.purpose.value,
            EmailDraft.state.in_(email_blocks.SENDABLE),
        )
    ).all()
    if replaced:
        session.execute(
            update(EmailDraft).where(EmailDraft.id.in_(replaced)).values(state="superseded")
        )
        for draft_id in replaced:
            refresh_preview(session, draft_id=draft_id, case_id=case.id, now=now)
    row = EmailDraft(
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
    session.add(row)
    session.flush()
    session.add(
        CaseEvent(
            case_id=case.id,
            at=now,
            actor=created_by,
            kind="email_drafted",
            via="bot",
            detail={"purpose": draft.purpose.value, "draft": row.id, "missing": len(draft.missing)},
        )
    )
    text, blocks_ = email_blocks.build_email_preview(
        row, receiver=playbook.receiver.name, private=draft.private_values
    )
    slack_posts.post_in_thread(
        session,
        case_id=case.id,
        now=now,
        text=text,
        blocks_=blocks_,
        dedup_key=preview_key(row.id),
    )
    return row


# --- keeping the preview true ----------------------------------------------------------------


def preview_key(draft_id: int) -> str:
    """The dedup key of the outbox item that posts a draft's preview (its result has the ts)."""
    return f"email-preview:{draft_id}"


def refresh_preview(session: Session, *, draft_id: int, case_id: int, now: datetime) -> None:
    """Queue an edit of the draft's preview to match its state (sent, replaced, …).

    The edit renders the draft as it is when performed, so several queued edits, in any order,
    end with the same message.
    """
    enqueue(session, kind=PREVIEW, case_id=case_id, payload={"draft_id": draft_id}, now=now)


def _moved_on(
    session: Session, row: EmailDraft, *, kind: str, actor: str, via: Via, now: datetime, **detail
) -> None:
    """A draft changed state: keep it, edit its preview to match, and record it in the history."""
    session.add(row)
    refresh_preview(session, draft_id=row.id, case_id=row.case_id, now=now)
    session.add(
        CaseEvent(
            case_id=row.case_id,
            at=now,
            actor=actor,
            kind=kind,
            via=via.value,
            detail={"purpose": row.purpose, "draft": row.id, **detail},
        )
    )


@dataclass
class PreviewEditor:
    """The outbox handler that edits a draft's preview in place."""

    services: Services

    def perform(self, item: OutboxItem) -> dict[str, Any]:
        """Render the draft's preview as its state is now and put it over the posted one.

        Two edits racing could land out of order (the older state last), so after each edit the
        state is read again and, if it moved meanwhile, the preview is rendered again.
        """
        draft_id = item.payload["draft_id"]
        self._await_post(draft_id)
        for _ in range(PREVIEW_TRIES):
            rendered = self._render(draft_id)
            if isinstance(rendered, str):
                return {"skipped": rendered}
            state, channel, ts, text, blocks_ = rendered
            self.services.poster.update(channel=channel, ts=ts, text=text, blocks=blocks_)
            with Session(self.services.engine) as session:
                row = session.get(EmailDraft, draft_id)
                if row is None or row.state == state:
                    return {"channel": channel, "ts": ts, "state": state}
        raise RetryLater("the draft kept changing while its preview was edited")

    def _await_post(self, draft_id: int) -> None:
        """Someone pressed Send the moment the preview appeared: its post is still recording
        its ts. Wait that out here (briefly) instead of until the next scheduler tick."""
        deadline = time.monotonic() + PREVIEW_WAIT.total_seconds()
        while time.monotonic() < deadline:
            with Session(self.services.engine) as session:
                state = session.exec(
                    select(OutboxItem.state).where(OutboxItem.dedup_key == preview_key(draft_id))
                ).first()
            if state != "in_flight":
                return
            time.sleep(0.05)

    def _render(self, draft_id: int):
        """(state, channel, ts, text, blocks), or why there is nothing to edit."""
        with Session(self.services.engine) as session:
            try:
                row, _, playbook = _load(session, self.services, draft_id, lock=False)
            except DraftError as exc:
                return str(exc)
            posted = session.exec(
                select(OutboxItem).where(OutboxItem.dedup_key == preview_key(row.id))
            ).first()
            if posted is None or posted.state in ("failed", "cancelled"):
                return "the preview was never posted"
            if posted.state != "done":
                raise RetryLater("the preview is not posted yet", PREVIEW_WAIT, count=False)
            text, blocks_ = email_blocks.restate_preview(
                row, receiver=playbook.receiver.name, posted=posted.payload.get("blocks") or []
            )
            return row.state, posted.result["channel"], posted.result["ts"], text, blocks_


@dataclass
class Composer:
    """The outbox handler that reads the requester's Slack profile and composes the draft."""

    services: Services

    def perform(self, item: OutboxItem) -> dict[str, Any]:
        """Read the requester's name and email from Slack."""
        user = item.payload["user"]
        try:
            response = self.services.slack.users_info(user=user)
        except SlackApiError as exc:
            error = exc.response.get("error", "unknown_error") if exc.response else "error"
            if error in PROFILE_GIVE_UP:
                # Compose anyway: the draft will say the address is missing and how to add it.
                log.warning("could not read a Slack profile for a draft: %s", error)
                return {"name": "", "email": "", "profile_error": error}
            raise RetryLater(f"Slack error reading a profile: {error}") from None
        profile = (response.get("user") or {}).get("profile") or {}
        name = profile.get("real_name") or profile.get("display_name") or ""
        return {"name": name, "email": profile.get("email") or ""}

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
        sender = Sender(payload["user"], result.get("name") or "", result.get("email") or "")
        purpose = Purpose(payload["purpose"])
        now = self.services.clock.now()
        draft = compose(session, playbook, case, purpose, sender, note=payload.get("note"), now=now)
        store_draft(
            session,
            case=case,
            playbook=playbook,
            draft=draft,
            sender=sender,
            created_by=payload["user"],
            note=payload.get("note"),
            now=now,
        )


# --- sending ---------------------------------------------------------------------------------


def _load(session: Session, services: Services, draft_id: int, *, lock: bool):
    statement = select(EmailDraft).where(EmailDraft.id == draft_id)
    if lock:
        statement = statement.with_for_update()
    draft = session.exec(statement).first()
    if draft is None:
        raise DraftError("This email draft no longer exists.")
    case = get_case(session, case_id=draft.case_id, lock=lock)
    playbook = services.playbooks.get(case.playbook_id) if case else None
    if case is None or playbook is None:
        raise DraftError("This case or its playbook no longer exists.")
    return draft, case, playbook


def _authorise(
    session: Session, case: Case, playbook: Playbook, actor: Actor, *, what: str, now, channel
) -> Result | None:
    """The case's opener, or its current tier's responders, may send and edit its emails."""
    if actor.user_id == case.opened_by:
        return None
    return guard(
        session,
        case,
        playbook,
        actor,
        tier=case.tier,
        via=Via.BUTTON,
        what=what,
        now=now,
        reply_to=channel,
    )


def _tell(session: Session, user: str, channel: str | None, case: Case, now, text: str) -> None:
    slack_posts.post_ephemeral(
        session, user=user, channel=channel, case_id=case.id, now=now, text=text
    )


def _as_draft(row: EmailDraft) -> Draft:
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


@dataclass(frozen=True)
class DraftAct:
    """One authorised act on a draft, inside its transaction."""

    session: Session
    row: EmailDraft
    case: Case
    playbook: Playbook
    actor: Actor
    channel: str | None
    now: datetime

    def tell(self, text: str) -> None:
        """Answer the person who acted, where they are."""
        _tell(self.session, self.actor.user_id, self.channel, self.case, self.now, text)

    def already(self) -> Result:
        """The draft went (or was replaced) already: say so and change nothing."""
        self.tell(email_blocks.build_already(self.row))
        return Result(Outcome.DUPLICATE, self.row.state, case_id=self.case.id)


def _act(
    services: Services,
    *,
    draft_id: int,
    actor: Actor,
    channel: str | None,
    what: str,
    work: Callable[[DraftAct], Result],
    kick: bool,
) -> Result:
    """Load and lock the draft, let only who may act do `work`, in one transaction."""
    now = services.clock.now()
    with write_session(services.engine) as session:
        try:
            row, case, playbook = _load(session, services, draft_id, lock=True)
        except DraftError as exc:
            return Result(Outcome.IGNORED, str(exc))
        refused = _authorise(session, case, playbook, actor, what=what, now=now, channel=channel)
        if refused is not None and refused.outcome is Outcome.NEEDS_MEMBERS:
            session.rollback()  # the edge fetches the members and asks again
            return refused
        if refused is not None:
            result = refused
        else:
            result = work(DraftAct(session, row, case, playbook, actor, channel, now))
    if kick:
        services.outbox.kick()
    return result


def send_draft(
    services: Services, *, draft_id: int, actor: Actor, channel: str | None, kick: bool = True
) -> Result:
    """Send a previewed draft once: refuse what is missing or unsafe; never queue it twice."""

    def work(act: DraftAct) -> Result:
        row, case = act.row, act.case
        if row.state not in email_blocks.SENDABLE:
            return act.already()
        if row.missing:
            act.tell(email_blocks.build_missing(row))
            return Result(Outcome.REFUSED, "missing details", case_id=case.id)
        problems = [*email_problems(_as_draft(row)), *attachment_problems(row.attachments)]
        if problems:
            act.tell(email_blocks.build_problems(problems))
            return Result(Outcome.REFUSED, "; ".join(problems), case_id=case.id)
        if not services.settings.smtp_configured:
            return _hand_off_manually(services, act)
        return _queue(services, act)

    return _act(
        services,
        draft_id=draft_id,
        actor=actor,
        channel=channel,
        what="send email",
        work=work,
        kick=kick,
    )


def _queue(services: Services, act: DraftAct) -> Result:
    session, row, case, actor, now = act.session, act.row, act.case, act.actor, act.now
    row.sends += 1
    message_id = row.message_id or new_message_id(services.settings.email_from)
    try:
        item = queue_email(
            session,
            to=row.to,
            cc=row.cc,
            reply_to=row.reply_to,
            subject=row.subject,
            text=row.body,
            now=now,
            email_from=services.settings.email_from,
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
    row.state, row.queued_by, row.queued_at = "queued", actor.user_id, now
    row.message_id, row.outbox_id, row.error = message_id, item.id, None
    _moved_on(
        session,
        row,
        kind="email_queued",
        actor=actor.user_id,
        via=Via.BUTTON,
        now=now,
        to=list(row.to),
    )
    slack_posts.post_in_thread(
        session,
        case_id=case.id,
        now=now,
        text=email_blocks.build_queued_note(row, actor.user_id, act.playbook.receiver.name),
    )
    return Result(Outcome.APPLIED, case_id=case.id)


def _hand_off_manually(services: Services, act: DraftAct) -> Result:
    """No SMTP here: the person sends it themselves; the case records a manual hand-off."""
    session, row, case, actor, now = act.session, act.row, act.case, act.actor, act.now
    row.state, row.queued_by, row.queued_at = "manual", actor.user_id, now
    _moved_on(
        session,
        row,
        kind="email_manual",
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
        text=email_blocks.build_manual_note(row, actor.user_id, private=private),
    )
    act.tell(
        "Send this yourself, then the vendor's ticket number goes in *Add update*:\n"
        + email_blocks.build_full_email(row)
    )
    _follow(services, session, case, Purpose(row.purpose), actor.user_id, now)
    return Result(Outcome.APPLIED, "manual", case_id=case.id)


def _follow(
    services: Services, session: Session, case: Case, purpose: Purpose, actor: str, now
) -> None:
    """What a hand-off or reopen that reached the vendor does to the case's status."""
    if purpose is Purpose.HANDOFF:
        actions = [Action.HAND_TO_VENDOR]
    elif purpose is Purpose.REOPEN:
        actions = [Action.REOPEN, Action.WAIT_ON_VENDOR]
    else:
        return
    playbook = services.playbooks.get(case.playbook_id)
    for action in actions:
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


def email_sent(services: Services, session: Session, item: OutboxItem, result: dict) -> None:
    """The mail server accepted a draft's email: record it and move the case along."""
    row = session.get(EmailDraft, item.payload.get("draft_id"))
    if row is None:
        return
    now = services.clock.now()
    row.state, row.sent_at = "sent", now
    row.message_id = result.get("message_id") or row.message_id
    case = get_case(session, case_id=row.case_id, lock=True)
    playbook = services.playbooks.get(case.playbook_id)
    _moved_on(
        session,
        row,
        kind="email_sent",
        actor=row.queued_by or "bot",
        via=Via.EMAIL,
        now=now,
        message_id=row.message_id,
    )
    receiver = playbook.receiver.name if playbook else case.playbook_id
    slack_posts.post_in_thread(
        session, case_id=case.id, now=now, text=email_blocks.build_sent_note(row, receiver)
    )
    if playbook is not None:
        _follow(services, session, case, Purpose(row.purpose), row.queued_by or "bot", now)
        case_changed(services, session, case, now)


def email_given_up(services: Services, session: Session, item: OutboxItem, reason: str) -> None:
    """The email failed for good (the outbox says why in the thread): the draft may be resent."""
    row = session.get(EmailDraft, item.payload.get("draft_id"))
    if row is None:
        return
    row.state, row.error = "failed", reason[:2000]
    _moved_on(
        session,
        row,
        kind="email_failed",
        actor="bot",
        via=Via.EMAIL,
        now=services.clock.now(),
        reason=reason[:300],
    )


# --- editing and viewing ---------------------------------------------------------------------


def draft_for_edit(services: Services, *, draft_id: int) -> tuple[EmailDraft, Case, Playbook]:
    """The draft, its case and playbook, for the Edit modal; DraftError when it can't change."""
    with Session(services.engine) as session:
        row, case, playbook = _load(session, services, draft_id, lock=False)
    if row.state not in email_blocks.SENDABLE:
        raise DraftError(email_blocks.build_already(row))
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
        if row.state not in email_blocks.SENDABLE:
            return act.already()
        purpose = Purpose(row.purpose)
        note = row.note
        if purpose is Purpose.HANDOFF:
            _apply_details(services, session, case, values, actor.user_id, now)
        else:
            note = values.get("note") or None
        sender = Sender(**row.sender) if row.sender else Sender(row.created_by)
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

    return _act(
        services,
        draft_id=draft_id,
        actor=actor,
        channel=channel,
        what="edit email",
        work=work,
        kick=kick,
    )


def _apply_details(services, session, case: Case, values: dict[str, Any], actor: str, now):
    """Write edited hand-off details to the case (files left empty keep the old ones)."""
    fields = dict(case.fields or {})
    changed: list[str] = []
    for key, value in values.items():
        if key == "internal_ticket":
            if value and value != case.internal_ticket:
                case.internal_ticket = value
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
    if not changed:
        return
    case.fields = fields
    case.updated_at = now
    case.version += 1
    session.add(case)
    session.add(
        CaseEvent(
            case_id=case.id,
            at=now,
            actor=actor,
            kind="details_edited",
            via=Via.MODAL.value,
            # Which fields changed, never their values: they may be contact details.
            detail={"fields": sorted(set(changed))},
        )
    )
    session.flush()
    case_changed(services, session, case, now)


def view_draft(
    services: Services, *, draft_id: int, actor: Actor, channel: str | None, kick: bool = True
) -> Result:
    """Show the whole email, contact details included, to one authorised person; audited."""

    def work(act: DraftAct) -> Result:
        act.session.add(
            CaseEvent(
                case_id=act.case.id,
                at=act.now,
                actor=actor.user_id,
                kind="email_viewed",
                via=Via.BUTTON.value,
                detail={"draft": act.row.id},
            )
        )
        act.tell(email_blocks.build_full_email(act.row))
        return Result(Outcome.APPLIED, case_id=act.case.id)

    return _act(
        services,
        draft_id=draft_id,
        actor=actor,
        channel=channel,
        what="view email",
        work=work,
        kick=kick,
    )
