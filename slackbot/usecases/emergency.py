"""Page on-call through a playbook's emergency route: `/emergency`, **Page again**, the modal.

Every page is a `Page` row written before any route is attempted; each route is an outbox item
(kind "pagerduty" for the Events API, kind "email" for the integration address) in the same
transaction, so a crash between "decided to page" and "paged" loses nothing. The routes are
`emergency_routes`; acknowledgements, the response watch and resolving are `emergency_watch`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from slackbot.domain import emergency as em
from slackbot.domain.cases import CaseStatus, Priority
from slackbot.domain.clock import ensure_utc
from slackbot.domain.errors import UserFacingError
from slackbot.domain.mrkdwn import one_line
from slackbot.domain.playbooks import Playbook
from slackbot.domain.status_machine import Via
from slackbot.domain.vocabulary import EventKind
from slackbot.render import emergency_blocks as eb
from slackbot.services import Services
from slackbot.usecases import slack_posts
from slackbot.usecases.case_change import Actor, Outcome, Result
from slackbot.usecases.emergency_routes import queue_routes
from slackbot.usecases.emergency_watch import (
    acknowledge_page_by,
    acknowledge_pages,
    guard_page,
    watch_pages,
)
from slackbot.usecases.events import record_event
from storage.db import write_session
from storage.models import Case, Page
from storage.repositories import get_case

#: The composition root and the page's buttons reach the watch through this module.
__all__ = [
    "NotPaged",
    "PageOutcome",
    "acknowledge_page_by",
    "acknowledge_pages",
    "case_exists",
    "case_of_page",
    "latest_page",
    "modal_for",
    "page_again",
    "page_again_by",
    "page_on_call",
    "pages_for_case",
    "watch_pages",
]


class NotPaged(UserFacingError):
    """The page cannot go out; the message says why (shown to the person paging)."""


@dataclass(frozen=True)
class PageOutcome:
    """What `/emergency` did."""

    case_id: int
    page_id: int
    action: em.PageAction
    new_case: bool


# --- queries ----------------------------------------------------------------------------------


def latest_page(session: Session, *, case_id: int) -> Page | None:
    """The case's most recent page."""
    return session.exec(
        select(Page).where(Page.case_id == case_id).order_by(Page.sequence.desc())
    ).first()


def pages_for_case(session: Session, *, case_id: int) -> list[Page]:
    """Every page of a case, oldest first."""
    return list(session.exec(select(Page).where(Page.case_id == case_id).order_by(Page.sequence)))


def case_exists(services: Services, case_id: int) -> Case | None:
    """The case with this id, if any (for the modal's validation)."""
    with Session(services.engine) as session:
        return get_case(session, case_id=case_id)


def case_of_page(services: Services, page_id: int) -> int | None:
    """The case a page belongs to."""
    with Session(services.engine) as session:
        page = session.get(Page, page_id)
    return page.case_id if page else None


def modal_for(services: Services, *, channel: str, case_id: int | None) -> dict[str, Any] | None:
    """The emergency modal: the case's own playbook first; None when nobody can be paged."""
    playbooks = [pb for pb in services.playbooks if pb.emergency is not None]
    if case_id is not None:
        case = case_exists(services, case_id)
        if case is not None:
            own = [pb for pb in playbooks if pb.id == case.playbook_id]
            playbooks = own or playbooks
    if not playbooks:
        return None
    return eb.build_emergency_modal(
        playbooks, now=services.clock.now(), origin_channel=channel, case_id=case_id
    )


# --- paging -----------------------------------------------------------------------------------


