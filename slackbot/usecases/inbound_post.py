"""A vendor's email in Slack: posted in its case's thread (and counted as their update), or
summarised in the unmatched channel; plus the outbox performers and hooks that go with it.

Everything here runs in the caller's transaction and says things through the outbox, so an
email is posted exactly when its `InboundMessage` row is recorded.

- `post_matched`: the thread post (sender, subject, new text; contact values redacted), the
  attachments re-uploaded (`OutboxKind.SLACK_UPLOAD`, size-capped), an `update` event and the
  case's `last_update_at` (the progress clock starts again; `case_changed` recomputes the
  deadlines), the vendor ticket from an acknowledgement (the vendor-ack clock stops), and a
  proposal with Apply / Ignore for the kinds a person decides.
- `post_unmatched`: the summary, contact details hidden, with Attach to case / Ignore.
- `report_failure`: an email that could not be processed, said once in the unmatched channel.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from slackbot.domain.cases import CaseStatus, case_key
from slackbot.domain.handoff import private_values, redact
from slackbot.domain.inbound import InboundMail
from slackbot.domain.inbound_classify import Classification, ReplyPatterns, classify
from slackbot.domain.inbound_rules import (
    HISTORY_TEXT_LIMIT,
    PROPOSALS,
    THREAD_TEXT_LIMIT,
    UploadPlan,
    cut,
    hide_pii_lines,
    plan_uploads,
    summarise,
)
from slackbot.domain.mrkdwn import escape, one_line
from slackbot.domain.playbooks import Playbook
from slackbot.domain.vocabulary import BOT_ACTOR, EventKind, OutboxKind
from slackbot.render.inbound_blocks import (
    FileNote,
    ThreadPost,
    build_proposal,
    build_thread_post,
    build_unmatched,
)
from slackbot.usecases import slack_posts
from slackbot.usecases.events import record_event
from slackbot.usecases.hooks import case_changed
from slackbot.usecases.outbox import enqueue
from storage.inbound import touch_case
from storage.models import Case, InboundMessage, OutboxItem

if TYPE_CHECKING:
    from slackbot.services import Services

#: How the event log says an email was read from the mailbox.
VIA_MAILBOX = "mailbox"


class CaseChanged(Exception):
    """The case changed between our read and our write (never expected: it is locked)."""


@dataclass(frozen=True)
class Secrets:
    """What must not show in the channel: the case's contact values."""

    values: tuple[str, ...]

    def hide(self, text: str) -> str:
        """`text` with contact values and PII/PHI lines hidden."""
        return hide_pii_lines(redact(text or "", self.values))


def vendor_name(playbook: Playbook | None) -> str:
    """Who the receiving side is, in words."""
    return playbook.receiver.name if playbook else "The vendor"


def _notes(
    known: str | None, classification: Classification, recorded: str | None, by: str | None
) -> list[str]:
    """What the bot did with the email, for the thread post (`known`: the case's ticket before)."""
    notes = ["Recorded as an update from the vendor: the progress-update clock starts again."]
    if recorded:
        notes.append(f"Their ticket *{escape(recorded)}* is now on the case.")
    elif (
        classification.vendor_ticket
        and known
        and classification.vendor_ticket.lower() != known.lower()
    ):
        notes.append(
            f"They name ticket {escape(classification.vendor_ticket)}; the case keeps "
            f"{escape(known)} (Add update changes it)."
        )
    if by:
        notes.append(f"Attached from the unmatched emails by <@{by}>.")
    return notes


def _files(plan: UploadPlan, thread: bool) -> list[FileNote]:
    notes = [
        FileNote(item.filename, item.size, "" if thread else "the case has no thread yet")
        for item in plan.upload
    ]
    return notes + [FileNote(item.filename, item.size, why) for item, why in plan.named]


