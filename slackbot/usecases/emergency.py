"""Page on-call through a playbook's emergency route, watch for the answer, resolve on close.

Every page is a `Page` row written before any route is attempted; each route is an outbox item
(kind "pagerduty" for the Events API, kind "email" for the integration address) in the same
transaction, so a crash between "decided to page" and "paged" loses nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import Session, select

from slackbot.domain import emergency as em
from slackbot.domain.cases import CaseStatus, Priority
from slackbot.domain.clock import ensure_utc
from slackbot.domain.errors import UserFacingError
from slackbot.domain.mrkdwn import one_line
from slackbot.domain.playbooks import Playbook
from slackbot.domain.vocabulary import OutboxKind
from slackbot.render import emergency_blocks as eb
from slackbot.services import Services
from slackbot.usecases import slack_posts
from slackbot.usecases.emails import queue_email
from slackbot.usecases.outbox import enqueue
from storage.db import write_session
from storage.models import Case, CaseEvent, OutboxItem, Page
from storage.repositories import case_for_message, get_case

log = logging.getLogger(__name__)

#: Outbox states of a route's item, as the page shows them.
ROUTE_STATES = {"pending": "queued", "in_flight": "sending", "done": "sent", "failed": "failed"}


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


def page_details(page: Page, playbook: Playbook, thread_url: str | None = None) -> em.PageDetails:
    """What the page says, from the stored page."""
    """What the page says, from the stored page."""
    return em.PageDetails(
        case_id=page.case_id,
        playbook_title=playbook.title,
        system=page.system,
        what_is_down=page.what_is_down,
        since=page.since,
        impact=page.impact,
        paged_by=f"Slack user {page.paged_by}",
        paged_at=ensure_utc(page.paged_at),
        criteria=tuple(page.criteria),
        response_time=em.response_time_text(playbook.emergency),
        thread_url=thread_url,
    )


def _queue_trigger(session: Session, page: Page, *, now: datetime, revision: int) -> None:
    enqueue(
        session,
        kind=OutboxKind.PAGERDUTY,
        case_id=page.case_id,
        payload={"page_id": page.id, "action": em.EventAction.TRIGGER.value},
        now=now,
        dedup_key=f"page-pd:{page.id}:trigger:{revision}",
    )


def queue_page_email(
    services: Services, session: Session, page: Page, playbook: Playbook, *, now: datetime
) -> OutboxItem | None:
    """Queue the page's email to the integration address (once per page revision)."""
    if playbook.emergency is None or not playbook.emergency.email:
        return None
    details = page_details(page, playbook)
    item = queue_email(
        session,
        to=[playbook.emergency.email],
        subject=em.page_subject(details),
        text=em.page_email_body(details),
        now=now,
        email_from=services.settings.email_from,
        case_id=page.case_id,
        in_reply_to=page.email_message_id if page.updates else None,
        references=[page.email_message_id] if page.updates and page.email_message_id else (),
        dedup_key=f"page-email:{page.id}:{page.updates}",
        purpose="page",
    )
    if page.email_message_id is None:
        page.email_message_id = item.payload["message_id"]
    set_route(page, em.PageRoute.EMAIL, "queued", item_id=item.id)
    return item


def set_route(page: Page, route: str, state: str, *, item_id: int | None = None) -> None:
    routes = dict(page.routes or {})
    routes[route] = state
    if item_id is not None:
        routes[f"{route}_item"] = item_id
    page.routes = routes
    flag_modified(page, "routes")


