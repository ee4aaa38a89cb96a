"""Asking for a draft from a button: the case's Preview hand-off, Reopen with vendor, or
Escalate to vendor leadership/technical. Only who may act on the case may ask (the draft names
the case's opener as the sender, whoever asks); composition happens in the outbox (`compose`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slackbot.domain.case_work import technical_wait
from slackbot.domain.cases import case_key
from slackbot.domain.handoff import Purpose
from slackbot.domain.status_machine import Via
from slackbot.render.email_preview_blocks import build_handoff_already
from slackbot.usecases.case_change import Actor, Outcome, Result, guard_case
from slackbot.usecases.drafts import request_draft
from slackbot.usecases.vendor_email.access import DraftError
from storage.db import write_session
from storage.repositories import get_case

if TYPE_CHECKING:
    from slackbot.services import Services


def ask_for_draft(
    services: Services,
    *,
    case_id: int,
    purpose: Purpose,
    actor: Actor,
    channel: str | None = None,
    note: str | None = None,
) -> Result:
    """A button asked for a draft: check who asks, queue its composition and deliver at once."""
    now = services.clock.now()
    with write_session(services.engine) as session:
        case = get_case(session, case_id=case_id)
        playbook = services.playbooks.get(case.playbook_id) if case else None
        if case is None or playbook is None:
            raise DraftError("This case no longer exists.")
        refused = guard_case(
            session,
            case,
            playbook,
            actor,
            via=Via.BUTTON,
            what=f"draft {purpose.label} email",
            now=now,
            reply_to=channel,
        )
        if refused is not None and refused.outcome is Outcome.NEEDS_MEMBERS:
            session.rollback()  # the edge fetches the members and asks again
            return refused
        if refused is None and purpose is Purpose.HANDOFF and case.handoff_emailed_at:
            raise DraftError(build_handoff_already(case, playbook.receiver.name))
        if refused is None:
            if not playbook.receiver.email:
                raise DraftError(
                    f"{playbook.receiver.name} takes no email in playbook `{playbook.id}`."
                )
            if purpose is Purpose.TECHNICAL:  # issue 13: our engineers assess first
                why = technical_wait(
                    playbook,
                    assessed_at=case.assessed_at,
                    handed_off=case.handed_off_at is not None,
                )
                if why is not None:
                    raise DraftError(f"Not yet for {case_key(case.id)}: {why}.")
            request_draft(
                session,
                case_id=case.id,
                purpose=purpose,
                user_id=actor.user_id,
                sender=case.opened_by,
                now=now,
                note=note,
            )
    services.outbox.kick()
    return refused or Result(Outcome.APPLIED, case_id=case_id)
