"""The fake Slack's kept messages: every `chat.postMessage` per channel with its thread and
metadata, and the reading methods answered from them (`conversations.history`, `.replies`,
`.list`), as Slack answers them. A mixin of `FakeSlack` (which holds `messages`,
`channel_ids` and `lock`)."""

from __future__ import annotations

import contextlib
import json
from typing import Any

BOT_USER_ID = "UBOT0001"


class KeptMessages:
    """Keeps posts and answers history, replies and list from them."""

    messages: dict[str, list[dict[str, Any]]]
    channel_ids: dict[str, str]
    private: set[str]
    members: set[str]
    socket_mode_url: str

    def posts_in(self, channel: str, *, thread_ts: str | None = None) -> list[dict[str, Any]]:
        """Messages kept in a channel: top-level ones, or one thread's replies (not its root)."""
        with self.lock:
            kept = list(self.messages.get(self._channel_id(channel), []))
        if thread_ts is None:
            return [m for m in kept if m.get("thread_ts") in (None, m["ts"])]
        return [m for m in kept if m.get("thread_ts") == thread_ts and m["ts"] != thread_ts]

    def _channel_id(self, name: str) -> str:
        """A channel's id without naming it (the caller may hold the lock)."""
        return self.channel_ids.get(name, name) if name.startswith("#") else name

    def _keep(self, channel: str, ts: str, body: dict[str, Any]) -> None:
        metadata = body.get("metadata")
        if isinstance(metadata, str):
            with contextlib.suppress(json.JSONDecodeError):
                metadata = json.loads(metadata)
        message = {
            "type": "message",
            "ts": ts,
            "text": body.get("text", ""),
            "user": BOT_USER_ID,
            "thread_ts": body.get("thread_ts") or None,
            "metadata": metadata or None,
        }
        with self.lock:
            self.messages.setdefault(channel, []).append(message)

    @staticmethod
    def _shown(message: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        shown = {k: v for k, v in message.items() if v is not None and k != "metadata"}
        wants = str(body.get("include_all_metadata", "")).lower() in ("true", "1")
        if wants and message.get("metadata"):
            shown["metadata"] = message["metadata"]
        return shown

    def _history(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = str(body.get("channel", ""))
        with self.lock:
            kept = list(self.messages.get(channel, []))
        top = [m for m in kept if m.get("thread_ts") in (None, m["ts"])]
        shown = [self._shown(m, body) for m in reversed(top)]
        return {"ok": True, "messages": shown, "has_more": False, "response_metadata": {}}

    def _replies(self, body: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(body.get("channel", "")), str(body.get("ts", ""))
        with self.lock:
            kept = list(self.messages.get(channel, []))
        thread = [m for m in kept if m["ts"] == ts or m.get("thread_ts") == ts]
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        shown = [self._shown(m, body) for m in thread]
        return {"ok": True, "messages": shown, "has_more": False, "response_metadata": {}}

    def _list(self, body: dict[str, Any]) -> dict[str, Any]:
        """Channels, a page at a time (`limit`, `cursor`), like Slack: private ones only where
        the bot is a member (and only when `types` asks for them)."""
        types = str(body.get("types") or "public_channel")
        with self.lock:
            named = [
                {
                    "id": cid,
                    "name": name.lstrip("#"),
                    "is_channel": True,
                    "is_private": cid in self.private,
                    "is_member": cid in self.members,
                }
                for name, cid in self.channel_ids.items()
            ]
        channels = [
            c
            for c in named
            if ("private_channel" in types and c["is_private"] and c["is_member"])
            or ("public_channel" in types and not c["is_private"])
        ]
        start = int(str(body.get("cursor") or "0").removeprefix("page:") or 0)
        limit = max(1, min(int(body.get("limit") or 100), 1000))
        page = channels[start : start + limit]
        more = start + limit < len(channels)
        cursor = f"page:{start + limit}" if more else ""
        return {"ok": True, "channels": page, "response_metadata": {"next_cursor": cursor}}

    def _from_messages(self, method: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """The methods answered from the kept messages and named channels (None: not one)."""
        if method == "conversations.history":
            return self._history(body)
        if method == "conversations.replies":
            return self._replies(body)
        if method == "conversations.list":
            return self._list(body)
        if method in ("conversations.join", "conversations.info"):
            channel = str(body.get("channel", ""))
            with self.lock:
                private = channel in self.private
            return {"ok": True, "channel": {"id": channel, "is_private": private}}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.socket_mode_url}
        return None