def _open_emergency_case(
    session: Session, playbook: Playbook, report: em.EmergencyReport, user_id: str, now: datetime
) -> Case:
    blocker = next((c for c in playbook.categories if c.blocker), playbook.categories[0])
    case = Case(
        playbook_id=playbook.id,
        summary=one_line(f"🚨 Production down: {report.system}", 200),
        status=CaseStatus.OPEN.value,
        tier=playbook.tiers[0].tier,
        priority=Priority.HIGH.value,
        category=blocker.id,
        requester_type="Production system",
        internal_ticket="emergency",
        fields={"emergency": True},
        opened_by=user_id,
        opened_at=now,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    record_event(
        session,
        case_id=case.id,
        kind=EventKind.OPENED,
        at=now,
        actor=user_id,
        via=Via.EMERGENCY,
        to_status=CaseStatus.OPEN.value,
        playbook=playbook.id,
        emergency=True,
    )
    slack_posts.post_root(session, case_id=case.id, now=now)
    return case


def _case_to_page(
    session: Session, playbook: Playbook, report: em.EmergencyReport, user_id: str, now: datetime
) -> Case:
    """The report's case, locked, or a new emergency case when the report names none."""
    if report.case_id is None:
        return _open_emergency_case(session, playbook, report, user_id, now)
    case = get_case(session, case_id=report.case_id, lock=True)
    if case is None:
        raise NotPaged(f"There is no case ESC-{report.case_id}: nobody was paged.")
    return case


def _update_page(
    session: Session, page: Page, report: em.EmergencyReport, user_id: str, now: datetime
) -> Page:
    """Within the dedup window: the same incident, with the newest details."""
    page.what_is_down, page.since, page.impact = report.what_is_down, report.since, report.impact
    page.system = report.system
    page.updates += 1
    session.add(page)
    record_event(
        session,
        case_id=page.case_id,
        kind=EventKind.PAGE_UPDATED,
        at=now,
        actor=user_id,
        via=Via.EMERGENCY,
        page=page.id,
        updates=page.updates,
    )
    return page


def _new_page(
    session: Session,
    case: Case,
    playbook: Playbook,
    report: em.EmergencyReport,
    *,
    last: Page | None,
    user_id: str,
    now: datetime,
) -> Page:
    page = Page(
        case_id=case.id,
        playbook_id=playbook.id,
        sequence=(last.sequence + 1) if last else 1,
        dedup_key="",
        paged_by=user_id,
        paged_at=now,
        criteria=list(report.criteria),
        system=report.system,
        what_is_down=report.what_is_down,
        since=report.since,
        impact=report.impact,
        routes={},
        response_due_at=em.response_due(now, playbook.emergency),
    )
    page.dedup_key = em.page_dedup_key(case.id, page.sequence)
    session.add(page)
    session.flush()
    record_event(
        session,
        case_id=case.id,
        kind=EventKind.PAGED,
        at=now,
        actor=user_id,
        via=Via.EMERGENCY,
        page=page.id,
        dedup_key=page.dedup_key,
        criteria=list(report.criteria),
        page_again=report.page_again,
    )
    return page


def _record_page(
    session: Session,
    case: Case,
    playbook: Playbook,
    report: em.EmergencyReport,
    user_id: str,
    now: datetime,
) -> tuple[Page, em.PageAction]:
    """A new page, or the recent one updated (the dedup window's rule decides)."""
    last = latest_page(session, case_id=case.id)
    last_at = ensure_utc(last.paged_at) if last and last.resolved_at is None else None
    action = em.decide_page(
        last_paged_at=last_at,
        now=now,
        window=em.emergency_duration(playbook.emergency.dedup_window),
        page_again=report.page_again,
    )
    if action is em.PageAction.UPDATE:
        return _update_page(session, last, report, user_id, now), action
    page = _new_page(session, case, playbook, report, last=last, user_id=user_id, now=now)
    return page, action


def _tell_people(
    session: Session,
    page: Page,
    playbook: Playbook,
    action: em.PageAction,
    *,
    user_id: str,
    origin_channel: str | None,
    now: datetime,
) -> None:
    """The 🚨 message in the case thread, and a word to the person paging where they asked."""
    updated = action is em.PageAction.UPDATE
    text, body = eb.build_page_message(page, playbook, updated=updated)
    slack_posts.post_in_thread(
        session,
        case_id=page.case_id,
        now=now,
        text=text,
        blocks_=body,
        dedup_key=f"page-msg:{page.id}:{page.updates}",
    )
    if origin_channel:
        done = "Updated the page" if updated else "Paged on-call"
        slack_posts.post_ephemeral(
            session,
            user=user_id,
            channel=origin_channel,
            now=now,
            case_id=page.case_id,
            text=f":rotating_light: {done} for ESC-{page.case_id}: follow it in the case thread.",
        )


def page_on_call(
    services: Services,
    *,
    playbook: Playbook,
    report: em.EmergencyReport,
    user_id: str,
    origin_channel: str | None = None,
    kick: bool = True,
) -> PageOutcome:
    """Record the page (or update the recent one) and queue every configured route."""
    check = em.check_criteria(playbook, report.criteria)
    if not check.ok:
        raise NotPaged(check.refusal)
    now = services.clock.now()
    with write_session(services.engine) as session:
        case = _case_to_page(session, playbook, report, user_id, now)
        page, action = _record_page(session, case, playbook, report, user_id, now)
        queue_routes(services, session, page, playbook, now=now)
        session.add(page)
        session.flush()
        _tell_people(
            session, page, playbook, action, user_id=user_id, origin_channel=origin_channel, now=now
        )
        outcome = PageOutcome(case.id, page.id, action, report.case_id is None)
    if kick:
        services.outbox.kick()
    return outcome


def page_again(services: Services, *, page_id: int, user_id: str, kick: bool = True) -> PageOutcome:
    """**Page again**: a new page with the same details, even within the dedup window."""
    with Session(services.engine) as session:
        page = session.get(Page, page_id)
    if page is None:
        raise NotPaged("That page no longer exists.")
    playbook = services.playbooks.get(page.playbook_id)
    if playbook is None or playbook.emergency is None:
        raise NotPaged("This playbook no longer has an emergency route: nobody was paged.")
    report = em.EmergencyReport(
        system=page.system,
        what_is_down=page.what_is_down,
        since=page.since,
        impact=page.impact,
        criteria=tuple(page.criteria),
        case_id=page.case_id,
        page_again=True,
    )
    return page_on_call(services, playbook=playbook, report=report, user_id=user_id, kick=kick)


def page_again_by(services: Services, *, page_id: int, actor: Actor, channel: str | None) -> Result:
    """The page's **Page again** button, for who may answer the page (`guard_page`) only."""
    now = services.clock.now()
    with write_session(services.engine) as session:
        page, refused = guard_page(
            session, services, page_id, actor, what="page again", now=now, reply_to=channel
        )
    if refused is not None and refused.outcome is Outcome.IGNORED:
        raise NotPaged("That page no longer exists.")
    if refused is not None:
        services.outbox.kick()  # the denial
        return refused
    outcome = page_again(services, page_id=page_id, user_id=actor.user_id)
    return Result(Outcome.APPLIED, case_id=outcome.case_id)
