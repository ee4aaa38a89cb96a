"""What the renderers draw from: a report as rows (one per figure and breakdown), and the chart's
weekly series. Pure; the CSV, the Block Kit summary and the chart all read these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from slackbot.domain.playbooks import Playbooks
from slackbot.domain.reporting import (
    Dimension,
    Measure,
    Report,
    Timing,
    change,
    deadline_label,
    hours,
    label_for,
)
from slackbot.domain.stats import Period

TOTAL = "total"
Value = float | None


@dataclass(frozen=True)
class FigureRow:
    """One figure (or one key of its breakdown) this period and the previous one."""

    figure: str
    breakdown: str
    key: str
    label: str
    unit: str
    current: Value
    previous: Value

    @property
    def change(self) -> Value:
        """Current minus previous."""
        return change(self.current, self.previous)


def _breakdown_rows(
    figure: str,
    breakdown: str,
    unit: str,
    current: Mapping[str, int],
    previous: Mapping[str, int],
    label: Callable[[str], str],
) -> list[FigureRow]:
    """One row per key seen in either period, this period's order first (0 where absent)."""
    keys = list(current) + [key for key in previous if key not in current]
    return [
        FigureRow(
            figure, breakdown, key, label(key), unit, current.get(key, 0), previous.get(key, 0)
        )
        for key in keys
    ]


def _keyed(
    figure: str, title: str, breakdown: Dimension | str, unit: str, now, before, label
) -> list[FigureRow]:
    """A total row, then its breakdown."""
    total = FigureRow(figure, TOTAL, "", title, unit, sum(now.values()), sum(before.values()))
    return [total, *_breakdown_rows(figure, str(breakdown), unit, now, before, label)]


def _measure_rows(report: Report, playbooks: Playbooks, measure: Measure) -> list[FigureRow]:
    now, before = report.current, report.previous
    rows = [
        FigureRow(
            measure.value,
            TOTAL,
            "",
            measure.label,
            "cases",
            now.total(measure),
            before.total(measure),
        )
    ]
    for dimension in Dimension:
        rows += _breakdown_rows(
            measure.value,
            dimension.value,
            "cases",
            now.breakdown(measure, dimension),
            before.breakdown(measure, dimension),
            lambda key, dimension=dimension: label_for(playbooks, dimension, key),
        )
    return rows


def _timing_rows(report: Report) -> list[FigureRow]:
    rows = []
    for timing in Timing:
        now, before = report.current.timings[timing], report.previous.timings[timing]
        rows += [
            FigureRow(
                f"{timing.value}_cases",
                TOTAL,
                "",
                f"{timing.label}: cases measured",
                "cases",
                now.count,
                before.count,
            ),
            FigureRow(
                f"{timing.value}_median",
                TOTAL,
                "",
                f"{timing.label}: median",
                "hours",
                hours(now.median),
                hours(before.median),
            ),
            FigureRow(
                f"{timing.value}_p90",
                TOTAL,
                "",
                f"{timing.label}: 90th percentile",
                "hours",
                hours(now.p90),
                hours(before.p90),
            ),
        ]
    return rows


def _other_rows(report: Report, playbooks: Playbooks) -> list[FigureRow]:
    now, before = report.current, report.previous
    rows = _keyed(
        "sla_misses",
        "Service-level misses",
        "deadline",
        "misses",
        now.sla_misses,
        before.sla_misses,
        deadline_label,
    )
    rows += _keyed(
        "pages_sent",
        "Pages sent",
        Dimension.PLAYBOOK,
        "pages",
        now.pages_sent,
        before.pages_sent,
        lambda key: label_for(playbooks, Dimension.PLAYBOOK, key),
    )
    rows += [
        FigureRow(
            "resolutions_needing_action",
            TOTAL,
            "",
            "Resolved with action still needed",
            "cases",
            now.resolutions_needing_action,
            before.resolutions_needing_action,
        ),
        FigureRow(
            "satisfaction_ratings",
            TOTAL,
            "",
            "Satisfaction ratings",
            "ratings",
            now.satisfaction.count,
            before.satisfaction.count,
        ),
        FigureRow(
            "satisfaction_mean",
            TOTAL,
            "",
            "Satisfaction: mean rating",
            "rating",
            now.satisfaction.mean,
            before.satisfaction.mean,
        ),
    ]
    rows += _keyed(
        "general_inquiries",
        "General inquiries",
        Dimension.CATEGORY,
        "inquiries",
        now.general_inquiries,
        before.general_inquiries,
        lambda key: label_for(playbooks, Dimension.CATEGORY, key),
    )
    return rows


def report_rows(report: Report, playbooks: Playbooks) -> list[FigureRow]:
    """Every figure and breakdown of the report, in reading order."""
    rows: list[FigureRow] = []
    for measure in Measure:
        rows += _measure_rows(report, playbooks, measure)
    return rows + _timing_rows(report) + _other_rows(report, playbooks)


# --- the chart's series ----------------------------------------------------------------------


@dataclass(frozen=True)
class WeeklySeries:
    """Per week, oldest first: cases opened and resolved by team, and the median time to resolve."""

    weeks: tuple[Period, ...]
    zone: str
    #: Team (playbook title) → one count per week.
    opened: Mapping[str, tuple[int, ...]]
    resolved: Mapping[str, tuple[int, ...]]
    median_resolution: tuple[timedelta | None, ...]

    @property
    def teams(self) -> list[str]:
        """Teams with any case in the span, busiest first."""
        totals = {
            team: sum(self.opened.get(team, ())) + sum(self.resolved.get(team, ()))
            for team in {*self.opened, *self.resolved}
        }
        return sorted(totals, key=lambda team: (-totals[team], team))


def weekly_series(
    weeks: Sequence[Period],
    zone: str,
    opened: Iterable[tuple[int, str, int]],
    resolved: Iterable[tuple[int, str, int]],
    medians: Sequence[timedelta | None],
    playbooks: Playbooks,
) -> WeeklySeries:
    """Arrange (week index, playbook id, count) rows into one count per week per team."""

    def spread(rows: Iterable[tuple[int, str, int]]) -> dict[str, tuple[int, ...]]:
        """Team → counts per week (0 for a week without a row)."""
        table: dict[str, list[int]] = {}
        for week, playbook_id, count in rows:
            team = label_for(playbooks, Dimension.PLAYBOOK, playbook_id)
            table.setdefault(team, [0] * len(weeks))[week] += count
        return {team: tuple(counts) for team, counts in table.items()}

    return WeeklySeries(tuple(weeks), zone, spread(opened), spread(resolved), tuple(medians))
