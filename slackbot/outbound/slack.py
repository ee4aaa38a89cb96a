"""The bare Slack Web API calls the outbox performs: post (joining a public channel if need be),
edit, tell one person, find a permalink, read a profile, and find a post again. Slack's errors
become the outbox's verdicts: `PermanentFailure` for what no retry fixes, `RetryLater` for the
rest.

A post may reach Slack even when its answer never reaches us (a timeout, a dropped connection,
a 5xx, a crash). So posts carry their outbox key in the message's `metadata`, are never retried
blindly (the posting client retries 429s only, which post nothing), and end in an exception
that is no verdict when nobody knows whether they happened; before doing such a post again, the
performer looks for it (`find_post`: `conversations.history` or `conversations.replies` with
`include_all_metadata`) and adopts what it finds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from slackbot.domain.clock import Clock, SystemClock
from slackbot.effects import NotInvited, PermanentFailure, RetryLater
from slackbot.outbound.profiles import ProfileCache

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
#: `metadata.event_type` of the bot's posts; `event_payload.key` names the outbox item.
METADATA_TYPE = "escalations_outbox"
#: How many pages (of 200 messages) `find_post` reads before deciding a post never happened.
SEARCH_PAGES = 3
#: Where an ephemeral cannot reach someone, a DM still can.
_EPHEMERAL_UNREACHABLE = ("channel_not_found", "not_in_channel", "user_not_in_channel")


def slack_error(exc: SlackApiError) -> str:
    """Slack's error name from an API exception."""
    return exc.response.get("error", "unknown_error") if exc.response else "unknown_error"


def verdict(exc: SlackApiError) -> PermanentFailure | RetryLater:
    """Slack's refusal as the outbox's verdict: give up, or try again later."""
    error = slack_error(exc)
    if error in PERMANENT_ERRORS:
        return PermanentFailure(f"Slack refused: {error}")
    return RetryLater(f"Slack error: {error}")


def call(fn: Callable[..., Any], **kwargs: Any) -> Any:
    """Call a Web API method, turning Slack's refusal into retry-or-give-up."""
    try:
        return fn(**kwargs)
    except SlackApiError as exc:
        raise verdict(exc) from None


class PostOutcomeUnknown(Exception):
    """Slack answered a post with a server error: it may or may not have posted it."""


def outbox_metadata(key: str) -> dict[str, Any]:
    """The message metadata that names the outbox item a post performs."""
    return {"event_type": METADATA_TYPE, "event_payload": {"key": key}}


def _carries(message: dict[str, Any], key: str) -> bool:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return metadata.get("event_type") == METADATA_TYPE and payload.get("key") == key


def posting_client(client: WebClient) -> WebClient:
    """A client like `client` that retries nothing but 429s (a rate-limited post posted nothing;
    a timed-out one may have)."""
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        headers=dict(client.headers),
        retry_handlers=[
            h for h in client.retry_handlers if isinstance(h, RateLimitErrorRetryHandler)
        ],
    )


