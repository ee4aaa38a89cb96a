"""The "pagerduty" outbox kind (performed through `services.pager`): Events API v2 trigger/acknowledge/resolve for a `Page` row.

The event is built at delivery time from the page as it is then (an update within the dedup
window re-sends the newest details under the same dedup key). 429 and 5xx are retried with the
outbox's backoff (or PagerDuty's Retry-After); a 400 is final: its message goes to the thread and
the page falls back to the email route.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from slackbot.domain import emergency as em
from slackbot.domain import emergency_page as ep
from slackbot.domain.cases import CaseStatus
from slackbot.domain.vocabulary import RouteState
from slackbot.effects import PermanentFailure, RetryLater, backoff
from slackbot.render import emergency_blocks as eb
from slackbot.usecases import slack_posts
from slackbot.usecases.emergency_routes import (
    page_details,
    queue_page_email,
    set_route,
    sync_routes,
)
from slackbot.usecases.emergency_watch import resolve_pages_for_case
from storage.db import write_session
from storage.models import Case, OutboxItem, Page
from storage.repositories import get_case

if TYPE_CHECKING:
    from slackbot.services import Services

log = logging.getLogger(__name__)


class PagingDelivery:
    """Outbox handlers for the "pagerduty" kind; the PagerDuty client is `services.pager`."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def _thread_url(self, case_id: int) -> str | None:
        with Session(self.services.engine) as session:
            case = get_case(session, case_id=case_id)
        if case is None or case.root_ts is None:
            return None
        return slack_posts.permalink(self.services, case)

    def build_event(self, item: OutboxItem) -> dict[str, Any]:
        """The Events API body for this item, from the page as it is now."""
        routing_key = self.services.settings.pagerduty_routing_key
        if not routing_key:
            raise PermanentFailure("PAGERDUTY_ROUTING_KEY is not set")
        with Session(self.services.engine) as session:
            page = session.get(Page, item.payload["page_id"])
        if page is None:
            raise PermanentFailure(f"page {item.payload['page_id']} does not exist")
        action = ep.EventAction(item.payload["action"])
        if action is not ep.EventAction.TRIGGER:
            return ep.follow_up_event(routing_key, action, dedup_key=page.dedup_key)
        playbook = self.services.playbooks.get(page.playbook_id)
        if playbook is None or playbook.emergency is None:
            raise PermanentFailure(f"playbook {page.playbook_id!r} has no emergency route")
        details = page_details(page, playbook, self._thread_url(page.case_id))
        return ep.trigger_event(routing_key, details, dedup_key=page.dedup_key)

    def perform(self, item: OutboxItem) -> dict[str, Any]:
        """Send one event."""
        event = self.build_event(item)
        try:
            return self.services.pager.deliver(event)
        except RetryLater as exc:
            self._retrying(item, exc.reason)
            after = backoff(item.attempts + 1)
            if exc.after is not None:
                after = max(after, exc.after)
            raise RetryLater(exc.reason, after) from None

    def _retrying(self, item: OutboxItem, reason: str) -> None:
        if item.payload.get("action") != ep.EventAction.TRIGGER.value:
            return
        now = self.services.clock.now()
        with write_session(self.services.engine) as session:
            page = session.get(Page, item.payload["page_id"])
            if page is None:
                return
            set_route(page, em.PageRoute.PAGERDUTY, RouteState.RETRYING)
            page.last_error = f"PagerDuty: {reason}"[:2000]
            sync_routes(self.services, session, page, now=now)

    def done(self, session: Session, item: OutboxItem, result: dict[str, Any]) -> None:
        """PagerDuty took the trigger: the route is sent."""
        if item.payload.get("action") != ep.EventAction.TRIGGER.value:
            return
        page = session.get(Page, item.payload["page_id"])
        if page is not None:
            set_route(page, em.PageRoute.PAGERDUTY, RouteState.SENT)
            session.add(page)

    def failed(self, session: Session, item: OutboxItem, reason: str) -> None:
        """Say so in the thread, with PagerDuty's message; a refused trigger falls back to email."""
        page = session.get(Page, item.payload["page_id"])
        if page is None:
            return
        now = self.services.clock.now()
        trigger = item.payload.get("action") == ep.EventAction.TRIGGER.value
        playbook = self.services.playbooks.get(page.playbook_id)
        fallback = bool(trigger and playbook and playbook.emergency and playbook.emergency.email)
        if trigger:
            set_route(page, em.PageRoute.PAGERDUTY, RouteState.FAILED)
            page.last_error = f"PagerDuty: {reason}"[:2000]
            if fallback:
                # Deduplicated per page revision: a no-op when the email route already went.
                queue_page_email(self.services, session, page, playbook, now=now)
            session.add(page)
        slack_posts.post_in_thread(
            session,
            case_id=page.case_id,
            now=now,
            text=eb.build_route_refused(
                f"PagerDuty ({item.payload.get('action')})", reason, fallback=fallback
            ),
        )


def resolve_pages_when_closed(session: Session, case: Case, now: datetime) -> None:
    """Case hook: resolving (or closing) a case resolves its PagerDuty alerts, same dedup keys."""
    if CaseStatus(case.status).is_closed:
        resolve_pages_for_case(session, case_id=case.id, now=now)