def _queue_uploads(
    session: Session, case: Case, plan: UploadPlan, row: InboundMessage, now: datetime
) -> None:
    for index, item in enumerate(plan.upload, start=1):
        enqueue(
            session,
            kind=OutboxKind.SLACK_UPLOAD,
            case_id=case.id,
            payload={
                "case_id": case.id,
                "inbound_id": row.id,
                "channel": case.channel_id,
                "thread_ts": case.root_ts,
                "filename": item.filename,
                "title": item.filename,
                "size": item.size,
                "data": base64.b64encode(item.data).decode("ascii"),
            },
            now=now,
            dedup_key=f"inbound-file:{row.id}:{index}",
        )


@dataclass(frozen=True)
class Said:
    """What an email says, as the channel may read it (contact values and PII lines hidden)."""

    sender: str
    subject: str
    text: str
    evidence: str


def _record_update(
    services: Services,
    session: Session,
    case: Case,
    row: InboundMessage,
    mail: InboundMail,
    said: Said,
    classification: Classification,
    *,
    now: datetime,
    actor: str,
) -> str | None:
    """The email as the vendor's update: the case's last update (and their ticket, if it is
    new), the event log, the case hooks (deadlines); returns the ticket recorded, if any."""
    recorded = classification.vendor_ticket if not case.vendor_ticket else None
    values: dict[str, Any] = {"last_update_at": now, "updated_at": now}
    if recorded:
        values["vendor_ticket"] = recorded
    if not touch_case(session, case=case, values=values):
        raise CaseChanged(f"{case_key(case.id)} changed while an email was posted")
    record_event(
        session,
        case_id=case.id,
        kind=EventKind.UPDATE,
        at=now,
        actor=actor,
        via=VIA_MAILBOX,
        inbound_id=row.id,
        sender=said.sender,
        subject=said.subject,
        text=cut(said.text, HISTORY_TEXT_LIMIT),
        reply_kind=classification.kind.value,
        evidence=said.evidence,
        **({"vendor_ticket": recorded} if recorded else {}),
        **({"files": [item.filename for item in mail.attachments]} if mail.attachments else {}),
    )
    case_changed(services, session, case, now)
    return recorded


def post_matched(
    services: Services,
    session: Session,
    *,
    case: Case,
    mail: InboundMail,
    row: InboundMessage,
    now: datetime,
    attached_by: str | None = None,
) -> Classification:
    """Post `mail` in the (locked) case's thread and record it as the vendor's update; `row`
    (flushed, with an id) is the message's record. Returns what the mail was understood as."""
    playbook = services.playbooks.get(case.playbook_id)
    secrets = Secrets(private_values(playbook, case.fields or {}) if playbook else ())
    classification = classify(
        mail, ReplyPatterns.from_config(playbook.inbound if playbook else None)
    )
    said = Said(
        sender=secrets.hide(str(mail.sender) if mail.sender else "(no sender)"),
        subject=secrets.hide(mail.subject),
        text=secrets.hide(mail.new_text or mail.text),
        evidence=secrets.hide(classification.evidence),
    )
    known = case.vendor_ticket
    recorded = _record_update(
        services, session, case, row, mail, said, classification, now=now,
        actor=attached_by or BOT_ACTOR,
    )  # fmt: skip
    plan = plan_uploads(mail.attachments)
    thread = bool(case.channel_id and case.root_ts)
    fallback, blocks = build_thread_post(
        ThreadPost(
            inbound_id=row.id,
            case_id=case.id,
            sender=said.sender,
            subject=said.subject,
            text=cut(said.text, THREAD_TEXT_LIMIT),
            notes=_notes(known, classification, recorded, attached_by),
            files=_files(plan, thread),
            problems=mail.problems,
        )
    )
    slack_posts.post_in_thread(
        session, case_id=case.id, now=now, text=fallback, blocks_=blocks,
        dedup_key=f"inbound-post:{row.id}",
    )  # fmt: skip
    if thread:
        _queue_uploads(session, case, plan, row, now)
    _propose(session, case, playbook, classification, row, said, now)
    return classification


