"""The 72-hour rule: a case whose end user the vendor could not reach is closed as unreachable.

The close is a status move like any other: `move_in_session` applies the status machine,
compare-and-sets the case's version, logs the move and runs the case hooks, with the scheduler
as an actor the bot vouches for. Instead of the usual move note, the thread is asked to help
reach the end user and told how to reopen.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from slackbot.domain.deadlines import DeadlineKind, reminder_audience
from slackbot.domain.playbooks import Playbook
from slackbot.domain.status_machine import Action, Via
from slackbot.domain.vocabulary import SCHEDULER_ACTOR
from slackbot.render.reminders import build_unreachable_note
from slackbot.services import Services
from slackbot.usecases import slack_posts
from slackbot.usecases.case_change import Actor, Outcome
from slackbot.usecases.move_case import MoveRequest, move_in_session
from storage.models import Case


def close_unreachable(
    services: Services, session: Session, case: Case, playbook: Playbook, now: datetime
) -> bool:
    """Close the case as unreachable through the same move as any other; False if refused.

    The status machine refuses when the case is no longer with the vendor; then nothing changes
    and nobody is told (there is no person to tell).
    """
    result = move_in_session(
        services,
        session,
        MoveRequest(
            case_id=case.id,
            action=Action.CLOSE_UNREACHABLE,
            actor=Actor.trusted(SCHEDULER_ACTOR, playbook),
            via=Via.SCHEDULER,
            event_id=None,
            reaction=None,
            item_ts=None,
            reason=None,
            reply_to=None,
            detail={
                "rule": DeadlineKind.UNREACHABLE_CLOSE.value,
                "after": playbook.sla.unreachable_close,
            },
            quiet=True,
        ),
        now,
    )
    if result.outcome is not Outcome.APPLIED:
        return False
    _ask_for_help(session, case, playbook, now)
    return True


def _ask_for_help(session: Session, case: Case, playbook: Playbook, now: datetime) -> None:
    """Ask our agent to help reach the end user, and say how to reopen."""
    audience = reminder_audience(playbook, owner_id=case.owner_id, tier=case.tier, miss=1)
    text, blocks_ = build_unreachable_note(
        mentions=audience.mentions,
        after=playbook.sla.unreachable_close,
        vendor=playbook.receiver.name,
    )
    slack_posts.post_in_thread(
        session,
        case_id=case.id,
        now=now,
        text=text,
        blocks_=blocks_,
        # The version the close wrote: a later close of a reopened case is a new note.
        dedup_key=f"unreachable-close:{case.id}:{case.version}",
    )
