"""The move use case's guards, below the HTTP edge."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlmodel import Session

from slackbot.domain.status_machine import Action, Via
from slackbot.usecases.case_change import Actor, LostUpdate, Outcome, cas
from slackbot.usecases.move_case import move_case
from storage.db import write_session
from storage.models import Case
from tests.support.closing import NOTE


def make_case(engine, now) -> int:
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
            channel_id="C1",
            root_ts="1.1",
        )
        session.add(case)
        session.flush()
        return case.id


def test_a_stale_version_is_a_lost_update_not_an_overwrite(bot, clock):
    engine = bot.services.engine
    case_id = make_case(engine, clock.now())
    with Session(engine) as session:
        stale = session.get(Case, case_id)
        session.expunge(stale)
    with write_session(engine) as session:
        session.execute(update(Case).where(Case.id == case_id).values(version=Case.version + 1))
    with pytest.raises(LostUpdate), write_session(engine) as session:
        session.add(stale)
        cas(session, stale, {"status": "resolved"})
    with Session(engine) as session:
        assert session.get(Case, case_id).status == "open"


def test_membership_is_asked_for_before_anything_is_written(bot, clock):
    case_id = make_case(bot.services.engine, clock.now())
    asked = move_case(
        bot.services,
        case_id=case_id,
        action=Action.RESOLVE,
        resolution=NOTE,
        actor=Actor("U1"),
        via=Via.BUTTON,
        event_id="EvX",
        kick=False,
    )
    assert asked.outcome is Outcome.NEEDS_MEMBERS
    assert (asked.needs.tier, asked.needs.channel) == (1, "C1")
    # The event id was not kept: the retry with the members applies it.
    done = move_case(
        bot.services,
        case_id=case_id,
        action=Action.RESOLVE,
        resolution=NOTE,
        actor=Actor("U1", {1: frozenset({"U1"})}),
        via=Via.BUTTON,
        event_id="EvX",
        kick=False,
    )
    assert done.outcome is Outcome.APPLIED
    with Session(bot.services.engine) as session:
        assert (session.get(Case, case_id).status, session.get(Case, case_id).version) == (
            "resolved",
            2,
        )
