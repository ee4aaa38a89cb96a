"""What a close needs and what follows it, inside the move's transaction (issue 13).

A resolve asked for without its note (✅, the Resolve button, `/escalate move … resolve`, a
vendor's "resolved") changes nothing: the person gets a button that opens the note form, and
the case resolves when the form is submitted. Once a case closes, its opener is asked, once per
case, how it went; the answer is recorded by `resolve_case.record_rating`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from slackbot.domain.cases import CaseStatus
from slackbot.domain.resolution import Resolution
from slackbot.domain.status_machine import Transition, Via
from slackbot.domain.vocabulary import EventKind
from slackbot.render import resolution_blocks
from slackbot.usecases import slack_posts
from slackbot.usecases.case_change import Outcome, Result
from slackbot.usecases.events import record_event
from storage.models import Case

if TYPE_CHECKING:
    from slackbot.usecases.move_case import MoveRequest


def needs_note(transition: Transition, request: MoveRequest) -> bool:
    """A person's resolve without its note (the bot's own closes need none)."""
    return (
        transition.after.status is CaseStatus.RESOLVED
        and request.resolution is None
        and request.via is not Via.SCHEDULER
    )


def ask_for_note(session: Session, case: Case, request: MoveRequest, now: datetime) -> Result:
    """Nothing moves: the person gets the button that opens the note form."""
    record_event(
        session,
        case_id=case.id,
        kind=EventKind.NOTE_ASKED,
        at=now,
        actor=request.actor.user_id,
        via=request.via,
        action=request.action.value,
    )
    if not request.quiet and request.prompt_note:
        text, blocks = resolution_blocks.build_resolution_prompt(case)
        slack_posts.post_ephemeral(
            session,
            user=request.actor.user_id,
            channel=request.reply_to or case.channel_id,
            now=now,
            text=text,
            blocks_=blocks,
        )
    return Result(Outcome.NEEDS_NOTE, "the resolution note comes first", case_id=case.id)


def resolution_values(resolution: Resolution | None, transition: Transition) -> dict[str, Any]:
    """What a resolve with its note stores on the case."""
    if resolution is None or transition.after.status is not CaseStatus.RESOLVED:
        return {}
    return {"resolution": resolution.as_detail(), "action_needed": resolution.action_needed}


def post_resolution_note(
    session: Session, case: Case, actor: str, resolution: Resolution, now: datetime
) -> None:
    """The note in the thread, whole (split across blocks when long)."""
    text, blocks = resolution_blocks.build_resolution_note(case.id, actor, resolution)
    slack_posts.post_in_thread(session, case_id=case.id, now=now, text=text, blocks_=blocks)


def survey_key(case_id: int) -> str:
    """The outbox key of a case's one "how did it go" question."""
    return f"survey:{case_id}"


def ask_how_it_went(session: Session, case: Case, now: datetime) -> None:
    """DM the opener one rating question, once per case however often it closes."""
    if not case.opened_by or not case.opened_by.startswith(("U", "W")):
        return
    text, blocks = resolution_blocks.build_survey(case)
    slack_posts.post_ephemeral(
        session,
        user=case.opened_by,
        channel=None,  # their DM with the bot: the buttons stay there
        case_id=case.id,
        now=now,
        text=text,
        blocks_=blocks,
        dedup_key=survey_key(case.id),
    )
