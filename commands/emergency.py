"""`/emergency [ESC-42]`: open the modal that pages the partner's on-call, only when production
is confirmed down. The modal's submission and the thread's buttons are listeners
(slackbot.listeners). Thin: ack, parse, call the use case, render.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from slackbot.domain.cases import parse_case_key
from slackbot.services import Services
from slackbot.usecases import emergency

NO_ROUTE = (
    "No playbook has an emergency route, so there is nobody to page. Use `/escalate` to open "
    "a case."
)


def handle_emergency(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext):
    """Open the emergency modal (for the named case, if any)."""
    services: Services = context["services"]
    words = (body.get("text") or "").split()
    case_id = parse_case_key(words[0]) if words else None
    view = emergency.modal_for(services, channel=body.get("channel_id", ""), case_id=case_id)
    if view is None:
        ack(text=NO_ROUTE)
        return
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=view)
