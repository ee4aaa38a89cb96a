"""The emergency buttons: Page on-call on the root message, Acknowledged and Page again in the
siren thread. A refusal (`NotPaged`) reaches the presser through the error handler."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from slackbot.listeners.parse import int_or_none
from slackbot.services import Services
from slackbot.usecases import emergency


def _value(body: dict[str, Any]) -> int | None:
    return int_or_none((body.get("actions") or [{}])[0].get("value"))


def handle_page_on_call_button(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """Open the emergency modal for this case."""
    ack()
    case_id = _value(body)
    if case_id is None:
        return
    channel = (body.get("channel") or {}).get("id", "")
    view = emergency.modal_for(context["services"], channel=channel, case_id=case_id)
    if view is not None:
        client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_acknowledged(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    """On-call answered: stop the page's reminders and acknowledge it in PagerDuty."""
    ack()
    page_id = _value(body)
    if page_id is None:
        return
    services: Services = context["services"]
    case_id = emergency.case_of_page(services, page_id)
    if case_id is not None:
        emergency.acknowledge_pages(
            services, case_id=case_id, page_id=page_id, by=body["user"]["id"], via="button"
        )


def handle_page_again(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    """Page on-call once more."""
    ack()
    page_id = _value(body)
    if page_id is None:
        return
    emergency.page_again(context["services"], page_id=page_id, user_id=body["user"]["id"])
