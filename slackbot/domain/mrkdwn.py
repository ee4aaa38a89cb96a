"""Escaping for Slack's mrkdwn: user text can never ping anyone or forge a link."""

from __future__ import annotations


def escape(text: str | None) -> str:
    """Escape &, < and > as Slack asks, so `<!channel>` or `<@U123>` stay plain text."""
    if not text:
        return ""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def one_line(text: str | None, limit: int = 150) -> str:
    """Collapse whitespace and cut to `limit` characters with an ellipsis."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def mention(user_id: str | None) -> str:
    """A user mention for a Slack user id (ids only come from Slack, never from typed text)."""
    return f"<@{user_id}>" if user_id else "nobody"


def group_mention(group: str | None) -> str:
    """A user-group mention, or "the channel" when responders are the channel's members."""
    if not group or group == "channel":
        return "the channel"
    return f"<!subteam^{group}>"
