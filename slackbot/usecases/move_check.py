"""Before a form that leads to a change opens: may this person make the change at all?

*Not their issue* opens a form for the vendor's notes and *Add update* one for the vendor's
ticket and status; only their submission changes the case, and without this check a stranger
would fill in the form only to be refused. The check is the change's own guard (the current
tier's responders), run and refused (logged and told) before the form opens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from slackbot.domain.status_machine import Via
from slackbot.usecases.actors import with_members
from slackbot.usecases.case_change import Actor, Outcome, Result, guard
from storage.db import write_session
from storage.models import Case
from storage.repositories import get_case

if TYPE_CHECKING:
    from slackbot.services import Services


def case_if_may(
    services: Services, *, case_id: int, what: str, user_id: str, channel: str | None
) -> Case | None:
    """The case, when `user_id` may do `what` (a move's action, or "update") to it now; None when there is no such case,
    Slack would not say who may, or they may not (denied: logged and told, nothing changes)."""
    found: list[Case] = []

    def check(actor: Actor) -> Result:
        now = services.clock.now()
        with write_session(services.engine) as session:
            case = get_case(session, case_id=case_id)
            playbook = services.playbooks.get(case.playbook_id) if case else None
            if case is None or playbook is None:
                return Result(Outcome.IGNORED, "no such case")
            refused = guard(
                session,
                case,
                playbook,
                actor,
                tier=case.tier,
                via=Via.BUTTON,
                what=what,
                now=now,
                reply_to=channel,
            )
            if refused is not None and refused.outcome is Outcome.NEEDS_MEMBERS:
                session.rollback()  # the edge fetches the members and asks again
                return refused
            if refused is not None:
                return refused
            found.append(case)
            return Result(Outcome.APPLIED, case_id=case.id)

    result = with_members(services, user_id, check)
    if result is not None and result.outcome is Outcome.DENIED:
        services.outbox.kick()  # the denial goes out now
    return found[-1] if found and result and result.outcome is Outcome.APPLIED else None