def _propose(
    session: Session,
    case: Case,
    playbook: Playbook | None,
    classification: Classification,
    row: InboundMessage,
    said: Said,
    now: datetime,
) -> None:
    """A proposal with Apply / Ignore for the kinds a person decides."""
    proposal = PROPOSALS.get(classification.kind)
    if proposal is None:
        return
    text, blocks = build_proposal(
        inbound_id=row.id,
        case_id=case.id,
        vendor=vendor_name(playbook),
        proposal=proposal,
        action=proposal.action_for(CaseStatus(case.status)),
        evidence=said.evidence,
    )
    slack_posts.post_in_thread(
        session,
        case_id=case.id,
        now=now,
        text=text,
        blocks_=blocks,
        dedup_key=f"inbound-proposal:{row.id}",
    )


def post_notice(
    session: Session,
    *,
    channel: str,
    text: str,
    blocks: list[dict[str, Any]],
    now: datetime,
    ts: str | None = None,
    dedup_key: str | None = None,
) -> OutboxItem:
    """Queue a message with blocks to a channel (or, with `ts`, an edit of one)."""
    payload: dict[str, Any] = {"channel": channel, "text": text, "blocks": blocks}
    if ts:
        payload["ts"] = ts
    return enqueue(
        session,
        kind=OutboxKind.SLACK_NOTICE,
        payload=payload,
        now=now,
        dedup_key=dedup_key,
    )


def post_unmatched(
    services: Services,
    session: Session,
    *,
    mail: InboundMail,
    row: InboundMessage,
    reason: str,
    now: datetime,
) -> None:
    """Summarise an email that matches no case in INBOUND_UNMATCHED_CHANNEL."""
    channel = services.settings.inbound_unmatched_channel
    if not channel:
        return
    text, blocks = build_unmatched(
        inbound_id=row.id,
        summary=summarise(mail),
        reason=reason,
        files=len(mail.attachments),
        problems=mail.problems,
    )
    post_notice(
        session,
        channel=channel,
        text=text,
        blocks=blocks,
        now=now,
        dedup_key=f"inbound-unmatched:{row.id}",
    )


def report_failure(
    services: Services, session: Session, *, row: InboundMessage, reason: str, now: datetime
) -> None:
    """Say once, in the unmatched channel, that an email could not be processed and why."""
    channel = services.settings.inbound_unmatched_channel
    if not channel:
        return
    text = (
        f":warning: An email could not be processed and was skipped: {escape(one_line(reason, 300))}"
        f"\n*From:* {escape(row.sender or '(no sender)')} · *Subject:* "
        f"{escape(one_line(row.subject or '(no subject)', 200))} · it stays in the mailbox "
        f"({escape(row.folder)}, UID {row.uid})."
    )
    post_notice(
        session,
        channel=channel,
        text=text,
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}],
        now=now,
        dedup_key=f"inbound-failed:{row.id}",
    )


class InboundSlack:
    """Outbox performers and hooks for the inbound kinds."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def perform_notice(self, item: OutboxItem) -> dict[str, Any]:
        """Post a message with blocks, or edit the one at `ts`."""
        payload = item.payload
        poster = self.services.poster
        if payload.get("ts"):
            poster.update(
                channel=payload["channel"],
                ts=payload["ts"],
                text=payload["text"],
                blocks=payload.get("blocks") or [],
            )
            return {"channel": payload["channel"], "ts": payload["ts"]}
        return poster.post(payload["channel"], text=payload["text"], blocks=payload.get("blocks"))

    def upload_done(self, session: Session, item: OutboxItem, result: dict[str, Any]) -> None:
        """The file is in Slack: its bytes leave the database."""
        item.payload = {key: value for key, value in item.payload.items() if key != "data"}
        session.add(item)

    def upload_failed(self, session: Session, item: OutboxItem, reason: str) -> None:
        """Say in the thread which file could not be uploaded; its bytes leave the database."""
        self.upload_done(session, item, {})
        if item.case_id is None:
            return
        slack_posts.post_in_thread(
            session,
            case_id=item.case_id,
            now=self.services.clock.now(),
            text=(
                f":warning: Could not upload {escape(item.payload.get('filename') or 'a file')} "
                f"from the vendor's email: {escape(one_line(reason, 200))}. It is still in the "
                "mailbox."
            ),
        )
