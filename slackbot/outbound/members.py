"""Who belongs to a user group or a channel, from Slack, cached for a minute."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from slack_sdk import WebClient

from slackbot.domain.clock import Clock
from slackbot.domain.status_machine import Responders


class MemberDirectory:
    """Fetches who belongs to a user group or a channel (Slack's retry handlers honour 429).

    Lists are kept for a minute: usergroups.users.list is a tier 2 method (about 20 calls a
    minute), and a busy thread reacts more often than that.
    """

    TTL = timedelta(minutes=1)

    def __init__(self, client: WebClient, clock: Clock) -> None:
        self.client = client
        self.clock = clock
        self._cache: dict[str, tuple[datetime, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def cached(self, responders: Responders) -> frozenset[str] | None:
        """The tier's responders if a fresh list is at hand, else None (no Slack call)."""
        key = responders.usergroup or f"#{responders.channel}"
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and cached[0] > self.clock.now():
            return cached[1]
        return None

    def members(self, responders: Responders) -> frozenset[str]:
        """The user ids of a tier's responders."""
        cached = self.cached(responders)
        if cached is not None:
            return cached
        members = self._fetch(responders)
        key = responders.usergroup or f"#{responders.channel}"
        with self._lock:
            self._cache[key] = (self.clock.now() + self.TTL, members)
        return members

    def _fetch(self, responders: Responders) -> frozenset[str]:
        if responders.usergroup:
            response = self.client.usergroups_users_list(usergroup=responders.usergroup)
            return frozenset(response.get("users") or [])
        if not responders.channel:
            return frozenset()
        members: set[str] = set()
        cursor = None
        while True:
            response = self.client.conversations_members(
                channel=responders.channel, limit=1000, cursor=cursor
            )
            members.update(response.get("members") or [])
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return frozenset(members)
