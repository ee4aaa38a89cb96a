"""The "pagerduty" outbox kind: Events API v2 trigger/acknowledge/resolve for a `Page` row.

The event is built at delivery time from the page as it is then (an update within the dedup
window re-sends the newest details under the same dedup key). 429 and 5xx are retried with the
outbox's backoff (or PagerDuty's Retry-After); a 400 is final: its message goes to the thread and
the page falls back to the email route.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from slackbot.domain import emergency as em
from slackbot.outbound.pagerduty import PagerDuty, PagerDutyRejected, PagerDutyTransient
from slackbot.outbox import PermanentFailure, RetryLater, backoff
from slackbot.slack import delivery
from slackbot.slack import emergency_blocks as eb
from slackbot.usecases.hooks import on_case_changed
from storage.db import write_session
from storage.models import OutboxItem, Page
from storage.repositories import get_case

if TYPE_CHECKING:
    from slackbot.services import Services

log = logging.getLogger(__name__)

PAGERDUTY = "pagerduty"


class PagingDelivery:
    """Outbox handlers for the "pagerduty" kind."""

    def __init__(self, services: Services, pager: PagerDuty) -> None:
        self.services = services
        self.pager = pager

    def _thread_url(self, case_id: int) -> str | None:
        slack = self.services.extras.get("slack_delivery")
        with Session(self.services.engine) as session:
            case = get_case(session, case_id=case_id)
        if slack is None or case is None or case.root_ts is None:
            return None
        return slack.permalink(case)

    def build_event(self, item: OutboxItem) -> dict[str, Any]:
        """The Events API body for this item, from the page as it is now."""
        from slackbot.usecases.emergency import page_details

        routing_key = self.services.settings.pagerduty_routing_key
        if not routing_key:
            raise PermanentFailure("PAGERDUTY_ROUTING_KEY is not set")
        with Session(self.services.engine) as session:
            page = session.get(Page, item.payload["page_id"])
        if page is None:
            raise PermanentFailure(f"page {item.payload['page_id']} does not exist")
        action = em.EventAction(item.payload["action"])
        if action is not em.EventAction.TRIGGER:
            return em.follow_up_event(routing_key, action, dedup_key=page.dedup_key)
        playbook = self.services.playbooks.get(page.playbook_id)
        if playbook is None or playbook.emergency is None:
            raise PermanentFailure(f"playbook {page.playbook_id!r} has no emergency route")
        details = page_details(page, playbook, self._thread_url(page.case_id))
        return em.trigger_event(routing_key, details, dedup_key=page.dedup_key)

    def perform(self, item: OutboxItem) -> dict[str, Any]:
        """Send one event."""
        event = self.build_event(item)
        try:
            answer = self.pager.send(event)
        except PagerDutyTransient as exc:
            self._retrying(item, exc.reason)
            after = backoff(item.attempts + 1)
            if exc.retry_after:
                after = max(after, timedelta(seconds=exc.retry_after))
            raise RetryLater(exc.reason, after) from None
        except PagerDutyRejected as exc:
            raise PermanentFailure(exc.reason) from None
        return {"status": answer.get("status"), "dedup_key": answer.get("dedup_key")}

    def _retrying(self, item: OutboxItem, reason: str) -> None:
        if item.payload.get("action") != em.EventAction.TRIGGER.value:
            return
        from slackbot.usecases.emergency import _set_route, sync_routes

        now = self.services.clock.now()
        with write_session(self.services.engine) as session:
            page = session.get(Page, item.payload["page_id"])
            if page is None:
                return
            _set_route(page, em.PageRoute.PAGERDUTY, "retrying")
            page.last_error = f"PagerDuty: {reason}"[:2000]
            sync_routes(self.services, session, page, now=now)

    def done(self, session: Session, item: OutboxItem, result: dict[str, Any]) -> None:
        """PagerDuty took the trigger: the route is sent."""
        if item.payload.get("action") != em.EventAction.TRIGGER.value:
            return
        from slackbot.usecases.emergency import _set_route

        page = session.get(Page, item.payload["page_id"])
        if page is not None:
            _set_route(page, em.PageRoute.PAGERDUTY, "sent")
            session.add(page)

    def failed(self, session: Session, item: OutboxItem, reason: str) -> None:
        """Say so in the thread, with PagerDuty's message; a refused trigger falls back to email."""
        from slackbot.usecases.emergency import _set_route, queue_page_email

        page = session.get(Page, item.payload["page_id"])
        if page is None:
            return
        now = self.services.clock.now()
        trigger = item.payload.get("action") == em.EventAction.TRIGGER.value
        playbook = self.services.playbooks.get(page.playbook_id)
        fallback = bool(trigger and playbook and playbook.emergency and playbook.emergency.email)
        if trigger:
            _set_route(page, em.PageRoute.PAGERDUTY, "failed")
            page.last_error = f"PagerDuty: {reason}"[:2000]
            if fallback:
                # Deduplicated per page revision: a no-op when the email route already went.
                queue_page_email(self.services, session, page, playbook, now=now)
            session.add(page)
        delivery.post_in_thread(
            session,
            case_id=page.case_id,
            now=now,
            text=eb.build_route_refused(
                f"PagerDuty ({item.payload.get('action')})", reason, fallback=fallback
            ),
        )


def register(services: Services) -> PagingDelivery:
    """Register the "pagerduty" outbox kind and the emergency watch job."""
    from slackbot.usecases.emergency import watch_pages

    pager = services.extras.get("pager") or PagerDuty.from_settings(services.settings)
    services.extras["pager"] = pager
    handler = PagingDelivery(services, pager)
    services.extras["paging_delivery"] = handler
    services.outbox.register(
        PAGERDUTY, handler.perform, on_done=handler.done, on_failed=handler.failed
    )
    services.extras.setdefault("jobs", {})["emergency_watch"] = watch_pages
    on_case_changed(services, _resolve_pages_when_closed)
    return handler


def _resolve_pages_when_closed(session, case, now) -> None:
    """Resolving (or closing) a case resolves its PagerDuty alerts, same dedup keys."""
    from slackbot.domain.cases import CaseStatus
    from slackbot.usecases.emergency import resolve_pages_for_case

    if CaseStatus(case.status).is_closed:
        resolve_pages_for_case(session, case_id=case.id, now=now)
