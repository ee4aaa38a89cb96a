"""SQLModel tables. Alembic owns the schema (storage/migrations); `create_all` is for tests only.

Every timestamp is timezone-aware UTC. SQLite returns naive values for these columns, so code
reading them goes through `slackbot.domain.clock.ensure_utc`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Default factory for timestamps; real code passes the injected clock's time."""
    return datetime.now(UTC)


class Case(SQLModel, table=True):
    """An escalation: what was asked, where it stands and where its Slack thread lives."""

    __tablename__ = "escalation_case"
    __table_args__ = (
        UniqueConstraint("channel_id", "root_ts", name="uq_case_root_message"),
        Index("ix_case_status_opened", "status", "opened_at"),
        Index("ix_case_opened_by", "opened_by", "opened_at"),
        #: One message makes one case (issue 13); cases from /escalate have no source (NULLs).
        UniqueConstraint("source_channel", "source_ts", name="uq_case_source_message"),
    )

    id: int | None = Field(default=None, primary_key=True)
    playbook_id: str = Field(max_length=40, index=True)
    summary: str = Field(max_length=200)
    status: str = Field(max_length=32)
    tier: int = 1
    priority: str = Field(max_length=16)
    category: str = Field(max_length=40)
    requester_type: str = Field(max_length=40)
    internal_ticket: str = Field(max_length=64)
    #: Every intake field by id; file fields hold a list of Slack file descriptors.
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    opened_by: str = Field(max_length=32)
    opened_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    owner_id: str | None = Field(default=None, max_length=32)
    channel_id: str | None = Field(default=None, max_length=32)
    root_ts: str | None = Field(default=None, max_length=32)
    vendor_ticket: str | None = Field(default=None, max_length=64)
    vendor_status: str | None = Field(default=None, max_length=120)
    last_update_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    handed_off_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    closed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    #: Bumped on every change; writers compare-and-set it so concurrent moves never interleave.
    version: int = 1
    #: What the vendor asked us for (issue 13), since when, and when we last sent it back.
    needs_info: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    needs_info_since: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    needs_info_answered_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    #: Our engineers' assessment (the playbook's engineering tier): who, when, what they found.
    assessed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    assessed_by: str | None = Field(default=None, max_length=32)
    assessment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    #: A call-out time we asked the vendor for: only a request until they confirm it.
    callout_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    callout_requested_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    callout_confirmed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    #: The Slack message the case was made from (issue 13: "Escalate this message"), if any.
    source_channel: str | None = Field(default=None, max_length=32)
    source_ts: str | None = Field(default=None, max_length=32)
    source_link: str | None = Field(default=None, max_length=500)
    #: The intake's triage outcome: whose problem it is (`slackbot.domain.inquiries.Triage`).
    triage: str | None = Field(default=None, max_length=16)
    #: When the hand-off email was queued (or handed over by hand): no second one goes (issue 13).
    handoff_emailed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    #: The latest resolution note: issue, done (what was done or advised), action_by, by, at.
    resolution: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    #: Whether the latest resolution said action is still needed (the reports count it).
    action_needed: bool | None = None
    #: The opener's answer to "how did it go": 1-5, an optional comment, and when.
    rating: int | None = None
    rating_comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    rated_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


@dataclass(frozen=True, slots=True)
class CaseListing:
    """The columns of a case that the lists show (`/escalate list`, `/escalate overdue`, the App
    Home) and that decide who may see it, read as a plain row: building 50 `Case` models (every
    column, the JSON ones parsed) was half of a list's CPU. Same names as `Case`'s columns."""

    id: int
    playbook_id: str
    summary: str
    status: str
    tier: int
    priority: str
    opened_by: str
    opened_at: datetime
    updated_at: datetime
    owner_id: str | None
    channel_id: str | None
    root_ts: str | None


