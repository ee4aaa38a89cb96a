"""Finding cases (issue 13): `/escalate find` and `/escalate list closed`, showing only the
cases the asker may see (`slackbot.usecases.cases.may_see`), never searching contact details."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import Session

from slackbot.domain.intake_sources import FindQuery, closed_window, like_pattern
from slackbot.usecases.cases import may_see
from storage.models import Case
from storage.repositories import closed_between, find_cases

if TYPE_CHECKING:
    from slackbot.services import Services

#: At most this many cases are listed in one answer.
SHOWN = 20


@dataclass(frozen=True)
class Found:
    """The cases the asker may see, and how many others matched."""

    cases: Sequence[Case]
    hidden: int


def _visible(services: Services, cases: Sequence[Case], user_id: str) -> Found:
    shown: list[Case] = []
    hidden = 0
    for case in cases:
        if len(shown) < SHOWN and may_see(
            services, case, services.playbooks.get(case.playbook_id), user_id
        ):
            shown.append(case)
        elif len(shown) < SHOWN:
            hidden += 1
    return Found(shown, hidden)


def find(services: Services, query: FindQuery, *, user_id: str) -> Found:
    """Cases matching the query (id, summary, our or the vendor's ticket number), newest first."""
    with Session(services.engine) as session:
        matches = find_cases(session, pattern=like_pattern(query.text), case_id=query.case_id)
    return _visible(services, matches, user_id)


def closed_recently(services: Services, kind: str, *, user_id: str) -> tuple[Found, int]:
    """Cases closed in the last week (or month), most recent first; and the window in days."""
    start, end = closed_window(kind, services.clock.now())
    with Session(services.engine) as session:
        closed = closed_between(session, start=start, end=end)
    return _visible(services, closed, user_id), (end - start).days
