"""Block Kit and mrkdwn as terminal text: what each person would read, for the demo's transcript."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from slackbot.devtools.slack_html import EMOJI, Names, slack_unescape

_TOKEN = re.compile(r"<([^<>\n]+)>")
_EMOJI = re.compile(r":([a-z0-9_+\-]+):")


def _token(inner: str, names: Names) -> str:
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return "@" + names.users.get(target[1:], label or target[1:])
    if target.startswith("#"):
        return "#" + (label or names.channels.get(target[1:], target[1:]))
    if target.startswith("!subteam^"):
        return "@" + (label or "group")
    if target.startswith("!date^"):
        try:
            when = datetime.fromtimestamp(int(target.split("^")[1]), UTC)
        except (IndexError, ValueError):
            return label
        return when.strftime("%b %-d %H:%M UTC")
    if target.startswith("!"):
        return "@" + target[1:]
    return f"{label} ({target})" if label and label != target else target


def mrkdwn_to_text(text: str, names: Names) -> str:
    """mrkdwn as readable plain text: mentions and dates resolved, emoji drawn."""
    text = _TOKEN.sub(lambda m: _token(m.group(1), names), text)
    text = _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)
    return slack_unescape(text)


def _obj(obj: Any, names: Names) -> str:
    if obj is None:
        return ""
    if isinstance(obj, str):
        return mrkdwn_to_text(obj, names)
    return mrkdwn_to_text(str(obj.get("text", "")), names)


def _element(element: dict[str, Any], names: Names) -> str:
    kind = element.get("type")
    if kind == "button":
        return f"[{_obj(element.get('text'), names)}]"
    if kind in ("mrkdwn", "plain_text"):
        return _obj(element, names)
    if element.get("initial_value"):
        return str(element["initial_value"]).replace("\n", " ⏎ ")
    if element.get("initial_option"):
        return f"[{_obj(element['initial_option'].get('text'), names)}]"
    if element.get("initial_options"):
        return "☑ " + ", ".join(_obj(o.get("text"), names) for o in element["initial_options"])
    if element.get("initial_users"):
        return ", ".join("@" + names.users.get(u, u) for u in element["initial_users"])
    if element.get("initial_date_time"):
        return datetime.fromtimestamp(int(element["initial_date_time"]), UTC).strftime(
            "%b %-d %H:%M UTC"
        )
    if kind in ("static_select", "checkboxes", "radio_buttons"):
        options = [_obj(o.get("text"), names) for o in element.get("options") or []]
        shown = ", ".join(options[:4]) + (", …" if len(options) > 4 else "")
        return f"( {shown} )" if shown else "( … )"
    return f"<{kind}>"


def blocks_to_text(blocks: list[dict[str, Any]], names: Names) -> list[str]:
    """Each block as one or more lines."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind in ("section", "header"):
            if block.get("text"):
                lines += _obj(block["text"], names).splitlines()
            for item in block.get("fields") or []:
                lines.append(" · ".join(_obj(item, names).splitlines()))
            if block.get("accessory"):
                lines.append(_element(block["accessory"], names))
        elif kind == "context":
            lines += " ".join(_element(e, names) for e in block.get("elements", [])).splitlines()
        elif kind == "actions":
            lines.append(" ".join(_element(e, names) for e in block.get("elements", [])))
        elif kind == "input":
            label = _obj(block.get("label"), names)
            optional = " (optional)" if block.get("optional") and "optional" not in label else ""
            lines.append(f"{label}{optional}: {_element(block.get('element') or {}, names)}")
        elif kind == "divider":
            lines.append("―" * 20)
    return lines


def message_text(body: dict[str, Any], names: Names) -> list[str]:
    """A posted message's lines (its blocks, else its text)."""
    blocks = body.get("blocks") or []
    if blocks:
        return blocks_to_text(blocks, names)
    return mrkdwn_to_text(str(body.get("text", "")), names).splitlines()
