"""People's names and email addresses as Slack last told them, kept a minute per user id."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from slackbot.domain.clock import Clock


class ProfileCache:
    """What `users.info` answered for each user id, until it is `ttl` old.

    A vendor email is composed from its sender's profile, and a case's drafts are composed
    again and again (edit, preview the hand-off again): one `users.info` (a tier 4 method, but
    a round trip each time) per person per minute is enough. Only complete answers are kept:
    an error, or a profile without an email address (the draft then tells its sender to add one
    and try again), is read again next time. At most `max_users` are kept; the oldest go first.
    """

    TTL = timedelta(minutes=1)
    MAX_USERS = 1000

    def __init__(self, clock: Clock, *, ttl: timedelta = TTL, max_users: int = MAX_USERS) -> None:
        self.clock = clock
        self.ttl = ttl
        self.max_users = max_users
        self._profiles: dict[str, tuple[datetime, dict[str, str]]] = {}
        self._lock = threading.Lock()

    def get(self, user: str) -> dict[str, str] | None:
        """The user's profile if a fresh one is kept, else None."""
        with self._lock:
            kept = self._profiles.get(user)
            if kept is None:
                return None
            if kept[0] <= self.clock.now():
                del self._profiles[user]
                return None
            return dict(kept[1])

    def put(self, user: str, profile: dict[str, str]) -> None:
        """Keep a profile Slack just gave (unless it is incomplete: see the class)."""
        if profile.get("profile_error") or not profile.get("email"):
            return
        now = self.clock.now()
        with self._lock:
            self._profiles.pop(user, None)  # re-inserted last: the order is age
            if len(self._profiles) >= self.max_users:
                self._drop_expired(now)
            while len(self._profiles) >= self.max_users:
                del self._profiles[next(iter(self._profiles))]
            self._profiles[user] = (now + self.ttl, dict(profile))

    def _drop_expired(self, now: datetime) -> None:
        for user in [u for u, (until, _) in self._profiles.items() if until <= now]:
            del self._profiles[user]
