"""The reminder's buttons: snooze, ask the vendor for an update, escalate to leadership, and
call-back done. A refusal (`ReminderError`) reaches the presser through the error handler."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from slackbot.render.reminders import SNOOZE_ACTIONS, ReminderAction, parse_button_value
from slackbot.services import Services
from slackbot.usecases import reminder_actions
from slackbot.usecases.actors import with_members


def _pressed(body: dict[str, Any]) -> tuple[str, str | None, int | None, int | None]:
    """(user, channel, deadline id, case id) of a reminder button press."""
    user = body["user"]["id"]
    channel = (body.get("channel") or {}).get("id")
    action = (body.get("actions") or [{}])[0]
    deadline_id, case_id = parse_button_value(action.get("value", ""))
    return user, channel, deadline_id, case_id


def handle_snooze(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    """Snooze the reminder (owner only)."""
    ack()
    user, channel, deadline_id, case_id = _pressed(body)
    if case_id is None:
        return
    choice = SNOOZE_ACTIONS[ReminderAction(body["actions"][0]["action_id"])]
    reminder_actions.snooze(
        context["services"], deadline_id=deadline_id, user_id=user, choice=choice, channel=channel
    )


def _on_case(body: dict[str, Any], context: BoltContext, use_case) -> None:
    """Run `use_case(services, case_id=…, actor=…, channel=…)` for the reminder's case."""
    user, channel, _deadline, case_id = _pressed(body)
    if case_id is None:
        return
    services: Services = context["services"]
    with_members(
        services,
        user,
        lambda actor: use_case(services, case_id=case_id, actor=actor, channel=channel),
    )


def handle_ask_vendor(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    """Draft a request for an update to the vendor."""
    ack()
    _on_case(body, context, reminder_actions.ask_vendor_for_update)


def handle_escalate_leadership(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    """Draft an escalation to the vendor's leadership."""
    ack()
    _on_case(body, context, reminder_actions.suggest_leadership)


def handle_callback_done(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    """The promised call-back happened."""
    ack()
    _on_case(body, context, reminder_actions.record_callback_done)
