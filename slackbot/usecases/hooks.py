"""What follows any change to a case, whichever use case made it.

Every use case that changes a case calls `case_changed` inside its transaction: the root message
is re-rendered, and features that derive state from the case (deadlines, pages) bring theirs up
to date in the same transaction, so nothing drifts when a later step fails.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session

from slackbot.slack import delivery
from storage.models import Case

if TYPE_CHECKING:
    from slackbot.services import Services

CaseHook = Callable[[Session, Case, datetime], None]


def on_case_changed(services: Services, hook: CaseHook) -> None:
    """Run `hook(session, case, now)` after every change to a case."""
    services.extras.setdefault("case_hooks", []).append(hook)


def case_changed(services: Services, session: Session, case: Case, now: datetime) -> None:
    """Refresh the root message and run every registered hook, in the caller's transaction."""
    delivery.refresh_root(session, case_id=case.id, now=now)
    for hook in services.extras.get("case_hooks", []):
        hook(session, case, now)
