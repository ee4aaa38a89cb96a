"""Reports people read: a period's figures against the previous period, and the chart's weeks.

Read-only: one session per call, nothing written. Takes the engine, the playbooks, `now` and
the report's time zone rather than the services object, so any entry point (the `/escalate
report` subcommand, the weekly post, App Home, a script) can call it.
"""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session

from slackbot.domain.playbooks import Playbooks
from slackbot.domain.report_views import WeeklySeries, weekly_series
from slackbot.domain.reporting import (
    CHART_WEEKS,
    MEDIAN,
    Measure,
    PeriodFigures,
    PeriodKind,
    Report,
    Timing,
    previous_period,
    report_period,
    trailing_weeks,
    utc_bounds,
)
from slackbot.domain.stats import Period
from storage import reporting as queries


def period_figures(
    session: Session, period: Period, playbook_id: str | None = None
) -> PeriodFigures:
    """Every figure of `period`, counted by the store (inside the caller's session)."""
    start, end = period.start.astimezone(UTC), period.end.astimezone(UTC)
    args = (start, end, playbook_id)
    return PeriodFigures(
        period=period,
        groups={which: queries.measure(session, which, *args) for which in Measure},
        timings={which: queries.timing(session, which, *args) for which in Timing},
        sla_misses=queries.sla_misses(session, *args),
        pages_sent=queries.pages_sent(session, *args),
        resolutions_needing_action=queries.resolutions_needing_action(session, *args),
        satisfaction=queries.satisfaction_ratings(session, *args),
        general_inquiries=queries.general_inquiries(session, *args),
    )


def build_report(
    engine: Engine,
    playbooks: Playbooks,
    *,
    now,
    zone: ZoneInfo,
    kind: PeriodKind = PeriodKind.WEEK,
    last: bool = False,
    playbook_id: str | None = None,
) -> Report:
    """This (or the last) week's or month's figures, next to the period before it."""
    period = report_period(kind, now, zone, last=last)
    with Session(engine) as session:
        current = period_figures(session, period, playbook_id)
        previous = period_figures(session, previous_period(kind, period), playbook_id)
    return Report(PeriodKind(kind), current, previous, zone.key, playbook_id)


def build_weekly_series(
    engine: Engine,
    playbooks: Playbooks,
    *,
    now,
    zone: ZoneInfo,
    last: bool = False,
    weeks: int = CHART_WEEKS,
    playbook_id: str | None = None,
) -> WeeklySeries:
    """The chart's data: `weeks` weeks ending with this (or the last) week, by team."""
    spans = trailing_weeks(report_period(PeriodKind.WEEK, now, zone, last=last), weeks)
    bounds = utc_bounds(spans)
    with Session(engine) as session:
        opened = queries.weekly_opened(session, bounds, playbook_id)
        resolved = queries.weekly_resolved(session, bounds, playbook_id)
        medians = [
            queries.quantiles(
                session, queries.resolution_seconds(start, end, playbook_id), (MEDIAN,)
            ).median
            for start, end in zip(bounds, bounds[1:], strict=False)
        ]
    return weekly_series(spans, zone.key, opened, resolved, medians, playbooks)