class SlackPoster:
    """Posts, edits and ephemerals for the outbox, over one Web API client."""

    def __init__(self, client: WebClient, *, clock: Clock | None = None) -> None:
        self.client = client
        self.profiles = ProfileCache(clock or SystemClock())
        self._posting = posting_client(client)
        self._channel_ids: dict[str, str] = {}
        self._joined: set[str] = set()
        self._bot_name: str | None = None
        self._channels_lock = threading.Lock()

    def _post(self, **kwargs: Any) -> Any:
        try:
            return self._posting.chat_postMessage(**kwargs)
        except SlackApiError as exc:
            status = getattr(exc.response, "status_code", 200) if exc.response else 200
            if status >= 500:
                raise PostOutcomeUnknown(f"Slack answered {status}: {slack_error(exc)}") from None
            raise

    def post(self, channel: str, *, key: str | None = None, **kwargs: Any) -> dict[str, str]:
        """Post a message (carrying outbox `key`) to a channel by id, a `#name` resolved to its
        id first; a public channel that refuses it is joined (by id) and the post tried again;
        a private one the bot is not in raises `NotInvited`."""
        if key is not None:
            kwargs["metadata"] = outbox_metadata(key)
        target = self.channel_id(channel) or channel
        try:
            response = self._post(channel=target, **kwargs)
        except SlackApiError as exc:
            if slack_error(exc) != "not_in_channel":
                raise verdict(exc) from None
            if target.startswith("#") or not self.join(target):
                raise NotInvited(channel) from None
            response = call(self._post, channel=target, **kwargs)
        if channel.startswith("#"):
            with self._channels_lock:
                self._channel_ids.setdefault(channel, response["channel"])
        return {"channel": response["channel"], "ts": response["ts"]}

    def join(self, channel_id: str) -> bool:
        """Join a public channel by id (once per process); False for a private one, which only
        an invitation opens."""
        with self._channels_lock:
            if channel_id in self._joined:
                return True
        try:
            self.client.conversations_join(channel=channel_id)
        except SlackApiError as exc:
            if slack_error(exc) == "method_not_supported_for_channel_type":
                return False
            raise verdict(exc) from None
        with self._channels_lock:
            self._joined.add(channel_id)
        return True

    def bot_name(self) -> str:
        """The bot's user name, as people type it after `/invite @` (auth.test, once)."""
        if self._bot_name is None:
            try:
                self._bot_name = str(self.client.auth_test().get("user") or "escalations")
            except SlackApiError:
                return "escalations"
        return self._bot_name

    def reply(
        self,
        channel: str,
        thread_ts: str,
        text: str,
        blocks: list | None,
        *,
        key: str | None = None,
    ) -> dict:
        """Reply in a thread (carrying outbox `key`)."""
        kwargs: dict[str, Any] = {"channel": channel, "thread_ts": thread_ts, "text": text}
        if blocks:
            kwargs["blocks"] = blocks
        if key is not None:
            kwargs["metadata"] = outbox_metadata(key)
        response = call(self._post, **kwargs)
        return {"channel": response["channel"], "ts": response["ts"]}

    def find_post(
        self, channel: str, key: str, *, thread_ts: str | None = None
    ) -> dict[str, str] | None:
        """The bot's message carrying outbox `key`: top-level in `channel`, or a reply in the
        thread of `thread_ts`; None if it is not there (or the channel cannot be read)."""
        channel_id = self.channel_id(channel)
        if channel_id is None:
            return None
        method = self.client.conversations_history
        kwargs: dict[str, Any] = {"channel": channel_id, "include_all_metadata": True, "limit": 200}
        if thread_ts is not None:
            method = self.client.conversations_replies
            kwargs["ts"] = thread_ts
        for _ in range(SEARCH_PAGES):
            try:
                response = self._read(method, channel_id, kwargs)
            except PermanentFailure:
                return None  # a thread or channel that is gone holds no post to adopt
            if response is None:
                return None  # a private channel the bot is not in: it posted nothing there
            for message in response.get("messages") or []:
                # A thread's replies come with its root first: the root is not a reply.
                if _carries(message, key) and message.get("ts") != thread_ts:
                    return {"channel": channel_id, "ts": message["ts"]}
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not response.get("has_more") or not cursor:
                return None
            kwargs["cursor"] = cursor
        return None

    def _read(self, method: Callable[..., Any], channel_id: str, kwargs: dict[str, Any]) -> Any:
        """A history read; a public channel the bot posted to without joining (chat:write.public
        posts, reading needs membership) is joined first. None: a private channel it is not in."""
        try:
            return method(**kwargs)
        except SlackApiError as exc:
            if slack_error(exc) != "not_in_channel":
                raise verdict(exc) from None
        if not self.join(channel_id):
            return None
        return call(method, **kwargs)

    def channel_id(self, channel: str) -> str | None:
        """A channel's id: `#name` looked up once (conversations.list), an id as it is."""
        if not channel.startswith("#"):
            return channel
        with self._channels_lock:
            known = self._channel_ids.get(channel)
        if known is not None:
            return known
        cursor = None
        while True:
            kwargs: dict[str, Any] = {
                "types": "public_channel,private_channel",
                "exclude_archived": True,
                "limit": 1000,
            }
            if cursor:
                kwargs["cursor"] = cursor
            response = call(self.client.conversations_list, **kwargs)
            found = {f"#{c['name']}": c["id"] for c in response.get("channels") or []}
            with self._channels_lock:
                self._channel_ids.update(found)
            if channel in found:
                return found[channel]
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None

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
        """A person's name and email (read from Slack at most once a minute, see ProfileCache);
        on an error retrying won't fix, both empty and why."""
        kept = self.profiles.get(user)
        if kept is not None:
            return kept
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
        answer = {"name": name, "email": profile.get("email") or ""}
        self.profiles.put(user, answer)
        return answer
