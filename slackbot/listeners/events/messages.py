"""Thread replies: what people say in a case's thread goes in its history."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext

from slackbot.services import Services
from slackbot.usecases.replies import record_reply

#: Message subtypes that are a person saying something in a thread; all others are ignored
#: (edits, deletions, joins, bot messages, ...).
REPLY_SUBTYPES = (None, "thread_broadcast", "file_share")


def handle_message(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
    """Record a person's reply in a thread (top-level messages and bots are not replies)."""
    if event.get("subtype") not in REPLY_SUBTYPES or event.get("bot_id"):
        return
    user, thread_ts, ts = event.get("user"), event.get("thread_ts"), event.get("ts")
    if not user or user == context.bot_user_id or not thread_ts or thread_ts == ts:
        return
    files = [
        {key: item.get(key) for key in ("id", "name", "mimetype")}
        for item in event.get("files") or []
    ]
    services: Services = context["services"]
    record_reply(
        services,
        channel_id=event.get("channel", ""),
        thread_ts=thread_ts,
        ts=ts,
        user=user,
        text=event.get("text") or "",
        event_id=body.get("event_id"),
        files=files or None,
    )
