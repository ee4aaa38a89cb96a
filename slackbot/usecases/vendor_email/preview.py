"""Keeping a draft's preview true: once the draft moves on (sending, sent, not delivered, handed
off by hand, replaced by an edit), its preview in the thread is edited in place to say so and
keeps only the buttons that still apply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from slackbot.domain.status_machine import Via
from slackbot.domain.vocabulary import EventKind, OutboxKind, OutboxState
from slackbot.effects import RetryLater
from slackbot.render import email_preview_blocks
from slackbot.usecases.events import record_event
from slackbot.usecases.outbox import enqueue
from slackbot.usecases.vendor_email.access import DraftError, load_draft
from storage.models import EmailDraft, OutboxItem
from storage.repositories import get_draft, outbox_item_by_key

if TYPE_CHECKING:
    from slackbot.services import Services

#: How long an edit waits for a preview whose post is still waiting (e.g. for the root message).
PREVIEW_WAIT = timedelta(seconds=2)
#: An edit of a preview that is being posted right now (someone pressed Send the moment it
#: appeared) is due again at once: the pass that is posting it picks the edit up next, with the
#: ts recorded. Not a failed attempt, so not counted.
WHILE_POSTING = timedelta(0)
PREVIEW_TRIES = 3
#: States of the preview's post in which it is, or will be, in the thread.
_LIVE = (OutboxState.PENDING, OutboxState.IN_FLIGHT, OutboxState.DONE)


def preview_key(draft_id: int) -> str:
    """The dedup key of the outbox item that posts a draft's preview (its result has the ts)."""
    return f"email-preview:{draft_id}"


def refresh_preview(session: Session, *, draft_id: int, case_id: int, now: datetime) -> None:
    """Queue an edit of the draft's preview to match its state (sent, replaced, …).

    The edit renders the draft as it is when performed, so several queued edits, in any order,
    end with the same message.
    """
    enqueue(
        session,
        kind=OutboxKind.EMAIL_PREVIEW,
        case_id=case_id,
        payload={"draft_id": draft_id},
        now=now,
    )


def moved_on(
    session: Session,
    row: EmailDraft,
    *,
    kind: EventKind,
    actor: str,
    via: Via,
    now: datetime,
    **detail: Any,
) -> None:
    """A draft changed state: keep it, edit its preview to match, and record it in the history."""
    session.add(row)
    refresh_preview(session, draft_id=row.id, case_id=row.case_id, now=now)
    record_event(
        session,
        case_id=row.case_id,
        kind=kind,
        at=now,
        actor=actor,
        via=via,
        purpose=row.purpose,
        draft=row.id,
        **detail,
    )


@dataclass(frozen=True)
class _Rendered:
    """A preview rendered for the draft's state, and where the posted one lives."""

    state: str
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]


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
        for _ in range(PREVIEW_TRIES):
            rendered = self._render(draft_id)
            if isinstance(rendered, str):
                return {"skipped": rendered}
            self.services.poster.update(
                channel=rendered.channel, ts=rendered.ts, text=rendered.text, blocks=rendered.blocks
            )
            with Session(self.services.engine) as session:
                row = get_draft(session, draft_id=draft_id)
                if row is None or row.state == rendered.state:
                    return {"channel": rendered.channel, "ts": rendered.ts, "state": rendered.state}
        raise RetryLater("the draft kept changing while its preview was edited")

    def _render(self, draft_id: int) -> _Rendered | str:
        """The preview for the draft's state now, or why there is nothing to edit."""
        with Session(self.services.engine) as session:
            try:
                row, _, playbook = load_draft(session, self.services, draft_id, lock=False)
            except DraftError as exc:
                return str(exc)
            posted = outbox_item_by_key(session, dedup_key=preview_key(row.id))
            if posted is None or posted.state not in _LIVE:
                return "the preview was never posted"  # it failed for good: nothing to edit
            if posted.state == OutboxState.IN_FLIGHT:
                raise RetryLater("the preview is being posted", WHILE_POSTING, count=False)
            if posted.state == OutboxState.PENDING:
                raise RetryLater("the preview is not posted yet", PREVIEW_WAIT, count=False)
            text, blocks = email_preview_blocks.restate_preview(
                row, receiver=playbook.receiver.name, posted=posted.payload.get("blocks") or []
            )
            return _Rendered(row.state, posted.result["channel"], posted.result["ts"], text, blocks)
