"""Reading cases for the Slack edge: one short read transaction each, no changes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from slackbot.domain.playbooks import Playbook
from slackbot.domain.status_machine import Action, Responders
from slackbot.usecases.actors import with_members
from slackbot.usecases.case_change import Outcome, Result, check_actor
from storage.models import Case, CaseEvent, CaseListing
from storage.repositories import case_events, case_for_message, get_case, open_case_listings

if TYPE_CHECKING:
    from slackbot.services import Services


@dataclass(frozen=True)
class CaseHistory:
    """A case, its playbook and its event log, as `/escalate show` presents them; `visible`
    False (and no events) when the asker may not see it."""

    case: Case
    playbook: Playbook | None
    events: Sequence[CaseEvent]
    visible: bool = True


def find_case(services: Services, case_id: int) -> Case | None:
    """The case with this id, if there is one."""
    with Session(services.engine) as session:
        return get_case(session, case_id=case_id)


def in_case_channel(services: Services, case: Case | CaseListing, user_id: str) -> bool:
    """Whether `user_id` can see the case's channel (conversations.members, cached a minute by
    the member directory); False when Slack won't say."""
    if not case.channel_id:
        return False
    channel = Responders(tier=case.tier, name="channel", usergroup=None, channel=case.channel_id)
    try:
        return user_id in services.members.members(channel)
    except SlackApiError:
        return False


def may_see(
    services: Services, case: Case | CaseListing, playbook: Playbook | None, user_id: str
) -> bool:
    """Who can see the case's channel, its opener, its owner and its current tier's
    responders may see the case (its summary and history)."""
    if user_id in (case.opened_by, case.owner_id):
        return True
    if in_case_channel(services, case, user_id):
        return True
    if playbook is None:
        return False

    def check(actor) -> Result:
        outcome, why, needs = check_actor(case, playbook, actor, case.tier)
        return Result(outcome, why, case_id=case.id, needs=needs)

    result = with_members(services, user_id, check)
    return result is not None and result.outcome is Outcome.APPLIED


def case_history(services: Services, case_id: int, *, user_id: str) -> CaseHistory | None:
    """The case with its history, oldest event first, if `user_id` may see it (`may_see`)."""
    with Session(services.engine) as session:
        case = get_case(session, case_id=case_id)
        if case is None:
            return None
        events = list(case_events(session, case_id=case_id))
    playbook = services.playbooks.get(case.playbook_id)
    if not may_see(services, case, playbook, user_id):
        return CaseHistory(case, playbook, [], visible=False)
    return CaseHistory(case, playbook, events)


def cases_open_for(services: Services, user_id: str | None) -> Sequence[CaseListing]:
    """Open cases someone opened or owns (everyone's with None), blockers first, then oldest:
    the columns a list shows, not whole cases."""
    with Session(services.engine) as session:
        return open_case_listings(session, user_id=user_id)


def open_cases_visible_to(services: Services, user_id: str) -> tuple[list[CaseListing], int]:
    """Everyone's open cases that `user_id` may see (`may_see`), and how many others there are."""
    found = cases_open_for(services, None)
    visible = [
        case
        for case in found
        if may_see(services, case, services.playbooks.get(case.playbook_id), user_id)
    ]
    return visible, len(found) - len(visible)


def action_for_reaction(
    services: Services, *, channel_id: str, ts: str, reaction: str
) -> tuple[int, Action] | None:
    """The case a message belongs to and what its playbook says this emoji does, if anything."""
    found = case_for_reaction(services, channel_id=channel_id, ts=ts, reaction=reaction)
    return None if found is None else (found[0].id, found[1])


def case_for_reaction(
    services: Services, *, channel_id: str, ts: str, reaction: str
) -> tuple[Case, Action] | None:
    """The case a message belongs to (as read) and what this emoji does to it, if anything:
    one read shared by the page acknowledgement and the move."""
    with Session(services.engine) as session:
        case = case_for_message(session, channel_id=channel_id, ts=ts)
    if case is None:
        return None
    playbook = services.playbooks.get(case.playbook_id)
    name = playbook.reaction_map.get(reaction) if playbook else None
    return (case, Action(name)) if name else None
