"""Report figures counted by the store, against answers worked out by hand below.

The seeded week is Monday 16 to Monday 23 November 2026 in Los Angeles (PST, UTC-8): it runs
from 08:00 UTC on the 16th to 08:00 UTC on the 23rd. The week before runs from 9 November.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from slackbot.domain.playbooks import DEFAULT_PLAYBOOKS_PATH, load_playbooks
from slackbot.domain.reporting import Dimension, Measure, PeriodKind, Timing
from slackbot.usecases.reporting import build_report, build_weekly_series
from storage.db import write_session
from storage.migrate import upgrade
from tests.support.cases import Seeder

LA = ZoneInfo("America/Los_Angeles")
PLAYBOOKS = load_playbooks(DEFAULT_PLAYBOOKS_PATH)
H = timedelta(hours=1)


def utc(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def engine(database):
    _, engine = database
    upgrade(engine)
    return engine


def seed_november(engine) -> None:
    """Seven cases over three playbooks; the comments give what each one counts as."""
    with write_session(engine) as session:
        s = Seeder(session)
        # 1. Opened the week before, resolved this week after 7 days.
        one = s.case(utc(11, 10, 16))
        s.move(one, "acknowledged", utc(11, 10, 18))  # acknowledged after 2 h (last week)
        s.move(one, "with_vendor", utc(11, 11, 16))
        s.update(one, utc(11, 12, 16), vendor_ticket="T-1")  # vendor answered after 24 h
        s.move(one, "resolved", utc(11, 17, 16))
        # 2. This week: acknowledged after 4 h, vendor answered after 24 h, closed unreachable.
        two = s.case(utc(11, 16, 9), tier=2, category="account")
        s.move(two, "acknowledged", utc(11, 16, 13))
        s.move(two, "with_vendor", utc(11, 16, 14))
        s.reminder(two, utc(11, 16, 18), "vendor_ack", miss=1)
        s.reminder(two, utc(11, 16, 22), "vendor_ack", miss=2)  # a repeat, not a new miss
        s.move(two, "vendor_contacting_user", utc(11, 17, 14))
        s.move(two, "closed_unreachable", utc(11, 20, 14))
        s.page(two, utc(11, 16, 10))
        # 3. Resolved (first move, after 24 h) and reopened this week: reopened, still open.
        three = s.case(
            utc(11, 17, 10),
            playbook="tier3",
            tier=3,
            category="appointments",
            requester_type="Patient",
            priority="normal",
        )
        s.move(three, "resolved", utc(11, 18, 10))
        s.move(three, "reopened", utc(11, 19, 10))
        # 4. Resolved after 6 h, reopened, resolved again 48 h after opening: resolved once.
        four = s.case(
            utc(11, 18, 12), playbook="assister", category="enrollment", requester_type="Assister"
        )
        s.move(four, "resolved", utc(11, 18, 18))
        s.move(four, "reopened", utc(11, 19, 12))
        s.move(four, "resolved", utc(11, 20, 12))
        # 5. Opened Sunday 22nd 12:00 PST, resolved Monday 23rd 01:00 PST: next week's.
        five = s.case(utc(11, 22, 20), playbook="tier3", category="records", priority="normal")
        s.move(five, "resolved", utc(11, 23, 9))
        # 6. Opened last week (Monday 02:00 PST), never touched; paged last week.
        six = s.case(
            utc(11, 9, 10), category="other", requester_type="Coordinator", priority="normal"
        )
        s.page(six, utc(11, 9, 11))
        # 7. Resolved and undone within minutes: acknowledged after 1 h, still open.
        seven = s.case(
            utc(11, 19, 10),
            playbook="tier3",
            tier=2,
            category="messaging",
            requester_type="Coordinator",
            priority="normal",
        )
        s.move(seven, "resolved", utc(11, 19, 11))
        s.move(seven, "acknowledged", utc(11, 19, 11, 5), kind="undo")


def test_an_empty_store_reports_zeros_and_no_timings(engine):
    report = build_report(engine, PLAYBOOKS, now=utc(11, 18, 17), zone=LA)
    for measure in Measure:
        assert report.current.total(measure) == 0
        assert report.previous.total(measure) == 0
    for timing in Timing:
        assert report.current.timings[timing].count == 0
        assert report.current.timings[timing].median is None
    assert report.current.sla_misses == {} and report.current.pages_sent == {}


def test_the_seeded_week_matches_the_hand_count(engine):
    seed_november(engine)
    report = build_report(engine, PLAYBOOKS, now=utc(11, 24, 17), zone=LA, last=True)
    now = report.current
    assert report.period.start == utc(11, 16, 8) and report.period.end == utc(11, 23, 8)
    totals = {measure: now.total(measure) for measure in Measure}
    assert totals == {
        Measure.OPENED: 5,  # 2, 3, 4, 5, 7
        Measure.RESOLVED: 2,  # 1, 4
        Measure.CLOSED_UNREACHABLE: 1,  # 2
        Measure.REOPENED: 2,  # 3, 4
        Measure.STILL_OPEN: 4,  # 3, 5, 6, 7
    }
    assert now.breakdown(Measure.OPENED, Dimension.PLAYBOOK) == {
        "tier3": 3,
        "assister": 1,
        "idv": 1,
    }
    assert now.breakdown(Measure.OPENED, Dimension.PRIORITY) == {"normal": 3, "high": 2}
    assert now.breakdown(Measure.RESOLVED, Dimension.TEAM) == {"assister/1": 1, "idv/1": 1}
    assert now.breakdown(Measure.STILL_OPEN, Dimension.CATEGORY) == {
        "idv/other": 1,
        "tier3/appointments": 1,
        "tier3/messaging": 1,
        "tier3/records": 1,
    }
    assert now.breakdown(Measure.STILL_OPEN, Dimension.REQUESTER_TYPE) == {
        "Coordinator": 2,
        "Clinician": 1,
        "Patient": 1,
    }


def test_the_seeded_week_timings_misses_and_pages(engine):
    seed_november(engine)
    report = build_report(engine, PLAYBOOKS, now=utc(11, 24, 17), zone=LA, last=True)
    timings = report.current.timings
    # First moves this week after 1, 4, 6 and 24 h: median (4 + 6) / 2, p90 6 + 0.7 × 18.
    acknowledge = timings[Timing.TO_ACKNOWLEDGE]
    assert (acknowledge.count, acknowledge.median, acknowledge.p90) == (4, 5 * H, 18.6 * H)
    vendor = timings[Timing.TO_VENDOR_RESPONSE]
    assert (vendor.count, vendor.median, vendor.p90) == (1, 24 * H, 24 * H)
    # Resolutions after 168 and 48 h: median 108, p90 48 + 0.9 × 120.
    resolution = timings[Timing.TO_RESOLUTION]
    assert (resolution.count, resolution.median, resolution.p90) == (2, 108 * H, 156 * H)
    assert report.current.sla_misses == {"vendor_ack": 1}
    assert report.current.pages_sent == {"idv": 1}


def test_the_previous_week_is_reported_alongside(engine):
    seed_november(engine)
    report = build_report(engine, PLAYBOOKS, now=utc(11, 24, 17), zone=LA, last=True)
    before = report.previous
    assert before.period.start == utc(11, 9, 8)
    assert before.total(Measure.OPENED) == 2  # 1, 6
    assert before.total(Measure.RESOLVED) == 0
    assert before.total(Measure.STILL_OPEN) == 2  # 1 (with the vendor), 6
    assert before.timings[Timing.TO_ACKNOWLEDGE].median == 2 * H
    assert before.timings[Timing.TO_VENDOR_RESPONSE].median == 24 * H
    assert before.pages_sent == {"idv": 1}


def test_a_case_spanning_weeks_counts_where_each_event_falls(engine):
    seed_november(engine)
    following = build_report(engine, PLAYBOOKS, now=utc(11, 24, 17), zone=LA)
    # Case 5, opened the week before, is resolved in this one; 3, 6 and 7 stay open.
    assert following.current.breakdown(Measure.RESOLVED, Dimension.PLAYBOOK) == {"tier3": 1}
    assert following.current.total(Measure.OPENED) == 0
    assert following.current.total(Measure.STILL_OPEN) == 3
    assert following.current.timings[Timing.TO_RESOLUTION].median == timedelta(hours=13)


def test_one_playbook_only(engine):
    seed_november(engine)
    report = build_report(
        engine, PLAYBOOKS, now=utc(11, 24, 17), zone=LA, last=True, playbook_id="tier3"
    )
    assert report.current.total(Measure.OPENED) == 3
    assert report.current.total(Measure.RESOLVED) == 0
    assert report.current.pages_sent == {}


def test_the_month(engine):
    seed_november(engine)
    report = build_report(
        engine, PLAYBOOKS, now=utc(12, 2, 17), zone=LA, kind=PeriodKind.MONTH, last=True
    )
    assert report.period.label == "November 2026"
    assert report.current.total(Measure.OPENED) == 7
    assert report.current.total(Measure.RESOLVED) == 3  # 1, 4, 5
    assert report.previous.period.label == "October 2026"


def test_week_boundaries_across_the_end_of_daylight_saving(engine):
    # Clocks went back on Sunday 1 November 2026: the week of 26 October lasts 169 hours,
    # from 07:00 UTC (PDT) to 08:00 UTC (PST).
    with write_session(engine) as session:
        s = Seeder(session)
        s.case(utc(10, 26, 6, 59))  # Sunday 25 October 23:59 PDT: the week before
        s.case(utc(10, 26, 7))  # Monday 00:00 PDT: first instant of the week
        s.case(utc(11, 2, 7, 30))  # Sunday 1 November 23:30 PST (a fixed UTC-7 says Monday)
        s.case(utc(11, 2, 8))  # Monday 2 November 00:00 PST: the week after
    report = build_report(engine, PLAYBOOKS, now=utc(11, 3, 17), zone=LA, last=True)
    assert (report.period.start, report.period.end) == (utc(10, 26, 7), utc(11, 2, 8))
    # (Subtract in UTC: Python subtracts datetimes of one zone by their wall clocks.)
    assert report.period.end.astimezone(UTC) - report.period.start.astimezone(UTC) == 169 * H
    assert report.current.total(Measure.OPENED) == 2
    assert report.previous.total(Measure.OPENED) == 1
    after = build_report(engine, PLAYBOOKS, now=utc(11, 3, 17), zone=LA)
    assert after.current.total(Measure.OPENED) == 1


def test_the_weekly_series_counts_each_week_by_team(engine):
    seed_november(engine)
    series = build_weekly_series(engine, PLAYBOOKS, now=utc(11, 24, 17), zone=LA, weeks=4)
    assert [week.start for week in series.weeks] == [
        utc(11, 2, 8),
        utc(11, 9, 8),
        utc(11, 16, 8),
        utc(11, 23, 8),
    ]
    idv, tier3 = "Identity verification vendor", "Portal tier 3 (platform team)"
    assister = "Marketplace assister escalation"
    assert series.opened == {idv: (0, 2, 1, 0), tier3: (0, 0, 3, 0), assister: (0, 0, 1, 0)}
    assert series.resolved == {idv: (0, 0, 1, 0), assister: (0, 0, 1, 0), tier3: (0, 0, 0, 1)}
    assert series.median_resolution == (None, None, 108 * H, 13 * H)
    # Busiest first (opened + resolved: 4, 4, 2), ties by name.
    assert series.teams == [idv, tier3, assister]
