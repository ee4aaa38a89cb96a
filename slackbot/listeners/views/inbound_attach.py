"""The Attach to case modal: a case id for an unmatched email, checked, then the email is read
again from the mailbox and posted in that case's thread as if it had matched."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from slackbot.domain.cases import case_key, parse_case_key
from slackbot.listeners.parse import int_or_none, metadata
from slackbot.render.inbound_blocks import attach_modal_case, attach_modal_errors
from slackbot.services import Services
from slackbot.usecases import inbound_reread, inbound_unmatched
from slackbot.usecases.actors import with_members
from slackbot.usecases.cases import find_case
from slackbot.usecases.inbound_decisions import Pressed


def handle_attach_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    """Refuse a bad case id in the form; attach the email once the form closes."""
    services: Services = context["services"]
    typed = attach_modal_case(view)
    case_id = parse_case_key(typed)
    if case_id is None:
        ack(response_action="errors", errors=attach_modal_errors("Type a case id, e.g. ESC-42."))
        return
    if find_case(services, case_id) is None:
        ack(
            response_action="errors",
            errors=attach_modal_errors(f"There is no case {case_key(case_id)}."),
        )
        return
    ack()
    meta = metadata(view)
    inbound_id = int_or_none(meta.get("inbound_id"))
    if inbound_id is None:
        return
    mail = inbound_reread.fetch_mail(services, inbound_id=inbound_id, unmatched=True)
    with_members(
        services,
        body["user"]["id"],
        lambda actor: inbound_unmatched.attach_to_case(
            services,
            inbound_id=inbound_id,
            case_id=case_id,
            mail=mail,
            pressed=Pressed(actor=actor, channel=meta.get("channel"), message_ts=meta.get("ts")),
        ),
    )
