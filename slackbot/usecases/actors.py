"""Who is acting: run a use case with the tier memberships it asks for.

The authorisation rule needs the members of the tier that decides, which only Slack knows. A use
case says whose list it needs (`Outcome.NEEDS_MEMBERS`); this fetches it through
`services.members` and asks again, outside any transaction. A list still fresh in the
directory's cache is read in the first pass, so the use case's transaction then runs once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError

from slackbot.usecases.move_case import Actor, Outcome, Result

if TYPE_CHECKING:
    from slackbot.services import Services

log = logging.getLogger(__name__)


def with_members(
    services: Services, user_id: str, call: Callable[[Actor], Result]
) -> Result | None:
    """Run `call`, fetching the memberships it asks for; None if Slack would not tell us."""
    members: dict[int, frozenset[str]] = {}
    cached = services.members.cached
    result = call(Actor(user_id, members, cached))
    for _ in range(3):
        if result.outcome is not Outcome.NEEDS_MEMBERS or result.needs is None:
            return result
        try:
            members[result.needs.tier] = services.members.members(result.needs)
        except SlackApiError as exc:
            log.warning(
                "could not list tier %s responders: %s",
                result.needs.tier,
                exc.response.get("error") if exc.response else "error",
            )
            return None
        result = call(Actor(user_id, dict(members), cached))
    return result