class CaseEvent(SQLModel, table=True):
    """Append-only log of everything that happened to a case."""

    __tablename__ = "case_event"
    __table_args__ = (Index("ix_case_event_case_at", "case_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="escalation_case.id")
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    #: A Slack user id, or "bot" / "scheduler" for the bot's own doings.
    actor: str = Field(max_length=32)
    #: What happened: opened, status_changed, undo, update, reply, denied, note, ...
    kind: str = Field(max_length=32)
    #: How: command, modal, reaction, button, scheduler, email, ...
    via: str = Field(default="", max_length=32)
    from_status: str | None = Field(default=None, max_length=32)
    to_status: str | None = Field(default=None, max_length=32)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class CaseMessage(SQLModel, table=True):
    """A Slack message that belongs to a case: its root, the bot's replies and people's replies.

    Reaction events carry only the message's channel and ts, not its thread: this table is how a
    reaction on any message of a case thread finds the case.
    """

    __tablename__ = "case_message"
    __table_args__ = (UniqueConstraint("channel_id", "ts", name="uq_case_message"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="escalation_case.id", index=True)
    channel_id: str = Field(max_length=32)
    ts: str = Field(max_length=32)
    kind: str = Field(default="reply", max_length=16)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class ProcessedEvent(SQLModel, table=True):
    """Slack event ids already applied: Slack delivers at least once. Pruned after a day."""

    __tablename__ = "processed_event"

    event_id: str = Field(primary_key=True, max_length=64)
    received_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )


class OutboxItem(SQLModel, table=True):
    """An outbound side effect (Slack post, email, page), recorded before it is attempted.

    The dispatcher claims due items, performs them and marks them done; failures are retried
    with backoff until done or permanently failed. `dedup_key` makes enqueueing idempotent.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    case_id: int | None = Field(default=None, foreign_key="escalation_case.id", index=True)
    dedup_key: str | None = Field(default=None, max_length=200, unique=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    #: pending → in_flight → done | failed (| cancelled)
    state: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    lease_until: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    last_error: str | None = Field(default=None, max_length=2000)
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    done_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class Page(SQLModel, table=True):
    """One page of on-call through a playbook's emergency route (issue 6).

    Recorded before it is attempted: who paged, which criteria they confirmed and what they said.
    `dedup_key` is the case id ("ESC-42"; a deliberate re-page gets "ESC-42/page-2"), so PagerDuty
    folds repeats into one incident and resolving the case resolves exactly this alert.
    """

    __tablename__ = "page"
    __table_args__ = (
        UniqueConstraint("case_id", "sequence", name="uq_page_case_sequence"),
        Index("ix_page_watch", "acknowledged_at", "reminded_at", "response_due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="escalation_case.id", index=True)
    playbook_id: str = Field(max_length=40)
    sequence: int = 1
    dedup_key: str = Field(max_length=64, unique=True)
    paged_by: str = Field(max_length=32)
    paged_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    criteria: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    system: str = Field(max_length=200)
    what_is_down: str = Field(max_length=3000)
    since: str = Field(max_length=200)
    impact: str = Field(max_length=3000)
    #: Route → state: queued, sent, failed (with the reason in `last_error`), not_configured.
    routes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    email_message_id: str | None = Field(default=None, max_length=250)
    last_error: str | None = Field(default=None, max_length=2000)
    #: How many later `/emergency`s within the dedup window updated this page.
    updates: int = 0
    response_due_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    acknowledged_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    acknowledged_by: str | None = Field(default=None, max_length=120)
    reminded_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    both_down_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    resolved_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class Deadline(SQLModel, table=True):
    """One service-level clock of a case (vendor ack, progress update, ...), and its reminders.

    Recomputed whenever the case changes (`slackbot.usecases.deadlines.sync_deadlines`). The
    sweep reads pending rows whose `due_at` has passed through `ix_deadline_due` and claims each
    in the database before acting, so no reminder lives only in memory.
    """

    __tablename__ = "deadline"
    __table_args__ = (
        UniqueConstraint("case_id", "kind", name="uq_deadline_case_kind"),
        Index("ix_deadline_due", "state", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="escalation_case.id")
    kind: str = Field(max_length=32)
    #: pending (the sweep will act at `due_at`) | done (nothing left to do) | cleared (moot).
    state: str = Field(default="pending", max_length=16)
    #: When the sweep next acts: the reminder's time after business hours and snoozing.
    due_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    #: When the service-level clock ran (or runs) out.
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    #: The instant the clock counts from; a new anchor is a fresh clock (misses reset).
    anchor_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    #: Reminders already posted for this anchor.
    misses: int = 0
    last_reminded_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    snoozed_until: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class EmailDraft(SQLModel, table=True):
    """An email to the receiving side, composed from the case and checked before it is sent.

    Drafts are shown in the case thread; nothing leaves until someone presses Send. Editing a
    draft supersedes it with a new one. Sending claims the draft (draft → queued) with a guarded
    update, so a double-click queues one email; the outbox then delivers it exactly once.
    """

    __tablename__ = "email_draft"
    __table_args__ = (Index("ix_email_draft_case", "case_id", "purpose", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="escalation_case.id")
    #: handoff | reopen | update_request | leadership | technical
    purpose: str = Field(max_length=32)
    #: draft → queued → sent | failed; draft → superseded | manual
    state: str = Field(default="draft", max_length=16)
    to: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    cc: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    reply_to: str | None = Field(default=None, max_length=254)
    subject: str = Field(max_length=1000)
    body: str = Field(sa_column=Column(Text, nullable=False))
    in_reply_to: str | None = Field(default=None, max_length=250)
    thread_refs: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    #: Slack file descriptors (id, name, mimetype, size), fetched and attached when sending.
    attachments: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    #: What must be added before it can be sent: [{"what": ..., "how": ...}].
    missing: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    #: Whom it is sent for: {"user_id", "name", "email"} (kept so an edit can recompose it).
    sender: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    note: str | None = Field(default=None, max_length=3000)
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    queued_by: str | None = Field(default=None, max_length=32)
    queued_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    sent_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    message_id: str | None = Field(default=None, max_length=250)
    outbox_id: int | None = Field(default=None)
    #: Sends of this draft so far (a failed one may be sent again): the outbox dedup suffix.
    sends: int = 0
    error: str | None = Field(default=None, max_length=2000)


class MailboxState(SQLModel, table=True):
    """How far the poller has read one IMAP folder (issue 14).

    UIDs only mean something with their UIDVALIDITY; when the server's differs, the folder is
    read again from the start and the Message-IDs already in `inbound_message` are skipped.
    Both are 32-bit unsigned on the wire, so they are stored as BIGINT. `claimed_by` and
    `claimed_until` let one replica poll at a time; `failing_since` and `last_error` let an
    outage be reported once, not on every tick.
    """

    __tablename__ = "mailbox_state"

    id: int | None = Field(default=None, primary_key=True)
    folder: str = Field(max_length=200, unique=True)
    uidvalidity: int = Field(sa_column=Column(BigInteger, nullable=False))
    last_uid: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    failing_since: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    last_error: str | None = Field(default=None, max_length=2000)
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class InboundMessage(SQLModel, table=True):
    """One email read from the mailbox and what became of it: each is handled once.

    `message_id` is the mail's dedup key (its Message-ID, or a digest of its bytes when it has
    none). `folder`, `uidvalidity` and `uid` say where to fetch it again (to attach an
    unmatched one to a case). `status` is an `InboundStatus`; `reason` says why it was
    unmatched, ignored, skipped or failed.
    """

    __tablename__ = "inbound_message"
    __table_args__ = (
        Index("ix_inbound_message_status", "status", "created_at"),
        Index("ix_inbound_message_mailbox", "folder", "uidvalidity", "uid"),
    )

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(max_length=250, unique=True)
    folder: str = Field(max_length=200)
    uidvalidity: int = Field(sa_column=Column(BigInteger, nullable=False))
    uid: int = Field(sa_column=Column(BigInteger, nullable=False))
    case_id: int | None = Field(default=None, foreign_key="escalation_case.id", index=True)
    status: str = Field(max_length=16)
    #: The reply kind the playbook's patterns found (acknowledgement, resolved, ...).
    kind: str | None = Field(default=None, max_length=32)
    sender: str | None = Field(default=None, max_length=254)
    subject: str | None = Field(default=None, max_length=1000)
    reason: str | None = Field(default=None, max_length=2000)
    #: When the mail says it was sent (its Date), else when it was read.
    received_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class InboxRequest(SQLModel, table=True):
    """A Slack request that changes state, recorded before Slack gets its answer (issue 12).

    `key` is Slack's event_id for events, else a digest of the payload (interactivity, the
    `/escalate move|ticket` commands); `body` the payload as Bolt parsed it, blanked once done.
    `pending` until its listener, and the work that listener handed on, finished (`done`;
    interactivity and commands once their change is committed); one whose lease ran out (its
    process died, or it failed) is replayed from `body`, a few times at most (`failed`). `applied_at`: a use case applied it in its own transaction, so a replay or a
    redelivery changes nothing (the event-id dedup).
    """

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_due", "state", "lease_until"),)

    key: str = Field(primary_key=True, max_length=100)
    kind: str = Field(max_length=64)
    body: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    state: str = Field(default="pending", max_length=16)
    #: How many times it was replayed.
    replays: int = 0
    received_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )
    lease_until: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    applied_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    done_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    last_error: str | None = Field(default=None, max_length=2000)


class NotifyPreference(SQLModel, table=True):
    """Whether a person gets DMs about the cases they opened (issue 13; on unless turned off)."""

    __tablename__ = "notify_preference"

    user_id: str = Field(primary_key=True, max_length=32)
    opener_dms: bool = True
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class OpenerNotice(SQLModel, table=True):
    """How far the opener's DMs have looked at a case's events: each event is considered once,
    whether it was told, was the opener's own doing, or came while they had DMs off."""

    __tablename__ = "opener_notice"

    case_id: int = Field(primary_key=True, foreign_key="escalation_case.id")
    last_event_id: int = 0
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class Inquiry(SQLModel, table=True):
    """A general inquiry resolved on first contact: counted, never a case (no thread, no ticket)."""

    __tablename__ = "inquiry"
    __table_args__ = (Index("ix_inquiry_logged_at", "logged_at"),)

    id: int | None = Field(default=None, primary_key=True)
    playbook_id: str = Field(max_length=40)
    category: str = Field(max_length=40)
    requester_type: str = Field(max_length=40)
    topic: str = Field(max_length=200)
    answer: str | None = Field(default=None, max_length=1000)
    logged_by: str = Field(max_length=32)
    logged_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
