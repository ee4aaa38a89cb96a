"""Small parsers shared by listeners: ids from button values and modal metadata."""

from __future__ import annotations

import json
from typing import Any


def int_or_none(value: Any) -> int | None:
    """An id from a button value or metadata, None if it is not one."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    """A modal's private_metadata as a dict ({} when absent or not JSON)."""
    try:
        found = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        return {}
    return found if isinstance(found, dict) else {}


def user_and_channel(body: dict[str, Any]) -> tuple[str, str | None]:
    """Who pressed, and in which channel."""
    return body["user"]["id"], (body.get("channel") or {}).get("id")
