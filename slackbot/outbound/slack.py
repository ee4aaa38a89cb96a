"""The bare Slack Web API calls the outbox performs: post (joining a public channel if need be),
edit, tell one person, find a permalink, read a profile. Slack's errors become the outbox's
verdicts: `PermanentFailure` for what no retry fixes, `RetryLater` for the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from slackbot.effects import PermanentFailure, RetryLater

log = logging.getLogger(__name__)

#: Slack errors that retrying cannot fix.
PERMANENT_ERRORS = {
    "channel_not_found",
    "is_archived",
    "invalid_blocks",
    "invalid_blocks_format",
    "msg_too_long",
    "no_text",
    "invalid_auth",
    "account_inactive",
    "token_revoked",
    "not_authed",
    "missing_scope",
    "message_not_found",
    "cant_update_message",
    "restricted_action",
    "user_not_found",
}
#: Errors reading a profile that retrying won't fix: the caller goes on without it (a draft then
#: says the sender's address is missing and how to add it) instead of failing.
PROFILE_GIVE_UP = {"missing_scope", "user_not_found", "not_allowed_token_type", "invalid_auth"}
#: Where an ephemeral cannot reach someone, a DM still can.
_EPHEMERAL_UNREACHABLE = ("channel_not_found", "not_in_channel", "user_not_in_channel")


def slack_error(exc: SlackApiError) -> str:
    """Slack's error name from an API exception."""
    return exc.response.get("error", "unknown_error") if exc.response else "unknown_error"


def call(fn: Callable[..., Any], **kwargs: Any) -> Any:
    """Call a Web API method, turning Slack's refusal into retry-or-give-up."""
    try:
        return fn(**kwargs)
    except SlackApiError as exc:
        error = slack_error(exc)
        if error in PERMANENT_ERRORS:
            raise PermanentFailure(f"Slack refused: {error}") from None
        raise RetryLater(f"Slack error: {error}") from None


class SlackPoster:
    """Posts, edits and ephemerals for the outbox, over one Web API client."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def post(self, channel: str, **kwargs: Any) -> dict[str, str]:
        """Post a message; a public channel the bot was not invited to is joined first."""
        try:
            response = self.client.chat_postMessage(channel=channel, **kwargs)
        except SlackApiError as exc:
            if slack_error(exc) != "not_in_channel":
                response = call(self.client.chat_postMessage, channel=channel, **kwargs)
            else:
                call(self.client.conversations_join, channel=channel)
                response = call(self.client.chat_postMessage, channel=channel, **kwargs)
        return {"channel": response["channel"], "ts": response["ts"]}

    def reply(self, channel: str, thread_ts: str, text: str, blocks: list | None) -> dict:
        """Reply in a thread."""
        kwargs: dict[str, Any] = {"channel": channel, "thread_ts": thread_ts, "text": text}
        if blocks:
            kwargs["blocks"] = blocks
        response = call(self.client.chat_postMessage, **kwargs)
        return {"channel": response["channel"], "ts": response["ts"]}

    def update(self, *, channel: str, ts: str, text: str, blocks: list[dict]) -> None:
        """Edit a message the bot posted."""
        call(self.client.chat_update, channel=channel, ts=ts, text=text, blocks=blocks)

    def tell(self, *, user: str, channel: str | None, text: str, blocks: list | None) -> str:
        """Tell one person: ephemerally in `channel`, else by DM; returns which it was."""
        kwargs: dict[str, Any] = {"text": text}
        if blocks:
            kwargs["blocks"] = blocks
        if channel:
            try:
                self.client.chat_postEphemeral(channel=channel, user=user, **kwargs)
                return "ephemeral"
            except SlackApiError as exc:
                if slack_error(exc) not in _EPHEMERAL_UNREACHABLE:
                    call(self.client.chat_postEphemeral, channel=channel, user=user, **kwargs)
                    return "ephemeral"
        call(self.client.chat_postMessage, channel=user, **kwargs)
        return "dm"

    def permalink(self, channel: str | None, ts: str | None) -> str | None:
        """A link to a message (None if there is none yet or Slack won't say)."""
        if not channel or not ts:
            return None
        try:
            response = self.client.chat_getPermalink(channel=channel, message_ts=ts)
        except SlackApiError:
            return None
        return response.get("permalink")

    def profile(self, user: str) -> dict[str, str]:
        """A person's name and email; on an error retrying won't fix, both empty and why."""
        try:
            response = self.client.users_info(user=user)
        except SlackApiError as exc:
            error = slack_error(exc)
            if error in PROFILE_GIVE_UP:
                log.warning("could not read a Slack profile: %s", error)
                return {"name": "", "email": "", "profile_error": error}
            # Anything else is retried with backoff: mostly outages and rate limits, which pass.
            raise RetryLater(f"Slack error reading a profile: {error}") from None
        profile = (response.get("user") or {}).get("profile") or {}
        name = profile.get("real_name") or profile.get("display_name") or ""
        return {"name": name, "email": profile.get("email") or ""}
