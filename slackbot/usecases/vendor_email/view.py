"""View full email: the whole draft, contact details included, for one authorised person, in a
message only they see; every viewing is logged."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slackbot.domain.status_machine import Via
from slackbot.domain.vocabulary import EventKind
from slackbot.render import email_preview_blocks
from slackbot.usecases.events import record_event
from slackbot.usecases.move_case import Actor, Outcome, Result
from slackbot.usecases.vendor_email.access import DraftAct, act_on_draft

if TYPE_CHECKING:
    from slackbot.services import Services


def view_draft(
    services: Services, *, draft_id: int, actor: Actor, channel: str | None, kick: bool = True
) -> Result:
    """Show the whole email, contact details included, to one authorised person; audited."""

    def work(act: DraftAct) -> Result:
        record_event(
            act.session,
            case_id=act.case.id,
            kind=EventKind.EMAIL_VIEWED,
            at=act.now,
            actor=actor.user_id,
            via=Via.BUTTON,
            draft=act.row.id,
        )
        act.tell(email_preview_blocks.build_full_email(act.row))
        return Result(Outcome.APPLIED, case_id=act.case.id)

    return act_on_draft(
        services,
        draft_id=draft_id,
        actor=actor,
        channel=channel,
        what="view email",
        work=work,
        kick=kick,
    )
