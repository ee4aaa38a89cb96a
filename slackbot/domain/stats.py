"""The numbers leads read every week: cases by team and by category, opened and resolved.

Pure: takes plain case facts and a period, returns counts. The team of a case is the tier it sits
at (its playbook's tier name), which is how tiered help desks report their weekly numbers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from statistics import median
from zoneinfo import ZoneInfo

from slackbot.domain.durations import format_duration


@dataclass(frozen=True)
class CaseFacts:
    """What the report needs to know about one case."""

    team: str
    category: str
    opened_at: datetime
    closed_at: datetime | None
    closed_unreachable: bool = False


@dataclass(frozen=True)
class Period:
    """A half-open interval [start, end) with a label."""

    start: datetime
    end: datetime
    label: str

    def contains(self, when: datetime | None) -> bool:
        """Whether `when` falls in the period."""
        return when is not None and self.start <= when < self.end


@dataclass
class Report:
    """Counts for one period."""

    period: Period
    opened_by_team: Counter[str] = field(default_factory=Counter)
    opened_by_category: Counter[str] = field(default_factory=Counter)
    closed_by_team: Counter[str] = field(default_factory=Counter)
    still_open_by_team: Counter[str] = field(default_factory=Counter)
    unreachable: int = 0
    resolution_times: list[timedelta] = field(default_factory=list)

    @property
    def opened(self) -> int:
        """Cases opened in the period."""
        return sum(self.opened_by_team.values())

    @property
    def closed(self) -> int:
        """Cases closed in the period."""
        return sum(self.closed_by_team.values())

    @property
    def median_resolution(self) -> timedelta | None:
        """Median time from opening to closing of the cases closed in the period."""
        return median(self.resolution_times) if self.resolution_times else None


def week_of(day: date, zone: ZoneInfo) -> Period:
    """The Monday-to-Monday week containing `day`, in `zone`."""
    monday = day - timedelta(days=day.weekday())
    start = datetime.combine(monday, time(0), tzinfo=zone)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=zone)
    return Period(start, end, f"week of {monday:%Y-%m-%d}")


def month_of(day: date, zone: ZoneInfo) -> Period:
    """The calendar month containing `day`, in `zone`."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period(
        datetime.combine(first, time(0), tzinfo=zone),
        datetime.combine(following, time(0), tzinfo=zone),
        f"{first:%B %Y}",
    )


def build_report(cases: list[CaseFacts], period: Period) -> Report:
    """Count what was opened, closed and left open in `period`."""
    report = Report(period)
    for case in cases:
        if period.contains(case.opened_at):
            report.opened_by_team[case.team] += 1
            report.opened_by_category[case.category] += 1
        if period.contains(case.closed_at):
            report.closed_by_team[case.team] += 1
            report.resolution_times.append(case.closed_at - case.opened_at)
            report.unreachable += int(case.closed_unreachable)
        if case.opened_at < period.end and (case.closed_at is None or case.closed_at >= period.end):
            report.still_open_by_team[case.team] += 1
    return report


def render_report(report: Report) -> str:
    """The report as mrkdwn text (team and category names come from playbooks, not users)."""

    def table(counter: Counter[str]) -> str:
        if not counter:
            return "  none"
        return "\n".join(f"  • {name}: {count}" for name, count in counter.most_common())

    median_text = format_duration(report.median_resolution) if report.median_resolution else "—"
    return "\n".join(
        [
            f"*Escalations, {report.period.label}*",
            f"Opened {report.opened} · closed {report.closed} "
            f"({report.unreachable} as unreachable) · median time to close {median_text}",
            "*Opened by team*",
            table(report.opened_by_team),
            "*Opened by category*",
            table(report.opened_by_category),
            "*Still open at the end of the period, by team*",
            table(report.still_open_by_team),
        ]
    )
