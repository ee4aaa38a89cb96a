"""The report as people read it in Slack: the main figures with their change against the
previous period, the busiest teams, and a pointer to the CSV and chart. Pure."""

from __future__ import annotations

from typing import Any

from slackbot.domain.mrkdwn import escape
from slackbot.domain.playbooks import Playbooks
from slackbot.domain.report_views import TOTAL, FigureRow, report_rows
from slackbot.domain.reporting import Dimension, Measure, Report, label_for
from slackbot.render.elements import plain

#: The figures the summary leads with, in this order (the CSV has every one).
HEADLINE = (
    "opened",
    "resolved",
    "still_open",
    "reopened",
    "closed_unreachable",
    "time_to_acknowledge_median",
    "time_to_vendor_response_median",
    "time_to_resolution_median",
    "time_to_resolution_p90",
    "sla_misses",
    "pages_sent",
    "general_inquiries",
    # Issue 13: what the resolution notes and the openers' ratings say.
    "resolutions_needing_action",
    "satisfaction_mean",
)
#: Teams shown by name in the summary; the rest are in the CSV.
TOP_TEAMS = 8


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "hours":
        return f"{value:.1f} h"
    return f"{value:g}"


def _change(row: FigureRow) -> str:
    delta = row.change
    if delta is None or delta == 0:
        return "no change" if delta == 0 else "no earlier figure"
    arrow = "▲" if delta > 0 else "▼"
    amount = f"{abs(delta):.1f} h" if row.unit == "hours" else f"{abs(delta):g}"
    return f"{arrow} {amount}"


def _headline(rows: list[FigureRow]) -> list[FigureRow]:
    totals = {row.figure: row for row in rows if row.breakdown in (TOTAL, "")}
    return [totals[name] for name in HEADLINE if name in totals]


def report_title(report: Report, playbooks: Playbooks) -> str:
    """ "Escalations, week of 23 Nov 2026 (Identity verification vendor)"."""
    scope = ""
    if report.playbook_id:
        playbook = playbooks.get(report.playbook_id)
        scope = f" ({playbook.title if playbook else report.playbook_id})"
    return f"Escalations, {report.period.label}{scope}"


def summary_line(report: Report) -> str:
    """One line of the main counts: what a notification or a screen reader gets."""
    figures = report.current
    return (
        f"Opened {figures.total(Measure.OPENED)} · resolved {figures.total(Measure.RESOLVED)} · "
        f"still open {figures.total(Measure.STILL_OPEN)} · "
        f"closed unreachable {figures.total(Measure.CLOSED_UNREACHABLE)}"
    )


def _team_lines(report: Report, playbooks: Playbooks) -> str:
    opened = report.current.breakdown(Measure.OPENED, Dimension.TEAM)
    resolved = report.current.breakdown(Measure.RESOLVED, Dimension.TEAM)
    teams = sorted(
        {*opened, *resolved}, key=lambda t: (-(opened.get(t, 0) + resolved.get(t, 0)), t)
    )
    lines = [
        f"• {escape(label_for(playbooks, Dimension.TEAM, team))}: "
        f"{opened.get(team, 0)} opened, {resolved.get(team, 0)} resolved"
        for team in teams[:TOP_TEAMS]
    ]
    if len(teams) > TOP_TEAMS:
        lines.append(f"• and {len(teams) - TOP_TEAMS} more teams (see the CSV)")
    return "\n".join(lines) or "No cases in this period."


def build_report_message(
    report: Report, playbooks: Playbooks, *, files_note: str = ""
) -> tuple[str, list[dict[str, Any]]]:
    """(notification text, blocks) of the report summary."""
    title = report_title(report, playbooks)
    rows = _headline(report_rows(report, playbooks))
    fields = [
        {
            "type": "mrkdwn",
            "text": f"*{escape(row.label)}*\n{_number(row.current, row.unit)} ({_change(row)})",
        }
        for row in rows
    ]
    blocks: list[dict[str, Any]] = [{"type": "header", "text": plain(title, 150)}]
    # A section holds at most 10 fields.
    for start in range(0, len(fields), 10):
        blocks.append({"type": "section", "fields": fields[start : start + 10]})
    blocks.append(
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*By team*\n" + _team_lines(report, playbooks)},
        }
    )
    context = f"Compared with {report.previous.period.label}, times in {report.zone}."
    if files_note:
        context += f" {files_note}"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(context)}]})
    return f"{title}: {summary_line(report)}", blocks
