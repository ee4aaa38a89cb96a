"""Reports count resolutions with action still needed and the openers' ratings (issue 13), on
SQLite and PostgreSQL. The week reported runs from Monday 16 November 08:00 UTC (00:00 in Los
Angeles) to Monday the 23rd; the week before from the 9th."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from slackbot.domain.playbooks import DEFAULT_PLAYBOOKS_PATH, load_playbooks
from slackbot.domain.reporting import Satisfaction
from slackbot.render.report_blocks import build_report_message
from slackbot.usecases.reporting import build_report
from storage.db import write_session
from storage.migrate import upgrade
from tests.support.cases import Seeder

LA = ZoneInfo("America/Los_Angeles")
PLAYBOOKS = load_playbooks(DEFAULT_PLAYBOOKS_PATH)


def utc(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def engine(database):
    _, engine = database
    upgrade(engine)
    return engine


def seed(engine) -> None:
    with write_session(engine) as session:
        s = Seeder(session)
        needs = s.case(utc(11, 16, 10))  # resolved this week, action still needed: counts
        s.move(needs, "resolved", utc(11, 17, 10), action_needed=True)
        done = s.case(utc(11, 16, 10))  # resolved this week, nothing left to do
        s.move(done, "resolved", utc(11, 17, 11), action_needed=False)
        undone = s.case(utc(11, 16, 10))  # needed action, but reopened before the week ended
        s.move(undone, "resolved", utc(11, 18, 10), action_needed=True)
        s.move(undone, "reopened", utc(11, 19, 10))
        later = s.case(utc(11, 16, 10), playbook="tier3", tier=2)  # resolved twice: the
        s.move(later, "resolved", utc(11, 18, 12), action_needed=False)  # later note holds
        s.move(later, "reopened", utc(11, 19, 12))
        s.move(later, "resolved", utc(11, 20, 12), action_needed=True)
        before = s.case(utc(11, 10, 10))  # last week's
        s.move(before, "resolved", utc(11, 11, 10), action_needed=True)
        for case, score, at in (
            (needs, 4, utc(11, 17, 12)),
            (done, 2, utc(11, 18, 12)),
            (before, 5, utc(11, 12, 10)),
        ):
            case.rating, case.rated_at = score, at
            session.add(case)


def test_action_still_needed_and_ratings_are_counted_per_period(engine):
    seed(engine)
    report = build_report(engine, PLAYBOOKS, now=utc(11, 24, 17), zone=LA, last=True)
    assert report.current.resolutions_needing_action == 2
    assert report.previous.resolutions_needing_action == 1
    assert report.current.satisfaction == Satisfaction(count=2, mean=3.0)
    assert report.previous.satisfaction == Satisfaction(count=1, mean=5.0)


def test_one_playbook_only(engine):
    seed(engine)
    report = build_report(
        engine, PLAYBOOKS, now=utc(11, 24, 17), zone=LA, last=True, playbook_id="tier3"
    )
    assert report.current.resolutions_needing_action == 1
    assert report.current.satisfaction == Satisfaction()


def test_the_report_answer_shows_them(engine):
    seed(engine)
    report = build_report(engine, PLAYBOOKS, now=utc(11, 24, 17), zone=LA, last=True)
    _, blocks = build_report_message(report, PLAYBOOKS)
    fields = [f["text"] for b in blocks if b["type"] == "section" for f in b.get("fields", [])]
    assert "*Resolved with action still needed*\n2 (▲ 1)" in fields
    assert "*Satisfaction: mean rating*\n3 (▼ 2)" in fields
