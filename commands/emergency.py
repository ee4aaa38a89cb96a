"""`/emergency`: page the partner's on-call, only when production is confirmed down.

`/emergency [ESC-42]` and the root message's **Page on-call** button open the modal; the thread's
**Acknowledged** and **Page again** buttons, and an "acknowledge" reaction, act on the page.
Thin: ack, parse, call the use case, render.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from slackbot.domain import emergency as em
from slackbot.domain.cases import parse_case_key
from slackbot.services import Services
from slackbot.slack.blocks import parse_view_state
from slackbot.slack.emergency_blocks import FORM_KEYS, build_emergency_modal
from slackbot.slack.ids import EmergencyAction, EmergencyBlock, EmergencyCallback
from slackbot.usecases import emergency as usecase

log = logging.getLogger(__name__)

_BLOCK_OF = {key: block for block, key in FORM_KEYS.items()}


def _emergency_playbooks(services: Services) -> list:
    return [pb for pb in services.playbooks if pb.emergency is not None]


def _modal(services: Services, *, channel: str, case_id: int | None) -> dict[str, Any] | None:
    playbooks = _emergency_playbooks(services)
    if case_id is not None:
        case = usecase.case_exists(services, case_id)
        if case is not None:
            own = [pb for pb in playbooks if pb.id == case.playbook_id]
            playbooks = own or playbooks
    if not playbooks:
        return None
    return build_emergency_modal(
        playbooks, now=services.clock.now(), origin_channel=channel, case_id=case_id
    )


NO_ROUTE = (
    "No playbook has an emergency route, so there is nobody to page. Use `/escalate` to open "
    "a case."
)


def register(app: App, services: Services) -> None:
    """Register `/emergency`, its modal, its buttons and the acknowledge reaction."""

    def handle_emergency(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        words = (body.get("text") or "").split()
        case_id = parse_case_key(words[0]) if words else None
        view = _modal(services, channel=body.get("channel_id", ""), case_id=case_id)
        if view is None:
            ack(text=NO_ROUTE)
            return
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=view)

    def handle_page_on_call_button(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        action = body["actions"][0]
        view = _modal(
            services,
            channel=(body.get("channel") or {}).get("id", ""),
            case_id=int(action["value"]),
        )
        if view is not None:
            client.views_open(trigger_id=body["trigger_id"], view=view)

    def handle_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        try:
            metadata = json.loads(view.get("private_metadata") or "{}")
        except json.JSONDecodeError:
            metadata = {}
        raw = {
            FORM_KEYS.get(block, block): value
            for block, value in parse_view_state(view["state"]["values"]).items()
        }
        playbook = services.playbooks.get(metadata.get("playbook") or raw.get("playbook") or "")
        if playbook is None or playbook.emergency is None:
            ack(
                response_action="errors",
                errors={EmergencyBlock.CRITERIA: "Choose a partner with an emergency route."},
            )
            return
        result = em.parse_emergency_form(playbook, raw)
        errors = {_BLOCK_OF[key]: message for key, message in result.errors.items()}
        case_id = result.report.case_id if result.ok else None
        if case_id is not None and usecase.case_exists(services, case_id) is None:
            errors[EmergencyBlock.CASE] = (
                f"There is no case ESC-{case_id}: leave it empty to open one."
            )
        if errors:
            ack(response_action="errors", errors=errors)
            return
        try:
            # Recorded before the modal closes: if storing fails, nothing vanishes unsaid.
            usecase.page_on_call(
                services,
                playbook=playbook,
                report=result.report,
                user_id=body["user"]["id"],
                origin_channel=metadata.get("channel") or None,
                kick=False,
            )
        except usecase.NotPaged as exc:
            ack(response_action="errors", errors={EmergencyBlock.CRITERIA: str(exc)})
            return
        except Exception:
            log.exception("could not record a page")
            ack(
                response_action="errors",
                errors={
                    EmergencyBlock.CRITERIA: "Could not record the page just now: press "
                    "Page on-call again (or call the escalation contacts)."
                },
            )
            return
        ack()
        services.outbox.kick()

    def handle_acknowledged(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        page_id = int(body["actions"][0]["value"])
        case_id = usecase.case_of_page(services, page_id)
        if case_id is not None:
            usecase.acknowledge_pages(
                services, case_id=case_id, page_id=page_id, by=body["user"]["id"], via="button"
            )

    def handle_page_again(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        try:
            usecase.page_again(
                services, page_id=int(body["actions"][0]["value"]), user_id=body["user"]["id"]
            )
        except usecase.NotPaged as exc:
            channel = (body.get("channel") or {}).get("id")
            if channel:
                client.chat_postEphemeral(channel=channel, user=body["user"]["id"], text=str(exc))

    def acknowledge_reaction(body: dict[str, Any], next) -> None:
        # Middleware, not a listener: reaction listeners of other features still run after it.
        event = body.get("event") or {}
        if body.get("type") == "event_callback" and event.get("type") == "reaction_added":
            item = event.get("item") or {}
            if item.get("type") == "message" and event.get("user"):
                try:
                    usecase.acknowledge_by_reaction(
                        services,
                        channel_id=item.get("channel", ""),
                        ts=item.get("ts", ""),
                        user_id=event["user"],
                        reaction=event.get("reaction", ""),
                    )
                except Exception:
                    log.exception("could not acknowledge a page from a reaction")
        next()

    app.command("/emergency")(handle_emergency)
    app.view(EmergencyCallback.PAGE.value)(handle_submit)
    app.action(EmergencyAction.PAGE_ON_CALL.value)(handle_page_on_call_button)
    app.action(EmergencyAction.ACKNOWLEDGED.value)(handle_acknowledged)
    app.action(EmergencyAction.PAGE_AGAIN.value)(handle_page_again)
    app.middleware(acknowledge_reaction)
