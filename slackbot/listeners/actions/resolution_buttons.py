"""The buttons that open the resolution note form and the opener's rating form (issue 13)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from slackbot.domain.status_machine import Via
from slackbot.listeners.parse import int_or_none, user_and_channel
from slackbot.services import Services
from slackbot.usecases.actors import with_members
from slackbot.usecases.resolve_case import FormResult, rating_form, resolution_form


def open_resolution_form(
    services: Services,
    client: WebClient,
    *,
    case_id: int,
    user: str,
    channel: str | None,
    trigger_id: str,
    via: Via = Via.BUTTON,
) -> None:
    """Open the note form if `user` may resolve the case now (else they were told why)."""
    result = with_members(
        services,
        user,
        lambda actor: resolution_form(
            services, case_id=case_id, actor=actor, channel=channel, via=via
        ),
    )
    if isinstance(result, FormResult) and result.view is not None:
        client.views_open(trigger_id=trigger_id, view=result.view)


def handle_write_note_button(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
):
    """The prompt's button: the note form."""
    ack()
    case_id = int_or_none(action.get("value"))
    if case_id is None:
        return
    user, channel = user_and_channel(body)
    open_resolution_form(
        context["services"],
        client,
        case_id=case_id,
        user=user,
        channel=channel,
        trigger_id=body["trigger_id"],
    )


def handle_rate_button(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
):
    """A score on the opener's DM: the rating form, with that score chosen."""
    ack()
    case_text, _, score_text = str(action.get("value") or "").partition(":")
    case_id, score = int_or_none(case_text), int_or_none(score_text)
    if case_id is None or score is None or not 1 <= score <= 5:
        return
    result = rating_form(context["services"], case_id=case_id, user=body["user"]["id"], score=score)
    if isinstance(result, FormResult) and result.view is not None:
        client.views_open(trigger_id=body["trigger_id"], view=result.view)
