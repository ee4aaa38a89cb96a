"""Reports delivered in Slack: `/escalate report` (a summary now, the CSV and chart by DM) and
the weekly post (summary in the channel, CSV and chart in its thread), exactly once a week.

The files are an outbox item: they are built when performed, from the store as it is then,
for the period the request named, so a retry after a crash uploads the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, select

from slackbot.domain.reporting import PeriodKind, Report, our_zone
from slackbot.domain.vocabulary import OutboxKind, OutboxState
from slackbot.effects import PermanentFailure, RetryLater
from slackbot.render.chart import render_chart
from slackbot.render.report_blocks import build_report_message, report_title
from slackbot.render.report_csv import build_report_csv
from slackbot.usecases.outbox import enqueue
from slackbot.usecases.reporting import build_report, build_weekly_series
from storage.db import write_session
from storage.models import OutboxItem

if TYPE_CHECKING:
    from slackbot.services import Services

WAIT_FOR_SUMMARY = timedelta(seconds=2)
FILES_NOTE = "The CSV and the chart follow."


@dataclass(frozen=True)
class ReportRequest:
    """Which report: week or month, this one or the last complete one, one playbook or all."""

    kind: PeriodKind = PeriodKind.WEEK
    last: bool = False
    playbook_id: str | None = None

    def payload(self, as_of: datetime) -> dict[str, Any]:
        """What the files item needs to build the same report again."""
        return {
            "kind": self.kind.value,
            "last": self.last,
            "playbook": self.playbook_id,
            "as_of": as_of.isoformat(),
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> ReportRequest:
        """The request an outbox payload describes."""
        return cls(PeriodKind(payload["kind"]), bool(payload["last"]), payload.get("playbook"))


def report_for(services: Services, request: ReportRequest, now: datetime) -> Report:
    """The report's figures, in our time zone."""
    return build_report(
        services.engine,
        services.playbooks,
        now=now,
        zone=our_zone(services.playbooks),
        kind=request.kind,
        last=request.last,
        playbook_id=request.playbook_id,
    )


def request_report(
    services: Services, request: ReportRequest, *, user: str
) -> tuple[str, list[dict[str, Any]]]:
    """The summary to show now; the CSV and chart are queued for the user's DM."""
    now = services.clock.now()
    report = report_for(services, request, now)
    with write_session(services.engine) as session:
        enqueue(
            session,
            kind=OutboxKind.REPORT_FILES,
            payload={**request.payload(now), "to": user},
            now=now,
        )
    return build_report_message(
        report, services.playbooks, files_note="The CSV and the chart are on their way by DM."
    )


def weekly_due(now: datetime, zone, *, weekday: int = 0, at: time = time(8, 0)) -> datetime:
    """The latest `weekday` at `at` (our time; Monday 08:00 unless told) at or before `now`."""
    local = now.astimezone(zone)
    day = local.date() - timedelta(days=(local.weekday() - weekday) % 7)
    due = datetime.combine(day, at, tzinfo=zone)
    return due if due <= local else due - timedelta(days=7)


def post_weekly_report(services: Services) -> bool:
    """Post last week's report to WEEKLY_REPORT_CHANNEL once per week; True if queued now.

    Run on every scheduler tick: the outbox's dedup key (the week) makes it once across ticks,
    replicas and restarts, and a week whose Monday passed while no replica was up is posted
    when one comes up.
    """
    channel = services.settings.weekly_report_channel
    if not channel:
        return False
    zone = our_zone(services.playbooks)
    settings = services.settings
    due = weekly_due(
        services.clock.now(),
        zone,
        weekday=settings.weekly_report_day,
        at=settings.weekly_report_time,
    )
    request = ReportRequest(PeriodKind.WEEK, last=True)
    report = report_for(services, request, due)
    week = report.period.start.date().isoformat()
    text, blocks = build_report_message(report, services.playbooks, files_note=FILES_NOTE)
    now = services.clock.now()
    key = f"weekly-report:{week}"
    with write_session(services.engine) as session:
        if session.exec(select(OutboxItem.id).where(OutboxItem.dedup_key == key)).first():
            return False
        enqueue(
            session,
            kind=OutboxKind.SLACK_CHANNEL_POST,
            payload={"channel": channel, "text": text, "blocks": blocks},
            now=now,
            dedup_key=key,
        )
        enqueue(
            session,
            kind=OutboxKind.REPORT_FILES,
            payload={**request.payload(due), "after": key},
            now=now,
            dedup_key=f"weekly-report-files:{week}",
        )
    services.outbox.kick()
    return True


class ReportFiles:
    """The outbox performer that builds a report's CSV and chart and shares them."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def _where(self, payload: dict[str, Any]) -> tuple[str, str | None]:
        """(channel or user, thread ts): the weekly files go under their summary message."""
        after = payload.get("after")
        if not after:
            return payload["to"], None
        with Session(self.services.engine) as session:
            summary = session.exec(select(OutboxItem).where(OutboxItem.dedup_key == after)).first()
        if summary is None or summary.state == OutboxState.FAILED:
            raise PermanentFailure(f"the report summary {after} was never posted")
        if summary.state != OutboxState.DONE:
            raise RetryLater("waiting for the report summary", WAIT_FOR_SUMMARY, count=False)
        return summary.result["channel"], summary.result["ts"]

    def perform(self, item: OutboxItem) -> dict[str, Any]:
        """Build the files from the store and share them."""
        payload = item.payload
        channel, thread_ts = self._where(payload)
        request = ReportRequest.from_payload(payload)
        as_of = datetime.fromisoformat(payload["as_of"])
        services = self.services
        report = report_for(services, request, as_of)
        series = build_weekly_series(
            services.engine,
            services.playbooks,
            now=as_of,
            zone=our_zone(services.playbooks),
            last=request.last,
            playbook_id=request.playbook_id,
        )
        stem = f"escalations-{request.kind.value}-{report.period.start:%Y-%m-%d}"
        csv = build_report_csv(report, services.playbooks).encode()
        uploads = [
            {"filename": f"{stem}.csv", "content": csv, "title": "Figures (CSV)"},
            {"filename": f"{stem}.png", "content": render_chart(series), "title": "Last 12 weeks"},
        ]
        title = report_title(report, services.playbooks)
        ids = services.uploader.share(channel, uploads, comment=title, thread_ts=thread_ts)
        return {"files": ids}
