"""The App Home tab: the viewer's open cases with status and what is overdue, the cases waiting
on them, the team's week, and buttons to each thread. Paged, never silently cut. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from slackbot.domain.cases import CaseStatus
from slackbot.domain.durations import format_duration
from slackbot.domain.intake import ESCALATION_DEFINITION
from slackbot.domain.mrkdwn import escape, mention, one_line
from slackbot.render.elements import plain
from slackbot.render.ids import HomeAction
from slackbot.render.long_text import SECTION_LIMIT, cut_mrkdwn

#: Cases per page: each is one block, and a Home tab holds at most 100.
PAGE_SIZE = 15


@dataclass(frozen=True)
class HomeCase:
    """One case as the Home tab lists it."""

    key: str
    case_id: int
    summary: str
    status: CaseStatus
    team: str
    owner_id: str | None
    #: (what, how late), most overdue first.
    overdue: tuple[tuple[str, timedelta], ...]
    link: str | None


@dataclass(frozen=True)
class HomeView:
    """Everything the Home tab shows."""

    page: int
    pages: int
    total: int
    cases: tuple[HomeCase, ...]
    waiting: tuple[HomeCase, ...]
    week_label: str
    #: This week: opened, resolved, still open (all teams).
    week: tuple[int, int, int]


def _case_text(case: HomeCase) -> str:
    owner = mention(case.owner_id) if case.owner_id else "nobody yet"
    line = (
        f"*{case.key}* · {escape(one_line(case.summary, 120))}\n"
        f"{case.status.emoji} {case.status.label} · {escape(case.team)} · owner {owner}"
    )
    for what, late in case.overdue:
        line += f"\n:alarm_clock: {escape(what)} overdue by {format_duration(late)}"
    return cut_mrkdwn(line, SECTION_LIMIT)  # a section's limit; a cut says so, never mid-escape


def _case_block(case: HomeCase, section: str) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "section",
        "block_id": f"home_{section}_{case.case_id}",
        "text": {"type": "mrkdwn", "text": _case_text(case)},
    }
    if case.link:
        block["accessory"] = {
            "type": "button",
            "action_id": HomeAction.OPEN_THREAD,
            "text": plain("Open thread"),
            "url": case.link,
            "value": str(case.case_id),
        }
    return block


def _pager(view: HomeView) -> dict[str, Any] | None:
    buttons = []
    if view.page > 0:
        buttons.append(
            {
                "type": "button",
                "action_id": HomeAction.PREVIOUS_PAGE,
                "text": plain("Previous"),
                "value": str(view.page - 1),
            }
        )
    if view.page + 1 < view.pages:
        buttons.append(
            {
                "type": "button",
                "action_id": HomeAction.NEXT_PAGE,
                "text": plain("Next"),
                "value": str(view.page + 1),
            }
        )
    return {"type": "actions", "block_id": "home_pager", "elements": buttons} if buttons else None


def _section(title: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*"}}


def build_home_view(view: HomeView) -> dict[str, Any]:
    """The Home tab: at most 15 + 10 cases and 10 other blocks, within Slack's 100."""
    opened, resolved, still_open = view.week
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": plain("Escalations", 150)},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"All teams, {view.week_label}: {opened} opened · {resolved} "
                    f"resolved · {still_open} still open",
                }
            ],
        },
        _section(f"Waiting on you ({len(view.waiting)})"),
    ]
    blocks += [_case_block(case, "waiting") for case in view.waiting] or [
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Nothing waits on you."}]}
    ]
    blocks.append({"type": "divider"})
    shown = str(view.total)
    if view.pages > 1:
        shown = f"page {view.page + 1} of {view.pages}, {view.total} in all"
    blocks.append(_section(f"Your open cases ({shown})"))
    if not view.cases:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "You have no open cases."}]}
        )
    blocks += [_case_block(case, "open") for case in view.cases]
    pager = _pager(view)
    if pager is not None:
        blocks.append(pager)
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": ESCALATION_DEFINITION}]}
    )
    return {"type": "home", "blocks": blocks}
