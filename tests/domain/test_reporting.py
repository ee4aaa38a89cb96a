"""Report periods in a zone (across daylight saving), roll-ups, percentiles and report rows."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from slackbot.domain.playbooks import DEFAULT_PLAYBOOKS_PATH, load_playbooks
from slackbot.domain.report_views import TOTAL, report_rows
from slackbot.domain.reporting import (
    Dimension,
    GroupCount,
    Measure,
    PeriodFigures,
    PeriodKind,
    Quantiles,
    Report,
    Timing,
    interpolate,
    label_for,
    our_zone,
    percentile_rank,
    previous_period,
    report_period,
    roll_up,
    trailing_weeks,
    utc_bounds,
)

LA = ZoneInfo("America/Los_Angeles")
PLAYBOOKS = load_playbooks(DEFAULT_PLAYBOOKS_PATH)


def utc(month, day, hour=0, year=2026):
    return datetime(year, month, day, hour, tzinfo=UTC)


def test_this_and_last_week_start_on_monday_midnight_in_the_zone():
    now = utc(11, 18, 17)  # Wednesday 09:00 PST
    week = report_period(PeriodKind.WEEK, now, LA)
    assert (week.start.astimezone(UTC), week.end.astimezone(UTC)) == (
        utc(11, 16, 8),
        utc(11, 23, 8),
    )
    last = report_period(PeriodKind.WEEK, now, LA, last=True)
    assert last.start.astimezone(UTC) == utc(11, 9, 8)
    # Sunday 23:30 PST is still this week, although it is Monday in UTC.
    assert report_period(PeriodKind.WEEK, datetime(2026, 11, 23, 7, 30, tzinfo=UTC), LA) == week


def test_weeks_that_change_clocks_are_longer_or_shorter_by_an_hour():
    autumn = report_period(PeriodKind.WEEK, utc(10, 28, 12), LA)
    spring = report_period(PeriodKind.WEEK, utc(3, 5, 12), LA)  # clocks go forward on 8 March
    assert autumn.start.astimezone(UTC) == utc(10, 26, 7)  # PDT
    assert autumn.end.astimezone(UTC) == utc(11, 2, 8)  # PST
    assert spring.start.astimezone(UTC) == utc(3, 2, 8)
    assert spring.end.astimezone(UTC) == utc(3, 9, 7)
    lengths = [p.end.astimezone(UTC) - p.start.astimezone(UTC) for p in (autumn, spring)]
    assert lengths == [timedelta(hours=169), timedelta(hours=167)]


def test_months_and_their_previous_month():
    january = report_period(PeriodKind.MONTH, utc(1, 20, 12, year=2027), LA)
    assert january.label == "January 2027"
    assert previous_period(PeriodKind.MONTH, january).label == "December 2026"
    march = report_period(PeriodKind.MONTH, utc(3, 31, 12), LA)
    assert previous_period(PeriodKind.MONTH, march).start.astimezone(UTC) == utc(2, 1, 8)


def test_trailing_weeks_are_consecutive_and_end_with_the_period():
    last = report_period(PeriodKind.WEEK, utc(11, 18, 17), LA, last=True)
    weeks = trailing_weeks(last, 12)
    assert len(weeks) == 12 and weeks[-1] == last
    bounds = utc_bounds(weeks)
    assert len(bounds) == 13 and bounds == sorted(bounds)
    assert all(a.end == b.start for a, b in zip(weeks, weeks[1:], strict=False))
    # Twelve weeks back from 9 November crosses the end of daylight saving on 1 November.
    assert bounds[0] == utc(8, 24, 7)


@pytest.mark.parametrize("values", [[1.0], [1.0, 2.0], [3.0, 1.0, 2.0, 4.0], [5.0, 1, 9, 2, 7]])
def test_percentiles_interpolate_as_the_inclusive_method(values):
    ordered = sorted(values)
    for q in (0.5, 0.9):
        index, fraction = percentile_rank(len(ordered), q)
        found = interpolate(ordered[index : index + 2], fraction)
        if len(ordered) > 1:
            expected = statistics.quantiles(ordered, n=10, method="inclusive")[int(q * 10) - 1]
        else:
            expected = ordered[0]
        assert found == pytest.approx(expected)
    index, fraction = percentile_rank(len(ordered), 0.5)
    assert interpolate(ordered[index : index + 2], fraction) == statistics.median(ordered)


def test_percentile_of_nothing_is_refused():
    with pytest.raises(ValueError):
        percentile_rank(0, 0.5)


GROUPS = [
    GroupCount("idv", 1, "access", "Clinician", "high", 3),
    GroupCount("idv", 2, "access", "Clinician", "high", 1),
    GroupCount("tier3", 1, "access", "Patient", "normal", 2),
]


def test_roll_up_by_each_dimension():
    assert roll_up(GROUPS, Dimension.PLAYBOOK) == {"idv": 4, "tier3": 2}
    assert roll_up(GROUPS, Dimension.TEAM) == {"idv/1": 3, "tier3/1": 2, "idv/2": 1}
    # Category ids repeat across playbooks with different meanings: kept apart.
    assert roll_up(GROUPS, Dimension.CATEGORY) == {"idv/access": 4, "tier3/access": 2}
    assert roll_up(GROUPS, Dimension.PRIORITY) == {"high": 4, "normal": 2}


def test_labels_come_from_the_playbooks():
    assert (
        label_for(PLAYBOOKS, Dimension.TEAM, "idv/2")
        == "Identity verification vendor: Tier 2 support"
    )
    assert label_for(PLAYBOOKS, Dimension.CATEGORY, "tier3/access") == (
        "Portal tier 3 (platform team): Cannot sign in or verify"
    )
    assert label_for(PLAYBOOKS, Dimension.PLAYBOOK, "gone") == "gone"
    assert label_for(PLAYBOOKS, Dimension.PRIORITY, "high") == "High"
    assert our_zone(PLAYBOOKS) == LA


def figures(period, groups, resolution=None):
    timings = {timing: Quantiles() for timing in Timing}
    if resolution is not None:
        timings[Timing.TO_RESOLUTION] = Quantiles(2, resolution, resolution * 2)
    return PeriodFigures(period, {Measure.OPENED: groups}, timings, sla_misses={"vendor_ack": 2})


def test_report_rows_pair_each_figure_with_the_previous_period():
    week = report_period(PeriodKind.WEEK, utc(11, 18, 17), LA)
    before = previous_period(PeriodKind.WEEK, week)
    report = Report(
        PeriodKind.WEEK,
        figures(week, GROUPS, timedelta(hours=5)),
        figures(before, GROUPS[2:], None),
        "America/Los_Angeles",
    )
    rows = {(row.figure, row.breakdown, row.key): row for row in report_rows(report, PLAYBOOKS)}
    opened = rows[("opened", TOTAL, "")]
    assert (opened.current, opened.previous, opened.change) == (6, 2, 4)
    idv = rows[("opened", "playbook", "idv")]
    assert (idv.current, idv.previous, idv.label) == (4, 0, "Identity verification vendor")
    median = rows[("time_to_resolution_median", TOTAL, "")]
    assert (median.current, median.previous, median.change, median.unit) == (
        5.0,
        None,
        None,
        "hours",
    )
    assert rows[("sla_misses", "deadline", "vendor_ack")].current == 2
    assert rows[("resolved", TOTAL, "")].current == 0
    assert rows[("resolutions_needing_action", TOTAL, "")].current == 0
