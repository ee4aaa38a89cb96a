"""Requests shaped and signed exactly as Slack sends them, posted to the bot's HTTP endpoint."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from slackbot.devtools.slack_api import TEAM_ID
from slackbot.devtools.slack_rules import trigger_id


@dataclass
class Response:
    """What the bot answered."""

    status: int
    body: str
    headers: dict[str, str]

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body) if self.body else None


class SlackSender:
    """Posts signed slash commands, interactivity payloads and event envelopes to `url`."""

    def __init__(self, url: str, signing_secret: str) -> None:
        self.url = url
        self.verifier = SignatureVerifier(signing_secret)
        self._event_counter = 0
        #: The trigger id the last slash command carried (fresh per command, like Slack's).
        self.last_trigger_id = ""

    def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """POST a raw body with Slack's signature headers."""
        ts = str(timestamp if timestamp is not None else int(time.time()))
        sig = signature or self.verifier.generate_signature(timestamp=ts, body=body)
        request = urllib.request.Request(
            self.url,
            data=body.encode(),
            method="POST",
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": sig,
                **(headers or {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return Response(response.status, response.read().decode(), dict(response.headers))
        except urllib.error.HTTPError as exc:
            return Response(exc.code, exc.read().decode(), dict(exc.headers))

    def command(
        self,
        command: str,
        text: str = "",
        *,
        user: str = "U0AGENT01",
        channel: str = "C0SUPPORT1",
        **kwargs: Any,
    ) -> Response:
        """A slash command, form-encoded as Slack sends it."""
        self.last_trigger_id = trigger_id()
        form = {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "team_domain": "example",
            "channel_id": channel,
            "channel_name": "support",
            "user_id": user,
            "user_name": "agent",
            "command": command,
            "text": text,
            "api_app_id": "A0APP0001",
            "is_enterprise_install": "false",
            "response_url": "https://hooks.slack.com/commands/T0TEAM001/1/abc",
            "trigger_id": self.last_trigger_id,
        }
        return self.post(urlencode(form), "application/x-www-form-urlencoded", **kwargs)

    def interactive(self, payload: dict[str, Any], **kwargs: Any) -> Response:
        """An interactivity payload (`payload=<json>`, form-encoded)."""
        return self.post(
            urlencode({"payload": json.dumps(payload)}),
            "application/x-www-form-urlencoded",
            **kwargs,
        )

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        **kwargs: Any,
    ) -> Response:
        """An Events API envelope (JSON)."""
        if event_id is None:
            self._event_counter += 1
            event_id = f"Ev{self._event_counter:08d}"
        envelope = {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "api_app_id": "A0APP0001",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM_ID, "user_id": "UBOT0001", "is_bot": True}],
        }
        headers = kwargs.pop("headers", {}) or {}
        if retry_num is not None:
            headers = {
                **headers,
                "X-Slack-Retry-Num": str(retry_num),
                "X-Slack-Retry-Reason": "http_timeout",
            }
        return self.post(json.dumps(envelope), "application/json", headers=headers, **kwargs)


def view_submission(
    view: dict[str, Any], values: dict[str, dict[str, Any]], *, user: str = "U0AGENT01"
) -> dict[str, Any]:
    """A `view_submission` payload for `view` (as we built it) with `values` as its state."""
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "example"},
        "user": {"id": user, "username": "agent", "team_id": TEAM_ID},
        "api_app_id": "A0APP0001",
        "token": "legacy-verification-token",
        "trigger_id": trigger_id(),
        "view": {
            "id": "V0VIEW001",
            "team_id": TEAM_ID,
            "type": "modal",
            "callback_id": view["callback_id"],
            "private_metadata": view.get("private_metadata", ""),
            "blocks": view.get("blocks", []),
            "state": {"values": values},
            "hash": "1700000000.abc",
            "app_id": "A0APP0001",
            "bot_id": "B0BOT0001",
        },
        "response_urls": [],
    }


def block_actions(
    action_id: str,
    value: str,
    *,
    user: str = "U0AGENT01",
    channel: str = "C00000001",
    message_ts: str = "",
    block_id: str = "actions",
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A `block_actions` payload for a button pressed on a message."""
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "example"},
        "user": {"id": user, "username": "agent", "team_id": TEAM_ID},
        "api_app_id": "A0APP0001",
        "token": "legacy-verification-token",
        "trigger_id": trigger_id(),
        "channel": {"id": channel, "name": "escalations"},
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "message": {"ts": message_ts, "type": "message", "text": ""},
        "response_url": "https://hooks.slack.com/actions/T0TEAM001/1/abc",
        "actions": [
            {
                "action_id": action_id,
                "block_id": block_id,
                "value": value,
                "type": "button",
                "action_ts": str(time.time()),
            }
        ],
    }
    if extra:
        payload.update(extra)
    return payload
