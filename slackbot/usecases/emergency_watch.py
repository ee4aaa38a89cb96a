"""After a page: on-call acknowledges it, the watch reminds the thread, closing the case resolves it.

An acknowledgement comes from the page's button, a reaction in the case thread, or PagerDuty
itself (the watch looks the incident up); each is told to PagerDuty unless PagerDuty told us.
Only the person who paged and the responders of the case's current tier may acknowledge a page
or page again (`guard_page`); anyone else's press or reaction sends PagerDuty nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from slackbot.domain import emergency as em
from slackbot.domain import emergency_page as ep
from slackbot.domain.cases import case_key
from slackbot.domain.clock import ensure_utc
from slackbot.domain.playbooks import Playbook
from slackbot.domain.status_machine import (
    Action,
    Responders,
    Via,
    denial,
    on_call_for,
    responders_for,
)
from slackbot.domain.vocabulary import BOT_ACTOR, SCHEDULER_ACTOR, EventKind
from slackbot.render import emergency_blocks as eb
from slackbot.services import Services
from slackbot.usecases import slack_posts
from slackbot.usecases.case_change import Actor, Outcome, Result, check_actor, deny
from slackbot.usecases.emergency_routes import queue_pagerduty, sync_routes
from slackbot.usecases.events import record_event
from storage.db import write_session
from storage.models import Case, Page
from storage.repositories import case_for_message, get_case

#: The actor written when PagerDuty (not a person we know) acknowledged the page.
PAGERDUTY_ACTOR = str(Via.PAGERDUTY)


def _unanswered(case_id: int) -> tuple:
    """Pages of the case nobody has acknowledged and the case has not resolved."""
    return Page.case_id == case_id, Page.acknowledged_at.is_(None), Page.resolved_at.is_(None)


def _acknowledge(session: Session, page: Page, *, by: str, via: Via, now: datetime) -> None:
    page.acknowledged_at, page.acknowledged_by = now, by[:120]
    session.add(page)
    event = record_event(
        session,
        case_id=page.case_id,
        kind=EventKind.PAGE_ACKNOWLEDGED,
        at=now,
        actor=PAGERDUTY_ACTOR if via is Via.PAGERDUTY else by,
        via=Via.EMERGENCY,
        page=page.id,
    )
    # The log has always kept the acknowledgement's own route in the detail, under "via".
    event.detail = {**event.detail, "via": via.value}
    if via is not Via.PAGERDUTY and em.PageRoute.PAGERDUTY in (page.routes or {}):
        queue_pagerduty(session, page, ep.EventAction.ACKNOWLEDGE, now=now)
    slack_posts.post_in_thread(
        session,
        case_id=page.case_id,
        now=now,
        text=eb.build_acknowledged(page, by=by, via=via),
        dedup_key=f"page-ack:{page.id}",
    )


def acknowledge_pages(
    services: Services,
    *,
    case_id: int,
    by: str,
    via: Via | str,
    page_id: int | None = None,
    kick: bool = True,
) -> int:
    """Mark the case's open pages acknowledged; tell PagerDuty unless it told us. Idempotent."""
    via = Via(via)
    now = services.clock.now()
    count = 0
    with write_session(services.engine) as session:
        query = select(Page).where(*_unanswered(case_id))
        if page_id is not None:
            query = query.where(Page.id == page_id)
        for page in session.exec(query).all():
            _acknowledge(session, page, by=by, via=via, now=now)
            count += 1
    if kick and count:
        services.outbox.kick()
    return count


def may_answer_page(
    case: Case, playbook: Playbook, paged_by: Collection[str], actor: Actor
) -> tuple[Outcome, str, Responders | None]:
    """Who paged may acknowledge or page again, and the playbook's on-call group when it names
    one, else the case's current tier's responders."""
    if actor.user_id in paged_by:
        return Outcome.APPLIED, "", None
    on_call = on_call_for(playbook)
    if on_call is None:
        return check_actor(case, playbook, actor, case.tier)
    members = actor.members.get(on_call.tier)
    if members is None:
        return Outcome.NEEDS_MEMBERS, "", on_call
    if actor.user_id in members:
        return Outcome.APPLIED, "", None
    return Outcome.DENIED, "", None


def guard_page(
    session: Session,
    services: Services,
    page_id: int,
    actor: Actor,
    *,
    what: str,
    now: datetime,
    reply_to: str | None,
) -> tuple[Page | None, Result | None]:
    """The page, and None when `actor` may answer it; else the refusal: IGNORED (gone),
    NEEDS_MEMBERS (rolled back: the edge asks Slack), or DENIED (recorded and told)."""
    page = session.get(Page, page_id)
    case = get_case(session, case_id=page.case_id) if page else None
    playbook = services.playbooks.get(case.playbook_id) if case else None
    if page is None or case is None or playbook is None:
        return page, Result(Outcome.IGNORED, "gone")
    outcome, why, needs = may_answer_page(case, playbook, {page.paged_by}, actor)
    if outcome is Outcome.NEEDS_MEMBERS:
        session.rollback()
        return page, Result(outcome, case_id=case.id, needs=needs)
    if outcome is Outcome.DENIED:
        responders = on_call_for(playbook) or responders_for(
            playbook, case.tier, channel_id=case.channel_id
        )
        why = denial(
            responders, what=what, case=case_key(case.id), besides=("the person who paged",)
        )
        deny(
            session,
            case,
            actor=actor.user_id,
            via=Via.BUTTON,
            what=what,
            reason=why,
            now=now,
            reply_to=reply_to,
        )
        return page, Result(Outcome.DENIED, why, case_id=case.id)
    return page, None


