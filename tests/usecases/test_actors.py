"""One transaction per move (issue 16): a tier list fresh in the directory's cache is used in
the first pass; only a missing (or expired) one costs the NEEDS_MEMBERS round trip."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event
from sqlmodel import Session

from slackbot.domain.status_machine import Action, Via
from slackbot.outbound.members import MemberDirectory
from slackbot.usecases.actors import with_members
from slackbot.usecases.move_case import move_case
from storage.db import write_session
from storage.models import Case
from tests.support.closing import NOTE


def make_case(engine, now, root_ts: str) -> int:
    """An open tier-1 case in C0ACTORS01 opened by U1."""
    with write_session(engine) as session:
        case = Case(
            playbook_id="idv",
            summary="Cannot verify",
            status="open",
            tier=1,
            priority="high",
            category="access",
            requester_type="Clinician",
            internal_ticket="XQ1",
            fields={},
            opened_by="U1",
            opened_at=now,
            updated_at=now,
            channel_id="C0ACTORS01",
            root_ts=root_ts,
        )
        session.add(case)
        session.flush()
        return case.id


def _move(
    bot, case_id: int, action: Action, user: str, event_id: str, resolution=None
) -> tuple[str, int, int]:
    """(outcome, passes of the use case, transactions begun) for one move through with_members;
    a resolve carries its note (`resolution`, issue 13) or it stops at needs_note."""
    engine = bot.services.engine
    passes: list[int] = []
    begun: list[int] = []

    def count_begin(_connection) -> None:
        begun.append(1)

    def call(actor):
        passes.append(1)
        return move_case(
            bot.services,
            case_id=case_id,
            action=action,
            actor=actor,
            via=Via.BUTTON,
            event_id=event_id,
            kick=False,
            resolution=resolution,
        )

    event.listen(engine, "begin", count_begin)
    try:
        result = with_members(bot.services, user, call)
    finally:
        event.remove(engine, "begin", count_begin)
    return result.outcome.value, len(passes), len(begun)


def test_a_cached_tier_list_makes_the_move_one_pass_and_one_transaction(bot, fake_slack, clock):
    fake_slack.channel_members["C0ACTORS01"] = ["U2"]
    first = make_case(bot.services.engine, clock.now(), "1.1")
    second = make_case(bot.services.engine, clock.now(), "2.2")

    # Nobody asked for the channel's members yet: ask, fetch, run again.
    assert _move(bot, first, Action.ACKNOWLEDGE, "U2", "Ev1") == ("applied", 2, 2)
    assert len(fake_slack.calls_to("conversations.members")) == 1

    # Within the minute the list is at hand: one pass, one transaction, no Slack call.
    assert _move(bot, second, Action.ACKNOWLEDGE, "U2", "Ev2") == ("applied", 1, 1)
    assert len(fake_slack.calls_to("conversations.members")) == 1

    # A stranger is refused from the cached list alone, in one pass too.
    assert _move(bot, first, Action.RESOLVE, "U9", "Ev3") == ("denied", 1, 1)

    # Once the list is older than its TTL it is fetched again before anyone is authorised.
    clock.advance(MemberDirectory.TTL + timedelta(seconds=1))
    assert _move(bot, second, Action.RESOLVE, "U2", "Ev4", NOTE) == ("applied", 2, 2)
    assert len(fake_slack.calls_to("conversations.members")) == 2
    with Session(bot.services.engine) as session:
        assert [session.get(Case, case_id).status for case_id in (first, second)] == [
            "acknowledged",
            "resolved",
        ]
