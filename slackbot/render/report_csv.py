"""A report as CSV, one row per figure and breakdown, ready to paste into a spreadsheet or slide."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from slackbot.domain.playbooks import Playbooks
from slackbot.domain.report_views import FigureRow, report_rows
from slackbot.domain.reporting import Report

COLUMNS = (
    "period",
    "period_start",
    "period_end",
    "previous_period",
    "figure",
    "breakdown",
    "key",
    "label",
    "unit",
    "value",
    "previous_value",
    "change",
)


def _number(value: float | None) -> str:
    """Whole numbers without a decimal point, others to two decimals, unknown as empty."""
    if value is None:
        return ""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}"


def _period_columns(report: Report) -> list[str]:
    period, previous = report.period, report.previous.period
    # The end is exclusive (local midnight); people read the last day the period covers.
    last_day = period.end.date() - timedelta(days=1)
    return [period.label, period.start.date().isoformat(), last_day.isoformat(), previous.label]


def _line(period: list[str], row: FigureRow) -> list[str]:
    return [
        *period,
        row.figure,
        row.breakdown,
        row.key,
        row.label,
        row.unit,
        _number(row.current),
        _number(row.previous),
        _number(row.change),
    ]


def build_report_csv(report: Report, playbooks: Playbooks) -> str:
    """The report's figures as CSV text with a header row (dates are local to the report's zone)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    period = _period_columns(report)
    writer.writerows(_line(period, row) for row in report_rows(report, playbooks))
    return out.getvalue()
