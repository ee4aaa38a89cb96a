"""Durations written as a number and a unit: "90s", "30m", "24h", "3d"."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> timedelta:
    """Parse "24h" into a timedelta; raise ValueError naming the accepted form."""
    match = _DURATION.match(text or "")
    if not match:
        raise ValueError(
            f'{text!r} is not a duration: write a number and a unit s, m, h or d, like "24h"'
        )
    value, unit = float(match.group(1)), match.group(2)
    return timedelta(**{_UNITS[unit]: value})


def format_duration(delta: timedelta) -> str:
    """Render a timedelta for people: "2d 3h", "45m", "30s"."""
    seconds = int(abs(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days}d")
    if hours:
        parts.append(f"{hours}h")
    if minutes and not days:
        parts.append(f"{minutes}m")
    if not parts:
        parts.append(f"{secs}s")
    return " ".join(parts)
