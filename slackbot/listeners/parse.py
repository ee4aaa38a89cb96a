"""Small parsers shared by listeners: ids from button values and modal metadata."""

from __future__ import annotations

import json
from typing import Any

from slackbot.domain.cases import parse_id


def int_or_none(value: Any) -> int | None:
    """An id from a button value or metadata, None if it is not one (or out of range)."""
    return parse_id(value)


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    """A modal's private_metadata as a dict ({} when absent or not JSON)."""
    try:
        found = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        return {}
    return found if isinstance(found, dict) else {}


def user_and_channel(body: dict[str, Any]) -> tuple[str, str | None]:
    """Who pressed, and in which channel."""
    channel = body.get("channel")
    return body["user"]["id"], channel.get("id") if isinstance(channel, dict) else None