def _event(session: Session, case_id: int, now: datetime, actor: str, kind: str, **detail: Any):
    session.add(
        CaseEvent(case_id=case_id, at=now, actor=actor, kind=kind, via="emergency", detail=detail)
    )


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
    session.add(
        CaseEvent(
            case_id=case.id,
            at=now,
            actor=user_id,
            kind="opened",
            via="emergency",
            to_status=CaseStatus.OPEN.value,
            detail={"playbook": playbook.id, "emergency": True},
        )
    )
    slack_posts.post_root(session, case_id=case.id, now=now)
    return case


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
    emergency = playbook.emergency
    now = services.clock.now()
    with write_session(services.engine) as session:
        new_case = report.case_id is None
        if new_case:
            case = _open_emergency_case(session, playbook, report, user_id, now)
        else:
            case = get_case(session, case_id=report.case_id, lock=True)
            if case is None:
                raise NotPaged(f"There is no case ESC-{report.case_id}: nobody was paged.")
        last = latest_page(session, case_id=case.id)
        last_at = ensure_utc(last.paged_at) if last and last.resolved_at is None else None
        action = em.decide_page(
            last_paged_at=last_at,
            now=now,
            window=em.emergency_duration(emergency.dedup_window),
            page_again=report.page_again,
        )
        if action is em.PageAction.UPDATE:
            page = last
            page.what_is_down, page.since, page.impact = (
                report.what_is_down,
                report.since,
                report.impact,
            )
            page.system = report.system
            page.updates += 1
            session.add(page)
            _event(
                session, case.id, now, user_id, "page_updated", page=page.id, updates=page.updates
            )
        else:
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
                response_due_at=em.response_due(now, emergency),
            )
            page.dedup_key = em.page_dedup_key(case.id, page.sequence)
            session.add(page)
            session.flush()
            _event(
                session,
                case.id,
                now,
                user_id,
                "paged",
                page=page.id,
                dedup_key=page.dedup_key,
                criteria=list(report.criteria),
                page_again=report.page_again,
            )
        routes = em.routes(emergency)
        if em.PageRoute.PAGERDUTY in routes:
            _queue_trigger(session, page, now=now, revision=page.updates)
            set_route(page, em.PageRoute.PAGERDUTY, "queued")
        if em.PageRoute.EMAIL in routes:
            queue_page_email(services, session, page, playbook, now=now)
        session.add(page)
        session.flush()
        text, body = eb.build_page_message(page, playbook, updated=action is em.PageAction.UPDATE)
        slack_posts.post_in_thread(
            session,
            case_id=case.id,
            now=now,
            text=text,
            blocks_=body,
            dedup_key=f"page-msg:{page.id}:{page.updates}",
        )
        if origin_channel:
            done = "Updated the page" if action is em.PageAction.UPDATE else "Paged on-call"
            slack_posts.post_ephemeral(
                session,
                user=user_id,
                channel=origin_channel,
                now=now,
                case_id=case.id,
                text=f":rotating_light: {done} for ESC-{case.id}: follow it in the case thread.",
            )
        outcome = PageOutcome(case.id, page.id, action, new_case)
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


# --- acknowledgement, watch, resolve ----------------------------------------------------------


def acknowledge_pages(
    services: Services,
    *,
    case_id: int,
    by: str,
    via: str,
    page_id: int | None = None,
    kick: bool = True,
) -> int:
    """Mark the case's open pages acknowledged; tell PagerDuty unless it told us. Idempotent."""
    now = services.clock.now()
    count = 0
    with write_session(services.engine) as session:
        query = select(Page).where(
            Page.case_id == case_id, Page.acknowledged_at.is_(None), Page.resolved_at.is_(None)
        )
        if page_id is not None:
            query = query.where(Page.id == page_id)
        for page in session.exec(query).all():
            page.acknowledged_at, page.acknowledged_by = now, by[:120]
            session.add(page)
            count += 1
            _event(
                session,
                case_id,
                now,
                by[:32] if via != "pagerduty" else "pagerduty",
                "page_acknowledged",
                page=page.id,
                via=via,
            )
            if via != "pagerduty" and em.PageRoute.PAGERDUTY in (page.routes or {}):
                enqueue(
                    session,
                    kind=OutboxKind.PAGERDUTY,
                    case_id=case_id,
                    payload={"page_id": page.id, "action": em.EventAction.ACKNOWLEDGE.value},
                    now=now,
                    dedup_key=f"page-pd:{page.id}:acknowledge",
                )
            slack_posts.post_in_thread(
                session,
                case_id=case_id,
                now=now,
                text=eb.build_acknowledged(page, by=by, via=via),
                dedup_key=f"page-ack:{page.id}",
            )
    if kick and count:
        services.outbox.kick()
    return count


