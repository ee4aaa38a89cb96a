"""The fake Slack's refusals: what real Slack answers with an error instead of `ok`.

A mixin of `FakeSlack` (which holds the lock, the channels, the kept messages and the scopes).
`refuse(method, body)` is None when Slack would do the call, else the (status, json, headers)
Slack answers; the rules come from `slack_rules` (scopes, tiers, ids, triggers) and
`slack_checks` (Block Kit).
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

from slackbot.devtools import slack_rules
from slackbot.devtools.slack_checks import check_blocks, check_view
from slackbot.domain import slack_limits

Answer = tuple[int, dict[str, Any], dict[str, str]]
_POSTING = ("chat.postMessage", "chat.postEphemeral", "chat.update")
_VIEWS = ("views.open", "views.push", "views.update", "views.publish")
_READING = ("conversations.history", "conversations.replies")


def _error(error: str, why: str = "", **extra: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"ok": False, "error": error, **extra}
    if why:
        payload["response_metadata"] = {"messages": [f"[ERROR] {why}"]}
    return payload


class StrictSlack:
    """Answers what Slack would refuse, with Slack's error names."""

    lock: threading.Lock
    scopes: list[str]
    private: set[str]
    members: set[str]
    messages: dict[str, list[dict[str, Any]]]
    strict_rate_limits: bool
    refusals: list[tuple[str, str, str]]
    _recent: dict[str, list[float]]

    # `_channel_id(name)` (a known name's id) comes from KeptMessages, next in FakeSlack's MRO.

    def refuse(
        self, method: str, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> Answer | None:
        """None if Slack would do this call, else what Slack answers."""
        if method.startswith(("GET ", "POST /")):
            return None
        answer = (
            self._wrong_token(method, headers or {})
            or self._rate_limited(method, body)
            or self._unknown_or_unscoped(method, body)
        )
        if answer is None:
            refusal = self._refusal(method, body)
            answer = None if refusal is None else (200, refusal, {})
        if answer is not None:
            why = (answer[1].get("response_metadata") or {}).get("messages") or [""]
            with self.lock:
                self.refusals.append((method, answer[1]["error"], why[0]))
        return answer

    def refused_payloads(self) -> list[tuple[str, str, str]]:
        """The refusals that mean the bot sent something Slack never takes (not the ones it
        recovers from, like `not_in_channel` before a join or an invitation)."""
        with self.lock:
            return [r for r in self.refusals if r[1] in slack_rules.REFUSED_PAYLOADS]

    # -- tokens ------------------------------------------------------------------------------
    @staticmethod
    def _wrong_token(method: str, headers: dict[str, str]) -> Answer | None:
        """Socket Mode's apps.connections.open takes the app-level token (xapp-), and only it."""
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        token = auth.removeprefix("Bearer ").strip()
        if not token:
            return None
        app_level = token.startswith("xapp-")
        if app_level != (method == "apps.connections.open"):
            why = f"{method} with {'an app-level' if app_level else 'a bot'} token"
            return 200, _error("not_allowed_token_type", why), {}
        return None

    # -- rate limits (opt-in) --------------------------------------------------------------
    def _rate_limited(self, method: str, body: dict[str, Any]) -> Answer | None:
        if not self.strict_rate_limits:
            return None
        if method == "chat.postMessage":
            key = f"{method}:{body.get('channel', '')}"
            limit, window = slack_rules.POST_BURST, slack_rules.POST_WINDOW_SECONDS
        else:
            key, window = method, 60.0
            limit = slack_rules.TIER_PER_MINUTE[slack_rules.METHOD_TIERS.get(method, 3)]
        now = time.monotonic()
        with self.lock:
            recent = [t for t in self._recent.get(key, []) if now - t < window]
            if len(recent) >= limit:
                self._recent[key] = recent
                wait = max(1, math.ceil(window - (now - recent[0])))
                return 429, _error("ratelimited"), {"Retry-After": str(wait)}
            recent.append(now)
            self._recent[key] = recent
        return None

    # -- scopes ------------------------------------------------------------------------------
    def _needed_scope(self, method: str, body: dict[str, Any]) -> str | None:
        if method == "conversations.list":
            types = str(body.get("types") or "public_channel")
            if "private_channel" in types and "groups:read" not in self.scopes:
                return "groups:read"
            return "channels:read"
        if method in slack_rules.CHANNEL_SCOPES:
            public, private = slack_rules.CHANNEL_SCOPES[method]
            channel = str(body.get("channel", ""))
            with self.lock:
                is_private = channel in self.private
            return private if is_private else public
        return slack_rules.METHOD_SCOPES.get(method)

    def _unknown_or_unscoped(self, method: str, body: dict[str, Any]) -> Answer | None:
        known = (
            method in slack_rules.METHOD_SCOPES
            or method in slack_rules.CHANNEL_SCOPES
            or method in slack_rules.NO_SCOPE
            or method == "conversations.list"
        )
        if not known:
            return 200, _error("unknown_method", f"no method {method}"), {}
        needed = self._needed_scope(method, body)
        if needed is None or needed in self.scopes:
            return None
        provided = ",".join(self.scopes)
        why = f"{method} needs {needed}"
        return 200, _error("missing_scope", why, needed=needed, provided=provided), {}

    # -- arguments -----------------------------------------------------------------------------
    def _refusal(self, method: str, body: dict[str, Any]) -> dict[str, Any] | None:
        channel = str(body.get("channel", ""))
        if method in slack_rules.ID_ONLY and not slack_rules.is_channel_id(channel):
            return _error("channel_not_found", f"{method} takes a channel id, not {channel!r}")
        if method in _POSTING:
            return self._message_refusal(method, body)
        if method in _VIEWS:
            return self._view_refusal(method, body)
        shared_in = str(body.get("channel_id") or "")
        if shared_in and not slack_rules.is_channel_id(shared_in):
            return _error("channel_not_found", f"files are shared by channel id: {shared_in!r}")
        return self._channel_refusal(method, channel)

    def _message_refusal(self, method: str, body: dict[str, Any]) -> dict[str, Any] | None:
        text, blocks = body.get("text"), body.get("blocks")
        if not text and not blocks:
            return _error("no_text", "a message needs text or blocks")
        if len(str(text or "")) > slack_limits.MESSAGE_TEXT:
            return _error("msg_too_long", f"text is over {slack_limits.MESSAGE_TEXT}")
        if blocks is not None:
            problem = check_blocks(blocks)
            if problem:
                return _error("invalid_blocks", problem)
        if method == "chat.postMessage":
            return self._post_refusal(str(body.get("channel", "")))
        if method == "chat.update":
            return self._update_refusal(body)
        return None

    def _post_refusal(self, channel: str) -> dict[str, Any] | None:
        if not channel:
            return _error("channel_not_found", "no channel")
        with self.lock:
            known = self._channel_id(channel)
            blocked = known in self.private and known not in self.members
        if blocked:
            return _error("not_in_channel", f"the bot is not in private channel {channel}")
        return None

    def _update_refusal(self, body: dict[str, Any]) -> dict[str, Any] | None:
        channel, ts = str(body.get("channel", "")), str(body.get("ts", ""))
        with self.lock:
            for message in self.messages.get(channel, []):
                if message["ts"] == ts:
                    message["text"] = body.get("text", message.get("text", ""))
                    return None
        return _error("message_not_found", f"no message {ts} in {channel}")

    def _view_refusal(self, method: str, body: dict[str, Any]) -> dict[str, Any] | None:
        if method in ("views.open", "views.push"):
            problem = slack_rules.trigger_problem(str(body.get("trigger_id", "")))
            if problem:
                return _error(problem, f"trigger_id {body.get('trigger_id')!r}")
        view = body.get("view")
        if isinstance(view, str):
            return _error("invalid_arguments", "view was sent as a string the fake cannot read")
        problem = check_view(view)
        return _error("invalid_arguments", problem) if problem else None

    def _channel_refusal(self, method: str, channel: str) -> dict[str, Any] | None:
        with self.lock:
            private, member = channel in self.private, channel in self.members
        if method == "conversations.join":
            if private:
                return _error("method_not_supported_for_channel_type", "join a private channel")
            with self.lock:
                self.members.add(channel)
            return None
        if method in _READING and not member and not channel.startswith("D"):
            return _error("not_in_channel", f"the bot is not in {channel}")
        if method in ("conversations.members", "conversations.info") and private and not member:
            return _error("channel_not_found", f"private channel {channel}")
        return None
