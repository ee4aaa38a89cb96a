"""Escaping for Slack's mrkdwn: user text can never ping anyone or forge a link."""

from __future__ import annotations

import re

#: What a cut never splits: an escape sequence, a Slack token (<@U…>, <url|text>, <!date…>), a
#: case id.
_WHOLE = re.compile(r"&(?:amp|lt|gt);|<[^<>\n]*>|ESC-\d+")


def escape(text: str | None) -> str:
    """Escape &, < and > as Slack asks, so `<!channel>` or `<@U123>` stay plain text."""
    if not text:
        return ""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str | None, limit: int) -> str:
    """`text` cut to `limit` characters with an ellipsis, never inside an escape sequence, a
    Slack token or a case id (the cut moves back to before it)."""
    text = text or ""
    if len(text) <= limit:
        return text
    end = limit - 1
    for whole in _WHOLE.finditer(text):
        if whole.start() >= end:
            break
        if end < whole.end():
            end = whole.start()
            break
    return text[:end].rstrip() + "…"


def one_line(text: str | None, limit: int = 150) -> str:
    """Collapse whitespace and cut to `limit` characters with an ellipsis (see `cut`)."""
    return cut(" ".join((text or "").split()), limit)


def keyed(key: str, *wordings: str, limit: int) -> str:
    """The first of `wordings` that fits `limit` with `key` after it whole (`Back from vendor
    ESC-12`); if none does, the last one cut: the key is never cut."""
    for words in wordings:
        if len(words) + 1 + len(key) <= limit:
            return f"{words} {key}"
    room = limit - len(key) - 1
    return f"{cut(wordings[-1], room)} {key}" if room > 1 else key[:limit]


def mention(user_id: str | None) -> str:
    """A user mention for a Slack user id (ids only come from Slack, never from typed text)."""
    return f"<@{user_id}>" if user_id else "nobody"


def group_mention(group: str | None) -> str:
    """A user-group mention, or "the channel" when responders are the channel's members."""
    if not group or group == "channel":
        return "the channel"
    return f"<!subteam^{group}>"
