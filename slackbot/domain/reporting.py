"""Report figures for a week or a month in our time zone: periods, roll-ups, percentiles, deltas.

Pure. The storage layer counts in SQL and hands back small aggregated rows (`GroupCount`: one
per combination of playbook, tier, category, requester type and priority); this module rolls
them up into the breakdowns people read, turns sorted durations into percentiles, and lines
each figure up against the previous period. Nothing here knows about rows of cases.

Periods are half-open [start, end) and start at local midnight in the report's zone, so a week
that contains a daylight-saving change is 167 or 169 hours long and still Monday to Monday.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from slackbot.domain.deadlines import DeadlineKind
from slackbot.domain.playbooks import Playbooks
from slackbot.domain.stats import Period, month_of, week_of

#: The chart's span, and the usual one for trends.
CHART_WEEKS = 12
#: The percentiles every timing reports.
MEDIAN, P90 = 0.5, 0.9


class PeriodKind(StrEnum):
    """What a report covers."""

    WEEK = "week"
    MONTH = "month"


class Measure(StrEnum):
    """A count of cases in a period (see `storage.reporting` for the exact SQL definitions)."""

    OPENED = "opened"
    RESOLVED = "resolved"
    STILL_OPEN = "still_open"
    REOPENED = "reopened"
    CLOSED_UNREACHABLE = "closed_unreachable"

    @property
    def label(self) -> str:
        """Human wording for a summary or a spreadsheet."""
        return MEASURE_LABELS[self]


MEASURE_LABELS = {
    Measure.OPENED: "Opened",
    Measure.RESOLVED: "Resolved",
    Measure.STILL_OPEN: "Still open at the end of the period",
    Measure.REOPENED: "Reopened",
    Measure.CLOSED_UNREACHABLE: "Closed: end user unreachable",
}


class Dimension(StrEnum):
    """What a count is broken down by. Team is a playbook's tier ("Tier 2 support")."""

    PLAYBOOK = "playbook"
    TEAM = "team"
    CATEGORY = "category"
    REQUESTER_TYPE = "requester_type"
    PRIORITY = "priority"


class Timing(StrEnum):
    """A duration measured on every case that reached the milestone in the period."""

    TO_ACKNOWLEDGE = "time_to_acknowledge"
    TO_VENDOR_RESPONSE = "time_to_vendor_response"
    TO_RESOLUTION = "time_to_resolution"

    @property
    def label(self) -> str:
        """Human wording."""
        return TIMING_LABELS[self]


TIMING_LABELS = {
    Timing.TO_ACKNOWLEDGE: "Time to acknowledge",
    Timing.TO_VENDOR_RESPONSE: "Time to the vendor's first response",
    Timing.TO_RESOLUTION: "Time to resolution",
}


# --- periods ---------------------------------------------------------------------------------


def period_of(kind: PeriodKind, when: datetime, zone: ZoneInfo) -> Period:
    """The week (Monday to Monday) or calendar month containing `when`, in `zone`."""
    day = when.astimezone(zone).date()
    return month_of(day, zone) if PeriodKind(kind) is PeriodKind.MONTH else week_of(day, zone)


def previous_period(kind: PeriodKind, period: Period) -> Period:
    """The week or month just before `period`, in the same zone."""
    zone = period.start.tzinfo
    return period_of(kind, period.start - timedelta(hours=1), zone)


def report_period(kind: PeriodKind, now: datetime, zone: ZoneInfo, *, last: bool = False) -> Period:
    """This week or month so far, or (`last`) the previous complete one."""
    current = period_of(kind, now, zone)
    return previous_period(kind, current) if last else current


def trailing_weeks(period: Period, count: int = CHART_WEEKS) -> list[Period]:
    """`count` consecutive weeks, oldest first, ending with the week that contains `period`'s end."""
    last = period_of(PeriodKind.WEEK, period.end - timedelta(seconds=1), period.start.tzinfo)
    weeks = [last]
    while len(weeks) < count:
        weeks.insert(0, previous_period(PeriodKind.WEEK, weeks[0]))
    return weeks


def utc_bounds(periods: Sequence[Period]) -> list[datetime]:
    """The UTC instants between consecutive periods: n periods give n + 1 bounds."""
    return [periods[0].start.astimezone(UTC)] + [p.end.astimezone(UTC) for p in periods]


def our_zone(playbooks: Playbooks) -> ZoneInfo:
    """Reports follow our team's time zone: the first playbook's business hours, else UTC."""
    first = next(iter(playbooks), None)
    return first.hours.ours.zone if first else ZoneInfo("UTC")


# --- counts and breakdowns -------------------------------------------------------------------