def acknowledge_page_by(
    services: Services, *, page_id: int, actor: Actor, channel: str | None
) -> Result:
    """The page's Acknowledged button, for who may answer it (`guard_page`) only."""
    now = services.clock.now()
    with write_session(services.engine) as session:
        page, refused = guard_page(
            session, services, page_id, actor, what="acknowledge page", now=now, reply_to=channel
        )
        if refused is None and page.acknowledged_at is None and page.resolved_at is None:
            _acknowledge(session, page, by=actor.user_id, via=Via.BUTTON, now=now)
    services.outbox.kick()
    return refused or Result(Outcome.APPLIED, case_id=page.case_id)


def acknowledge_by_reaction(
    services: Services, *, channel_id: str, ts: str, actor: Actor, reaction: str
) -> Result:
    """A reaction meaning "acknowledge" on any message of a paged case's thread, by who may
    answer the page; anyone else's is ignored here (the case's move tells them why not)."""
    with Session(services.engine) as session:
        case = case_for_message(session, channel_id=channel_id, ts=ts)
        if case is None:
            return Result(Outcome.IGNORED)
        playbook = services.playbooks.get(case.playbook_id)
        if playbook is None or playbook.reaction_map.get(reaction) != Action.ACKNOWLEDGE:
            return Result(Outcome.IGNORED)
        paged_by = set(session.exec(select(Page.paged_by).where(*_unanswered(case.id))).all())
    if not paged_by:
        return Result(Outcome.IGNORED)
    outcome, why, needs = may_answer_page(case, playbook, paged_by, actor)
    if outcome is not Outcome.APPLIED:
        return Result(outcome, why, case_id=case.id, needs=needs)
    acknowledge_pages(services, case_id=case.id, by=actor.user_id, via=Via.REACTION)
    return Result(Outcome.APPLIED, case_id=case.id)


def resolve_pages_for_case(session: Session, *, case_id: int, now: datetime) -> int:
    """Resolve the case's PagerDuty alerts (same dedup keys); call inside the closing use case.

    Stops the response watch too. Returns how many pages were resolved.
    """
    count = 0
    for page in session.exec(
        select(Page).where(Page.case_id == case_id, Page.resolved_at.is_(None))
    ).all():
        page.resolved_at = now
        session.add(page)
        count += 1
        if em.PageRoute.PAGERDUTY in (page.routes or {}):
            queue_pagerduty(session, page, ep.EventAction.RESOLVE, now=now)
        record_event(
            session,
            case_id=case_id,
            kind=EventKind.PAGE_RESOLVED,
            at=now,
            actor=BOT_ACTOR,
            via=Via.EMERGENCY,
            page=page.id,
        )
    return count


@dataclass(frozen=True)
class _Due:
    """A page past its response time, as read before any network call."""

    page_id: int
    case_id: int
    dedup_key: str
    pagerduty: bool


def _sync_and_find_due(services: Services, now: datetime) -> list[_Due]:
    with write_session(services.engine) as session:
        for page in session.exec(
            select(Page).where(Page.resolved_at.is_(None), Page.acknowledged_at.is_(None))
        ).all():
            sync_routes(services, session, page, now=now)
        due = session.exec(
            select(Page).where(
                Page.resolved_at.is_(None),
                Page.acknowledged_at.is_(None),
                Page.reminded_at.is_(None),
                Page.response_due_at <= now,
            )
        ).all()
        return [
            _Due(p.id, p.case_id, p.dedup_key, em.PageRoute.PAGERDUTY in (p.routes or {}))
            for p in due
        ]


def _acknowledged_in_pagerduty(services: Services, due: _Due) -> bool:
    """Whether PagerDuty says on-call acknowledged (then it is recorded, and no reminder)."""
    pager = services.pager
    if pager is None or not pager.can_look_up or not due.pagerduty:
        return False
    status = pager.look_up(due.dedup_key)
    if status is None or not status.acknowledged:
        return False
    acknowledge_pages(
        services,
        case_id=due.case_id,
        page_id=due.page_id,
        by=status.acknowledged_by or "on-call",
        via=Via.PAGERDUTY,
        kick=False,
    )
    return True


def _remind(services: Services, page_id: int, now: datetime) -> bool:
    """Tell the thread nobody answered (once per page); False if that is no longer so."""
    with write_session(services.engine) as session:
        page = session.get(Page, page_id)
        playbook = services.playbooks.get(page.playbook_id)
        if playbook is None or not em.needs_reminder(
            response_due_at=ensure_utc(page.response_due_at),
            acknowledged_at=page.acknowledged_at,
            reminded_at=page.reminded_at,
            resolved=page.resolved_at is not None,
            now=now,
        ):
            return False
        page.reminded_at = now
        session.add(page)
        text, body = eb.build_reminder(page, playbook)
        slack_posts.post_in_thread(
            session,
            case_id=page.case_id,
            now=now,
            text=text,
            blocks_=body,
            dedup_key=f"page-remind:{page.id}",
        )
        record_event(
            session,
            case_id=page.case_id,
            kind=EventKind.PAGE_REMINDER,
            at=now,
            actor=SCHEDULER_ACTOR,
            via=Via.EMERGENCY,
            page=page.id,
        )
        return True


def watch_pages(services: Services) -> int:
    """Scheduler job: route states, PagerDuty acknowledgements and reminders. Returns reminders."""
    now = services.clock.now()
    reminded = 0
    # PagerDuty is asked outside any transaction: no row stays locked during a network call.
    for due in _sync_and_find_due(services, now):
        if not _acknowledged_in_pagerduty(services, due) and _remind(services, due.page_id, now):
            reminded += 1
    services.outbox.kick()
    return reminded
