"""Block Kit pieces shared by every builder: text objects, options, dates, intake inputs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slackbot.domain.clock import ensure_utc
from slackbot.domain.mrkdwn import one_line
from slackbot.domain.playbooks import FieldKind, IntakeField
from slackbot.render.ids import VALUE

#: Offered in time-zone pickers (Slack's static menus hold at most 100 options).
TIME_ZONES = (
    "America/Los_Angeles",
    "America/Denver",
    "America/Phoenix",
    "America/Chicago",
    "America/New_York",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
    "America/Halifax",
    "America/Toronto",
    "America/Vancouver",
    "America/Mexico_City",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Warsaw",
    "Europe/Athens",
    "Africa/Johannesburg",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Manila",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Guam",
    "UTC",
)


def plain(text: str, limit: int = 75) -> dict[str, Any]:
    """A plain_text object on one line, cut to `limit` (Slack's 75 for buttons and options)."""
    return {"type": "plain_text", "text": one_line(text, limit), "emoji": True}


def option(label: str, value: str) -> dict[str, Any]:
    """A select or checkbox option."""
    return {"text": plain(label), "value": value}


def slack_date(when: datetime | None, fallback_format: str = "%Y-%m-%d %H:%M UTC") -> str:
    """A Slack date token that renders in each reader's own time zone."""
    if when is None:
        return "never"
    when = ensure_utc(when)
    return (
        f"<!date^{int(when.timestamp())}^{{date_short_pretty}} {{time}}|{when:{fallback_format}}>"
    )


def field_element(spec: IntakeField) -> dict[str, Any]:
    """The input element the intake form uses for one playbook field."""
    kind = spec.kind
    element: dict[str, Any]
    if kind in (FieldKind.TEXT, FieldKind.MULTILINE, FieldKind.PHONE):
        element = {"type": "plain_text_input", "max_length": spec.limit}
        if kind is FieldKind.MULTILINE:
            element["multiline"] = True
    elif kind is FieldKind.EMAIL:
        element = {"type": "email_text_input"}
    elif kind is FieldKind.TIMEZONE:
        element = {
            "type": "static_select",
            "options": [option(zone.replace("_", " "), zone) for zone in TIME_ZONES],
        }
    elif kind is FieldKind.DATETIME:
        element = {"type": "datetimepicker"}
    elif kind is FieldKind.CHOICE:
        element = {"type": "static_select", "options": [option(c, c) for c in spec.choices]}
    elif kind is FieldKind.PEOPLE:
        element = {"type": "multi_users_select"}
    else:  # FieldKind.FILE
        element = {"type": "file_input", "max_files": 5}
    element["action_id"] = VALUE
    if spec.placeholder and element["type"] in (
        "plain_text_input",
        "email_text_input",
        "static_select",
        "multi_users_select",
    ):
        element["placeholder"] = plain(spec.placeholder, 150)
    return element
