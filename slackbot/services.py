"""The composition root's product: everything a listener or job needs, built once and injected."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from sqlalchemy.engine import Engine

from slackbot.config import Settings
from slackbot.domain.clock import Clock, SystemClock
from slackbot.domain.playbooks import Playbooks, load_playbooks
from slackbot.outbox import Outbox
from storage.db import make_engine
from storage.migrate import upgrade

log = logging.getLogger(__name__)


@dataclass
class Services:
    """Settings, clock, database, playbooks, Slack client and outbox, shared by every listener."""

    settings: Settings
    clock: Clock
    engine: Engine
    playbooks: Playbooks
    slack: WebClient
    outbox: Outbox
    #: Feature-specific collaborators (mailer, pager, …) keyed by name.
    extras: dict[str, Any] = field(default_factory=dict)


def make_slack_client(settings: Settings) -> WebClient:
    """A Web API client pointed at SLACK_API_URL that honours 429 Retry-After and retries blips."""
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def build_services(
    settings: Settings,
    *,
    clock: Clock | None = None,
    engine: Engine | None = None,
    migrate: bool = True,
) -> Services:
    """Wire the services from settings; run migrations unless told not to."""
    from slackbot.outbound import attachments, email, paging
    from slackbot.slack import delivery
    from slackbot.usecases import deadlines, vendor_email

    engine = engine or make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    clock = clock or SystemClock()
    services = Services(
        settings=settings,
        clock=clock,
        engine=engine,
        playbooks=load_playbooks(settings.playbooks_path),
        slack=make_slack_client(settings),
        outbox=Outbox(engine, clock),
    )
    delivery.register(services)
    email.register(services)
    attachments.register(services)
    vendor_email.register(services)
    deadlines.register(services)
    paging.register(services)
    return services
