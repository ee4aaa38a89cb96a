"""Thread replies: what people write in a case's thread becomes part of the case's timeline."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from slackbot.domain.vocabulary import EventKind
from slackbot.services import Services
from slackbot.usecases.case_change import Outcome, Result, claim_event
from slackbot.usecases.events import record_event
from storage.db import write_session
from storage.repositories import case_for_message, record_message

REPLY_TEXT_LIMIT = 4000
#: How a reply arrived. `Via` (slackbot.domain.status_machine) has no member for it yet.
THREAD_VIA = "thread"


def record_reply(
    services: Services,
    *,
    channel_id: str,
    thread_ts: str,
    ts: str,
    user: str,
    text: str,
    event_id: str | None,
    files: list[dict[str, Any]] | None = None,
) -> Result:
    """Append a person's reply in a case thread to the case's timeline."""
    now = services.clock.now()
    try:
        with write_session(services.engine) as session:
            case = case_for_message(session, channel_id=channel_id, ts=thread_ts)
            if case is None:
                return Result(Outcome.IGNORED, "not a case thread")
            if not claim_event(session, event_id, now):
                return Result(Outcome.DUPLICATE, case_id=case.id)
            detail: dict[str, Any] = {"ts": ts, "text": (text or "")[:REPLY_TEXT_LIMIT]}
            if files:
                detail["files"] = files
            record_event(
                session,
                case_id=case.id,
                kind=EventKind.REPLY,
                at=now,
                actor=user,
                via=THREAD_VIA,
                **detail,
            )
            # Replies belong to the case too: a reaction on one of them moves it.
            record_message(
                session, case_id=case.id, channel_id=channel_id, ts=ts, kind="reply", now=now
            )
            return Result(Outcome.APPLIED, case_id=case.id)
    except IntegrityError:
        return Result(Outcome.DUPLICATE)
