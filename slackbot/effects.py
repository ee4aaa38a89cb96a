"""What an outbox performer may say about a side effect it could not perform (yet).

Adapters raise these; the outbox (slackbot.usecases.outbox) decides when to try again. They sit
apart from both so that adapters never import use cases.
"""

from __future__ import annotations

from datetime import timedelta

MAX_BACKOFF = timedelta(hours=1)


class RetryLater(Exception):
    """The side effect cannot happen yet (a dependency is missing, or a transient failure)."""

    def __init__(self, reason: str, after: timedelta | None = None, *, count: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.after = after
        #: Waiting for a dependency (e.g. the root message) is not a failed attempt.
        self.count = count


class PermanentFailure(Exception):
    """The side effect can never succeed as asked; retrying would not help."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


#: How long a post waits for someone to invite the bot to a private channel before trying again.
INVITE_WAIT = timedelta(minutes=1)


class NotInvited(RetryLater):
    """A private channel the bot was not invited to: nothing was posted; someone has to
    `/invite` the bot, then the same post is tried again (for as long as it takes)."""

    def __init__(self, channel: str) -> None:
        super().__init__(f"not invited to {channel}", INVITE_WAIT, count=False)
        self.channel = channel


def backoff(attempts: int) -> timedelta:
    """Exponential backoff: 5 s, 10 s, 20 s, … capped at an hour."""
    return min(timedelta(seconds=5 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)
