"""Updates: what the vendor or our team said about a case, the thing update reminders count.

An update moves no status but one: while the vendor waits on details from us, an update with a
note carries them and hands the case back to the vendor (issue 13). It sets `last_update_at`
(which restarts the progress clock through the case hooks), and the vendor's ticket number and
status when given.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from slackbot.domain.cases import CaseStatus
from slackbot.domain.status_machine import Action, Via
from slackbot.domain.updates import Update
from slackbot.domain.vocabulary import EventKind
from slackbot.render import case_blocks
from slackbot.services import Services
from slackbot.usecases import slack_posts
from slackbot.usecases.case_change import Actor, Outcome, Result, cas, guard
from slackbot.usecases.events import record_event
from slackbot.usecases.hooks import case_changed
from slackbot.usecases.move_case import MoveRequest, move_in_session
from storage.db import write_session
from storage.models import Case
from storage.repositories import get_case


def _write_update(
    services: Services,
    session: Session,
    case: Case,
    actor: Actor,
    update_: Update,
    via: Via,
    now: datetime,
) -> None:
    """Compare-and-set the case's update fields, log the update, and tell the thread."""
    values: dict[str, Any] = {"last_update_at": now, "updated_at": now}
    if update_.vendor_ticket:
        values["vendor_ticket"] = update_.vendor_ticket
    if update_.vendor_status:
        values["vendor_status"] = update_.vendor_status
    cas(session, case, values)
    record_event(
        session,
        case_id=case.id,
        kind=EventKind.UPDATE,
        at=now,
        actor=actor.user_id,
        via=via,
        **update_.as_detail(),
    )
    case_changed(services, session, case, now)
    slack_posts.post_in_thread(
        session,
        case_id=case.id,
        now=now,
        text=case_blocks.build_update_note(actor.user_id, case.id, update_),
    )


def _hand_back(
    services: Services, session: Session, case: Case, actor: Actor, via: Via, now: datetime
) -> None:
    """The details the vendor asked for went in an update: the case is theirs again."""
    move_in_session(
        services,
        session,
        MoveRequest(
            case_id=case.id,
            action=Action.WAIT_ON_VENDOR,
            actor=actor,
            via=via,
            event_id=None,
            reaction=None,
            item_ts=None,
            reason=None,
            reply_to=None,
            detail={"details_sent": True},
        ),
        now,
    )


def add_update(
    services: Services,
    *,
    case_id: int,
    actor: Actor,
    update_: Update,
    via: Via = Via.MODAL,
    kick: bool = True,
) -> Result:
    """Record what the vendor or team said: the update reminders count."""
    now = services.clock.now()
    with write_session(services.engine) as session:
        case = get_case(session, case_id=case_id, lock=True)
        if case is None:
            return Result(Outcome.IGNORED, "no such case")
        playbook = services.playbooks.get(case.playbook_id)
        if playbook is None:
            return Result(Outcome.IGNORED, "the case's playbook is gone", case_id=case.id)
        refused = guard(
            session,
            case,
            playbook,
            actor,
            tier=case.tier,
            via=via,
            what=EventKind.UPDATE.value,
            now=now,
            reply_to=None,
        )
        if refused is not None and refused.outcome is Outcome.NEEDS_MEMBERS:
            session.rollback()  # the edge fetches the tier's members and asks again
            return refused
        if refused is not None:
            result = refused
        else:
            # A note carries the details they asked for; a ticket number alone does not.
            waiting_on_us = case.status == CaseStatus.VENDOR_NEEDS_INFO and bool(update_.note)
            _write_update(services, session, case, actor, update_, via, now)
            if waiting_on_us:
                _hand_back(services, session, case, actor, via, now)
            result = Result(Outcome.APPLIED, case_id=case.id)
    if kick:
        services.outbox.kick()
    return result
