"""Weekly and monthly numbers from plain case facts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from slackbot.domain.stats import CaseFacts, build_report, month_of, render_report, week_of

LA = ZoneInfo("America/Los_Angeles")


def at(day, hour=12):
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def test_week_counts_by_team_and_category():
    week = week_of(date(2026, 11, 18), LA)
    assert week.start == datetime(2026, 11, 16, tzinfo=LA)
    cases = [
        CaseFacts("Tier 1", "Access", at(16), at(17)),
        CaseFacts("Tier 1", "Access", at(17), None),
        CaseFacts("Tier 3", "Appointments", at(18), at(20), closed_unreachable=True),
        CaseFacts("Tier 3", "Appointments", at(9), at(16)),  # opened the week before
        CaseFacts("Tier 2", "Other", at(24), None),  # the week after
    ]
    report = build_report(cases, week)
    assert report.opened == 3
    assert report.opened_by_team == {"Tier 1": 2, "Tier 3": 1}
    assert report.opened_by_category == {"Access": 2, "Appointments": 1}
    assert report.closed == 3
    assert report.unreachable == 1
    assert report.still_open_by_team == {"Tier 1": 1}
    assert report.median_resolution == timedelta(days=2)
    text = render_report(report)
    assert "Opened 3 · closed 3 (1 as unreachable)" in text
    assert "Tier 1: 2" in text


def test_month_boundaries():
    month = month_of(date(2026, 12, 31), LA)
    assert (month.start.day, month.end.month, month.end.year) == (1, 1, 2027)
    assert month.label == "December 2026"
