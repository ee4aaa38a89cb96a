"""The emergency buttons: Page on-call on the root message, Acknowledged and Page again in the
siren thread. A refusal (`NotPaged`) reaches the presser through the error handler."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from slackbot.listeners.parse import int_or_none, user_and_channel
from slackbot.services import Services
from slackbot.usecases import emergency
from slackbot.usecases.actors import with_members


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
    user, channel = user_and_channel(body)
    with_members(
        services,
        user,
        lambda actor: emergency.acknowledge_page_by(
            services, page_id=page_id, actor=actor, channel=channel
        ),
    )


def handle_page_again(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    """Page on-call once more (who may is the use case's rule)."""
    ack()
    page_id = _value(body)
    if page_id is None:
        return
    services: Services = context["services"]
    user, channel = user_and_channel(body)
    with_members(
        services,
        user,
        lambda actor: emergency.page_again_by(
            services, page_id=page_id, actor=actor, channel=channel
        ),
    )