@dataclass(frozen=True)
class GroupCount:
    """How many cases of one playbook, tier, category, requester type and priority."""

    playbook_id: str
    tier: int
    category: str
    requester_type: str
    priority: str
    count: int

    def key(self, dimension: Dimension) -> str:
        """This group's key along `dimension`; tiers and categories are per playbook."""
        return {
            Dimension.PLAYBOOK: self.playbook_id,
            Dimension.TEAM: f"{self.playbook_id}/{self.tier}",
            Dimension.CATEGORY: f"{self.playbook_id}/{self.category}",
            Dimension.REQUESTER_TYPE: self.requester_type,
            Dimension.PRIORITY: self.priority,
        }[dimension]


def roll_up(groups: Iterable[GroupCount], dimension: Dimension) -> dict[str, int]:
    """Counts by one dimension, largest first (ties by key, so output is stable)."""
    counts: Counter[str] = Counter()
    for group in groups:
        counts[group.key(dimension)] += group.count
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def label_for(playbooks: Playbooks, dimension: Dimension, key: str) -> str:
    """What people call a breakdown key: the playbook's title, the tier's or category's name."""
    playbook_id, _, rest = key.partition("/")
    playbook = playbooks.get(playbook_id)
    if dimension is Dimension.PLAYBOOK:
        return playbook.title if playbook else key
    if dimension is Dimension.TEAM and playbook and rest.isdigit():
        tier = playbook.tier(int(rest))
        return f"{playbook.title}: {tier.name}" if tier else key
    if dimension is Dimension.CATEGORY and playbook:
        category = playbook.category(rest)
        return f"{playbook.title}: {category.label}" if category else key
    if dimension is Dimension.PRIORITY:
        return key.capitalize()
    return key


# --- percentiles -----------------------------------------------------------------------------


def percentile_rank(count: int, q: float) -> tuple[int, float]:
    """Where the q-th percentile of `count` sorted values lies: (index of the lower value, fraction).

    Linear interpolation between closest ranks, as PostgreSQL's `percentile_cont` and Python's
    `statistics.quantiles(method="inclusive")`: the median of 1, 2, 3, 4 is 2.5.
    """
    if count <= 0:
        raise ValueError("no values")
    position = q * (count - 1)
    index = int(position)
    return index, position - index


def interpolate(values: Sequence[float], fraction: float) -> float:
    """The value `fraction` of the way from values[0] to values[1] (one value: itself)."""
    if len(values) == 1 or fraction == 0:
        return values[0]
    return values[0] + (values[1] - values[0]) * fraction


@dataclass(frozen=True)
class Quantiles:
    """How many cases were measured, and their median and 90th percentile."""

    count: int = 0
    median: timedelta | None = None
    p90: timedelta | None = None


def seconds(value: float | None) -> timedelta | None:
    """A duration from seconds, to the whole second (SQLite's date arithmetic is floating point)."""
    return None if value is None else timedelta(seconds=round(value))


# --- a period's figures, and the report --------------------------------------------------------


@dataclass(frozen=True)
class Satisfaction:
    """Satisfaction ratings collected in the period."""

    count: int = 0
    mean: float | None = None


@dataclass(frozen=True)
class PeriodFigures:
    """Every figure of one period, as counted by the store."""

    period: Period
    groups: Mapping[Measure, Sequence[GroupCount]]
    timings: Mapping[Timing, Quantiles]
    sla_misses: Mapping[str, int] = field(default_factory=dict)
    pages_sent: Mapping[str, int] = field(default_factory=dict)
    resolutions_needing_action: int = 0
    satisfaction: Satisfaction = Satisfaction()
    general_inquiries: Mapping[str, int] = field(default_factory=dict)

    def total(self, measure: Measure) -> int:
        """All cases counted by `measure`."""
        return sum(group.count for group in self.groups.get(measure, ()))

    def breakdown(self, measure: Measure, dimension: Dimension) -> dict[str, int]:
        """`measure` by `dimension`."""
        return roll_up(self.groups.get(measure, ()), dimension)


@dataclass(frozen=True)
class Report:
    """A period's figures next to the previous period's, and the names to show them by."""

    kind: PeriodKind
    current: PeriodFigures
    previous: PeriodFigures
    zone: str
    playbook_id: str | None = None

    @property
    def period(self) -> Period:
        """The period reported on."""
        return self.current.period


def change(current: float | None, previous: float | None) -> float | None:
    """Current minus previous, or None when either is unknown."""
    if current is None or previous is None:
        return None
    return current - previous


def hours(value: timedelta | None) -> float | None:
    """A duration in hours to two decimals: what a spreadsheet sums and charts."""
    return None if value is None else round(value.total_seconds() / 3600, 2)


def deadline_label(kind: str) -> str:
    """What a missed service-level clock was, in words."""
    try:
        return DeadlineKind(kind).label
    except ValueError:
        return kind
