"""Any message → case: the message shortcut and the intake reaction's button both open the
intake form prefilled with the message (or say which case it already is)."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from slackbot.services import Services
from slackbot.usecases.message_cases import form_for_message, read_message
from slackbot.usecases.notices import tell

CANNOT_READ = (
    ":warning: I can't read that message: invite me to the channel (`/invite @escalations`) "
    "and try again, or use `/escalate`."
)


def _open_or_tell(
    services: Services, client: WebClient, *, trigger_id: str, user: str, channel: str, form
) -> None:
    if isinstance(form, str):
        tell(services, user=user, channel=channel, text=form)
        return
    client.views_open(trigger_id=trigger_id, view=form)


def handle_escalate_message(
    ack: Ack, shortcut: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """*Escalate this message*: the intake form, prefilled with the message and linked to it."""
    ack()
    services: Services = context["services"]
    channel = (shortcut.get("channel") or {}).get("id", "")
    user = shortcut["user"]["id"]
    form = form_for_message(
        services, channel=channel, message=shortcut.get("message") or {}, origin_channel=channel
    )
    _open_or_tell(
        services, client, trigger_id=shortcut["trigger_id"], user=user, channel=channel, form=form
    )


def handle_from_reaction(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context
) -> None:
    """The intake reaction's prompt: read the message again and open its form."""
    ack()
    services: Services = context["services"]
    user = body["user"]["id"]
    try:
        value = json.loads(action.get("value") or "{}")
    except json.JSONDecodeError:
        return
    channel, ts = str(value.get("c") or ""), str(value.get("ts") or "")
    playbook = services.playbooks.get(str(value.get("p") or ""))
    message = read_message(services, channel, ts) if channel and ts else None
    if message is None:
        tell(services, user=user, channel=channel or None, text=CANNOT_READ)
        return
    form = form_for_message(
        services, channel=channel, message=message, origin_channel=channel, playbook=playbook
    )
    _open_or_tell(
        services, client, trigger_id=body["trigger_id"], user=user, channel=channel, form=form
    )
