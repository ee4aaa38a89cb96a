"""What follows any change to a case, whichever use case made it.

Every use case that changes a case calls `case_changed` inside its transaction: the root message
is re-rendered, and features that derive state from the case (deadlines, pages) bring theirs up
to date in the same transaction, so nothing drifts when a later step fails. The composition root
(slackbot.wiring) lists those features' hooks in `services.case_hooks`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session

from slackbot.usecases import slack_posts
from storage.models import Case

if TYPE_CHECKING:
    from slackbot.services import Services


def case_changed(services: Services, session: Session, case: Case, now: datetime) -> None:
    """Refresh the root message and run every hook, in the caller's transaction."""
    slack_posts.refresh_root(session, case_id=case.id, now=now)
    for hook in services.case_hooks:
        hook(session, case, now)
