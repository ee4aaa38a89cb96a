"""Telling one person something, through the outbox (ephemeral, else a DM)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slackbot.usecases import slack_posts
from storage.db import write_session

if TYPE_CHECKING:
    from slackbot.services import Services


def tell(services: Services, *, user: str, channel: str | None, text: str) -> None:
    """Queue a message only `user` sees and deliver it now."""
    with write_session(services.engine) as session:
        slack_posts.post_ephemeral(
            session, user=user, channel=channel, now=services.clock.now(), text=text
        )
    services.outbox.kick()
