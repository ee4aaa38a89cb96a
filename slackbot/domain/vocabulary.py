"""The words the stored records use, as enums: outbox kinds and states.

They are `StrEnum`s so that the stored values stay the plain strings they always were (no
migration) and compare equal to them.
"""

from __future__ import annotations

from enum import StrEnum


class OutboxKind(StrEnum):
    """What an outbox item does when it is performed."""

    SLACK_ROOT = "slack.root"
    SLACK_POST = "slack.post"
    SLACK_EPHEMERAL = "slack.ephemeral"
    SLACK_CHANNEL_POST = "slack.channel_post"
    EMAIL = "email"
    EMAIL_COMPOSE = "email.compose"
    EMAIL_PREVIEW = "email.preview"
    PAGERDUTY = "pagerduty"
    REPORT_FILES = "report.files"
    #: A file from a vendor's email, re-uploaded to the case thread (issue 14).
    SLACK_UPLOAD = "slack.upload"
    #: A message with blocks outside case threads, or an edit of one (issue 14).
    SLACK_NOTICE = "slack.notice"
    #: The reply under a message a case was made from, pointing to the case (issue 13).
    SLACK_SOURCE_REPLY = "slack.source_reply"


class OutboxState(StrEnum):
    """Where an outbox item is in its life."""

    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DONE = "done"
    FAILED = "failed"


class EventKind(StrEnum):
    """What happened to a case, as its event log says."""

    OPENED = "opened"
    STATUS_CHANGED = "status_changed"
    UNDO = "undo"
    UPDATE = "update"
    REPLY = "reply"
    DENIED = "denied"
    REMINDER = "reminder"
    SNOOZED = "snoozed"
    CALLBACK_DONE = "callback_done"
    UPDATE_REQUESTED = "update_requested"
    LEADERSHIP_REQUESTED = "leadership_requested"
    DETAILS_EDITED = "details_edited"
    EMAIL_DRAFTED = "email_drafted"
    EMAIL_QUEUED = "email_queued"
    EMAIL_SENT = "email_sent"
    EMAIL_FAILED = "email_failed"
    EMAIL_MANUAL = "email_manual"
    EMAIL_VIEWED = "email_viewed"
    PAGED = "paged"
    PAGE_UPDATED = "page_updated"
    PAGE_ACKNOWLEDGED = "page_acknowledged"
    PAGE_RESOLVED = "page_resolved"
    PAGE_REMINDER = "page_reminder"
    PAGE_ROUTES_DOWN = "page_routes_down"
    #: A person applied or ignored what a vendor's email proposed (issue 14).
    PROPOSAL_APPLIED = "proposal_applied"
    PROPOSAL_IGNORED = "proposal_ignored"
    #: Working a case (issue 13): a new owner, corrected facts, our engineers' assessment and
    #: a call-out time asked of the vendor, then confirmed by them.
    ASSIGNED = "assigned"
    CASE_EDITED = "case_edited"
    ASSESSED = "assessed"
    CALLOUT_REQUESTED = "callout_requested"
    CALLOUT_CONFIRMED = "callout_confirmed"
    #: The opener answered "how did it go" (issue 13).
    RATED = "rated"
    #: Someone was asked for the resolution note before a resolve (issue 13).
    NOTE_ASKED = "note_asked"


#: Events that moved a case's status (the latest of them is what undo reverts).
MOVE_KINDS = (EventKind.STATUS_CHANGED, EventKind.UNDO)
#: Who acts when no person does.
BOT_ACTOR = "bot"
SCHEDULER_ACTOR = "scheduler"


class RouteState(StrEnum):
    """Where one route of a page stands (stored in `Page.routes`, shown on the 🚨 message)."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    #: Attempted and failed for now: the outbox tries again.
    RETRYING = "retrying"
    FAILED = "failed"


class DeadlineState(StrEnum):
    """Where a case's deadline row stands: waiting to fire, fired for good, or not running."""

    PENDING = "pending"
    DONE = "done"
    CLEARED = "cleared"


class DraftState(StrEnum):
    """Where an email draft is in its life: draft → queued → sent | failed; draft → superseded | manual."""

    DRAFT = "draft"
    QUEUED = "queued"
    SENT = "sent"
    #: The mail server refused it for good: it may be sent again, or edited.
    FAILED = "failed"
    #: Email is not set up here: the person who pressed Send sends it by hand.
    MANUAL = "manual"
    #: An edit replaced it with a new draft.
    SUPERSEDED = "superseded"

    @property
    def sendable(self) -> bool:
        """Whether the email may be sent (again) or edited from this state."""
        return self in SENDABLE


#: Draft states from which the email may be sent (again) or edited; any other state means it
#: went, is going, or was replaced, and pressing Send on it again is answered "already".
SENDABLE = (DraftState.DRAFT, DraftState.FAILED)