def acknowledge_by_reaction(
    services: Services, *, channel_id: str, ts: str, user_id: str, reaction: str
) -> int:
    """A reaction meaning "acknowledge" on any message of a paged case's thread."""
    with Session(services.engine) as session:
        case = case_for_message(session, channel_id=channel_id, ts=ts)
        if case is None:
            return 0
        playbook = services.playbooks.get(case.playbook_id)
        if playbook is None or playbook.reaction_map.get(reaction) != "acknowledge":
            return 0
        waiting = session.exec(
            select(Page.id).where(
                Page.case_id == case.id, Page.acknowledged_at.is_(None), Page.resolved_at.is_(None)
            )
        ).first()
    if waiting is None:
        return 0
    return acknowledge_pages(services, case_id=case.id, by=user_id, via="reaction")


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
            enqueue(
                session,
                kind=OutboxKind.PAGERDUTY,
                case_id=case_id,
                payload={"page_id": page.id, "action": em.EventAction.RESOLVE.value},
                now=now,
                dedup_key=f"page-pd:{page.id}:resolve",
            )
        _event(session, case_id, now, "bot", "page_resolved", page=page.id)
    return count


def sync_routes(services: Services, session: Session, page: Page, *, now: datetime) -> None:
    """Refresh the email route's state from its outbox item; shout once if every route fails."""
    routes = dict(page.routes or {})
    item_id = routes.get("email_item")
    if item_id is not None:
        item = session.get(OutboxItem, item_id)
        if item is not None:
            state = ROUTE_STATES.get(item.state, item.state)
            if item.state == "pending" and item.attempts > 0:
                state = "retrying"
            if routes.get(em.PageRoute.EMAIL) != state:
                set_route(page, em.PageRoute.EMAIL, state)
            if item.last_error and item.state != "done":
                page.last_error = f"email: {item.last_error}"[:2000]
    states = [
        state
        for route, state in (page.routes or {}).items()
        if route in (em.PageRoute.PAGERDUTY, em.PageRoute.EMAIL)
    ]
    all_down = bool(states) and all(state in ("retrying", "failed") for state in states)
    if all_down and page.both_down_at is None and page.resolved_at is None:
        page.both_down_at = now
        slack_posts.post_in_thread(
            session,
            case_id=page.case_id,
            now=now,
            text=eb.build_all_routes_down(page),
            dedup_key=f"page-down:{page.id}",
        )
        _event(session, page.case_id, now, "bot", "page_routes_down", page=page.id)
    session.add(page)


def watch_pages(services: Services) -> int:
    """Scheduler job: route states, PagerDuty acknowledgements and reminders. Returns reminders."""
    now = services.clock.now()
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
        due = [(p.id, p.case_id, p.dedup_key, dict(p.routes or {})) for p in due]
    pager = services.pager
    reminded = 0
    for page_id, case_id, dedup_key, routes in due:
        if pager is not None and pager.can_look_up and em.PageRoute.PAGERDUTY in routes:
            status = pager.look_up(dedup_key)
            if status is not None and status.acknowledged:
                acknowledge_pages(
                    services,
                    case_id=case_id,
                    page_id=page_id,
                    by=status.acknowledged_by or "on-call",
                    via="pagerduty",
                    kick=False,
                )
                continue
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
                continue
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
            _event(session, page.case_id, now, "scheduler", "page_reminder", page=page.id)
            reminded += 1
    services.outbox.kick()
    return reminded


def case_of_page(services: Services, page_id: int) -> int | None:
    """The case a page belongs to."""
    with Session(services.engine) as session:
        page = session.get(Page, page_id)
    return page.case_id if page else None
