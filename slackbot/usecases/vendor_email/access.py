"""Acting on a stored draft: load it with its case and playbook, let only who may act do the
work, and do it in one transaction. Send, Edit and View full email all go through
`act_on_draft`; the case's opener, its owner and its current tier's responders may act
(`guard_case`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session

from slackbot.domain.errors import UserFacingError
from slackbot.domain.playbooks import Playbook
from slackbot.domain.status_machine import Via
from slackbot.render import email_preview_blocks
from slackbot.usecases import slack_posts
from slackbot.usecases.case_change import Actor, Outcome, Result, guard_case
from storage.db import write_session
from storage.models import Case, EmailDraft
from storage.repositories import get_case, get_draft

if TYPE_CHECKING:
    from slackbot.services import Services


class DraftError(UserFacingError):
    """A draft can't be acted on as asked; the message is for the person who tried."""


def load_draft(
    session: Session, services: Services, draft_id: int, *, lock: bool
) -> tuple[EmailDraft, Case, Playbook]:
    """The draft, its case and the case's playbook; DraftError when any of them is gone."""
    draft = get_draft(session, draft_id=draft_id, lock=lock)
    if draft is None:
        raise DraftError("This email draft no longer exists.")
    case = get_case(session, case_id=draft.case_id, lock=lock)
    playbook = services.playbooks.get(case.playbook_id) if case else None
    if case is None or playbook is None:
        raise DraftError("This case or its playbook no longer exists.")
    return draft, case, playbook


@dataclass(frozen=True)
class DraftAct:
    """One authorised act on a draft, inside its transaction."""

    session: Session
    row: EmailDraft
    case: Case
    playbook: Playbook
    actor: Actor
    channel: str | None
    now: datetime

    def tell(self, text: str) -> None:
        """Answer the person who acted, where they are."""
        slack_posts.post_ephemeral(
            self.session,
            user=self.actor.user_id,
            channel=self.channel,
            case_id=self.case.id,
            now=self.now,
            text=text,
        )

    def already(self) -> Result:
        """The draft went (or was replaced) already: say so and change nothing."""
        self.tell(email_preview_blocks.build_already(self.row))
        return Result(Outcome.DUPLICATE, self.row.state, case_id=self.case.id)


def act_on_draft(
    services: Services,
    *,
    draft_id: int,
    actor: Actor,
    channel: str | None,
    what: str,
    work: Callable[[DraftAct], Result],
    kick: bool,
) -> Result:
    """Load and lock the draft, let only who may act do `work`, in one transaction."""
    now = services.clock.now()
    with write_session(services.engine) as session:
        try:
            row, case, playbook = load_draft(session, services, draft_id, lock=True)
        except DraftError as exc:
            return Result(Outcome.IGNORED, str(exc))
        refused = guard_case(
            session, case, playbook, actor, via=Via.BUTTON, what=what, now=now, reply_to=channel
        )
        if refused is not None and refused.outcome is Outcome.NEEDS_MEMBERS:
            session.rollback()  # the edge fetches the members and asks again
            return refused
        if refused is not None:
            result = refused
        else:
            result = work(DraftAct(session, row, case, playbook, actor, channel, now))
    if kick:
        services.outbox.kick()
    return result
