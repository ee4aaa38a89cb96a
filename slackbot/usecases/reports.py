"""The weekly (and monthly) numbers: read cases overlapping a period and count them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_
from sqlmodel import Session, select

from slackbot.domain.cases import CaseStatus
from slackbot.domain.clock import ensure_utc
from slackbot.domain.stats import (
    CaseFacts,
    Period,
    Report,
    build_report,
    month_of,
    week_of,
)
from slackbot.services import Services
from storage.models import Case


def report_zone(services: Services) -> ZoneInfo:
    """Reports follow our team's time zone (the first playbook's business hours)."""
    first = next(iter(services.playbooks), None)
    return first.hours.ours.zone if first else ZoneInfo("UTC")


def period_for(services: Services, *, kind: str, previous: bool, now: datetime) -> Period:
    """This or the previous week or month, in our time zone."""
    zone = report_zone(services)
    today = now.astimezone(zone).date()
    if kind == "month":
        period = month_of(today, zone)
        return month_of(period.start.date() - timedelta(days=1), zone) if previous else period
    period = week_of(today, zone)
    return week_of(today - timedelta(days=7), zone) if previous else period


def build_period_report(services: Services, period: Period) -> Report:
    """Count the cases that overlap `period`."""
    # Compare in UTC: SQLite stores timestamps as UTC wall-clock text.
    start, end = period.start.astimezone(UTC), period.end.astimezone(UTC)
    with Session(services.engine) as session:
        rows = session.exec(
            select(Case).where(
                Case.opened_at < end,
                or_(Case.closed_at.is_(None), Case.closed_at >= start),
            )
        ).all()
    facts = []
    for case in rows:
        playbook = services.playbooks.get(case.playbook_id)
        tier = playbook.tier(case.tier) if playbook else None
        category = playbook.category(case.category) if playbook else None
        team = f"{playbook.title}: {tier.name}" if playbook and tier else case.playbook_id
        facts.append(
            CaseFacts(
                team=team,
                category=category.label if category else case.category,
                opened_at=ensure_utc(case.opened_at),
                closed_at=ensure_utc(case.closed_at) if case.closed_at else None,
                closed_unreachable=case.status == CaseStatus.CLOSED_UNREACHABLE.value,
            )
        )
    return build_report(facts, period)
