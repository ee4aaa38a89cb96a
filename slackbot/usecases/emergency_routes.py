"""The routes of a page: the outbox items that carry it, and the state each route shows.

On-call is reached through PagerDuty's Events API (outbox kind "pagerduty") and the integration
address (kind "email"). `Page.routes` keeps each route's `RouteState` and, for email, the id of
the outbox item that carries it, so the response watch can tell when every route is failing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import Session

from slackbot.domain import emergency as em
from slackbot.domain import emergency_page as ep
from slackbot.domain.clock import ensure_utc
from slackbot.domain.playbooks import Playbook
from slackbot.domain.status_machine import Via
from slackbot.domain.vocabulary import BOT_ACTOR, EventKind, OutboxKind, OutboxState, RouteState
from slackbot.render import emergency_blocks as eb
from slackbot.services import Services
from slackbot.usecases import slack_posts
from slackbot.usecases.emails import queue_email
from slackbot.usecases.events import record_event
from slackbot.usecases.outbox import enqueue
from storage.models import OutboxItem, Page

#: The entry of `Page.routes` that names the outbox item carrying the email.
EMAIL_ITEM = f"{em.PageRoute.EMAIL}_item"


def page_details(page: Page, playbook: Playbook, thread_url: str | None = None) -> ep.PageDetails:
    """What the page says, from the stored page."""
    return ep.PageDetails(
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


def set_route(page: Page, route: str, state: str, *, item_id: int | None = None) -> None:
    """Record a route's state on the page (and, for email, the outbox item that carries it)."""
    routes = dict(page.routes or {})
    routes[route] = state
    if item_id is not None:
        routes[f"{route}_item"] = item_id
    page.routes = routes
    # A JSON column: reassigning the dict is not always seen as a change without this.
    flag_modified(page, "routes")


def queue_pagerduty(
    session: Session,
    page: Page,
    action: ep.EventAction,
    *,
    now: datetime,
    revision: int | None = None,
) -> None:
    """Queue one Events API call for the page; a trigger is queued once per page revision."""
    dedup_key = f"page-pd:{page.id}:{action.value}"
    if revision is not None:
        dedup_key += f":{revision}"
    enqueue(
        session,
        kind=OutboxKind.PAGERDUTY,
        case_id=page.case_id,
        payload={"page_id": page.id, "action": action.value},
        now=now,
        dedup_key=dedup_key,
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
        subject=ep.page_subject(details),
        text=ep.page_email_body(details),
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
    set_route(page, em.PageRoute.EMAIL, RouteState.QUEUED, item_id=item.id)
    return item


def queue_routes(
    services: Services, session: Session, page: Page, playbook: Playbook, *, now: datetime
) -> None:
    """Queue the page on every route the playbook's emergency configures."""
    routes = em.routes(playbook.emergency)
    if em.PageRoute.PAGERDUTY in routes:
        queue_pagerduty(session, page, ep.EventAction.TRIGGER, now=now, revision=page.updates)
        set_route(page, em.PageRoute.PAGERDUTY, RouteState.QUEUED)
    if em.PageRoute.EMAIL in routes:
        queue_page_email(services, session, page, playbook, now=now)


def _sync_email_route(session: Session, page: Page) -> None:
    item_id = (page.routes or {}).get(EMAIL_ITEM)
    item = session.get(OutboxItem, item_id) if item_id is not None else None
    if item is None:
        return
    state = em.route_state(item.state, item.attempts)
    if (page.routes or {}).get(em.PageRoute.EMAIL) != state:
        set_route(page, em.PageRoute.EMAIL, state)
    if item.last_error and item.state != OutboxState.DONE:
        page.last_error = f"email: {item.last_error}"[:2000]


def sync_routes(services: Services, session: Session, page: Page, *, now: datetime) -> None:
    """Refresh the email route's state from its outbox item; shout once if every route fails."""
    _sync_email_route(session, page)
    down = em.all_routes_down(page.routes or {})
    if down and page.both_down_at is None and page.resolved_at is None:
        page.both_down_at = now
        slack_posts.post_in_thread(
            session,
            case_id=page.case_id,
            now=now,
            text=eb.build_all_routes_down(page),
            dedup_key=f"page-down:{page.id}",
        )
        record_event(
            session,
            case_id=page.case_id,
            kind=EventKind.PAGE_ROUTES_DOWN,
            at=now,
            actor=BOT_ACTOR,
            via=Via.EMERGENCY,
            page=page.id,
        )
    session.add(page)
