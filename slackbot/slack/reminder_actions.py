"""Listeners for the reminder buttons, and the wiring of the deadline sweep into the scheduler."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App

from slackbot.services import Services
from slackbot.slack.reminders import SNOOZE_ACTIONS, ReminderAction, parse_button_value
from slackbot.usecases import deadlines
from storage.db import write_session

log = logging.getLogger(__name__)


def _where(body: dict[str, Any]) -> tuple[str, str | None, int | None, int | None]:
    user = body["user"]["id"]
    channel = (body.get("channel") or {}).get("id")
    action = (body.get("actions") or [{}])[0]
    deadline_id, case_id = parse_button_value(action.get("value", ""))
    return user, channel, deadline_id, case_id


def _tell(services: Services, user: str, channel: str | None, text: str) -> None:
    from slackbot.slack import delivery

    with write_session(services.engine) as session:
        delivery.post_ephemeral(
            session, user=user, channel=channel, now=services.clock.now(), text=text
        )
    services.outbox.kick()


def register(app: App, services: Services) -> None:
    """Register the reminder buttons, `/escalate overdue` and the sweep tick job."""
    from commands import overdue

    overdue.register(services)
    services.extras.setdefault("jobs", {})["deadlines"] = lambda s: deadlines.sweep(s)

    def run(body: dict[str, Any], work) -> None:
        user, channel, deadline_id, case_id = _where(body)
        if case_id is None:
            return
        try:
            work(user, channel, deadline_id, case_id)
        except deadlines.ReminderError as exc:
            _tell(services, user, channel, str(exc))

    def handle_snooze(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        choice = SNOOZE_ACTIONS[ReminderAction(body["actions"][0]["action_id"])]
        run(
            body,
            lambda user, channel, deadline_id, _case: deadlines.snooze(
                services, deadline_id=deadline_id, user_id=user, choice=choice, channel=channel
            ),
        )

    def handle_ask_vendor(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        run(
            body,
            lambda user, channel, _d, case_id: deadlines.ask_vendor_for_update(
                services, case_id=case_id, user_id=user, channel=channel
            ),
        )

    def handle_escalate_leadership(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        run(
            body,
            lambda user, channel, _d, case_id: deadlines.suggest_leadership(
                services, case_id=case_id, user_id=user, channel=channel
            ),
        )

    def handle_callback_done(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        run(
            body,
            lambda user, _channel, _d, case_id: deadlines.record_callback_done(
                services, case_id=case_id, user_id=user
            ),
        )

    for action in SNOOZE_ACTIONS:
        app.action(action.value)(handle_snooze)
    app.action(ReminderAction.ASK_VENDOR.value)(handle_ask_vendor)
    app.action(ReminderAction.ESCALATE_LEADERSHIP.value)(handle_escalate_leadership)
    app.action(ReminderAction.CALLBACK_DONE.value)(handle_callback_done)
