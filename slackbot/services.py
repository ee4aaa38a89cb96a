"""The composition root's product: everything a listener, use case or job needs, built once by
`slackbot.wiring.build_services` and handed to listeners through Bolt's context.

Typed fields, no registry: what exists is what is listed here. Collaborator types are imported
for type checking only, so that use cases can take a `Services` without importing adapters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine

from slackbot.config import Settings
from slackbot.domain.clock import Clock
from slackbot.domain.playbooks import Playbooks

if TYPE_CHECKING:
    from apscheduler.triggers.base import BaseTrigger
    from slack_sdk import WebClient
    from sqlmodel import Session

    from commands.subcommands import Subcommand
    from slackbot.outbound.files import FileUploader
    from slackbot.outbound.imap import ImapClient
    from slackbot.outbound.members import MemberDirectory
    from slackbot.outbound.pagerduty import PagerDuty
    from slackbot.outbound.slack import SlackPoster
    from slackbot.usecases.inbox import Inbox
    from slackbot.usecases.outbox import Outbox
    from slackbot.usecases.turns import TurnExecutor
    from storage.models import Case

#: A scheduled job: takes the services, returns anything (a count, for tests and logs).
Job = Callable[["Services"], Any]
#: Runs after every change to a case, in the changing transaction: fn(session, case, now).
CaseHook = Callable[["Session", "Case", datetime], None]


@dataclass
class Services:
    """Settings, clock, database, playbooks, Slack, outbox and the adapters, shared by all."""

    settings: Settings
    clock: Clock
    engine: Engine
    playbooks: Playbooks
    slack: WebClient
    outbox: Outbox
    poster: SlackPoster
    members: MemberDirectory
    pager: PagerDuty
    uploader: FileUploader
    #: Bolt's listener executor: work acknowledged to Slack runs here (in its work gate's
    #: slots, after the ack), and shutdown waits for it.
    listener_executor: TurnExecutor
    #: Slack requests that change state, recorded before they are answered (issue 12).
    inbox: Inbox
    case_hooks: list[CaseHook] = field(default_factory=list)
    #: Run every SCHEDULER_INTERVAL_SECONDS, by name, in order.
    tick_jobs: dict[str, Job] = field(default_factory=dict)
    #: Run on their own trigger (e.g. Monday 08:00), by name.
    cron_jobs: dict[str, tuple[BaseTrigger, Job]] = field(default_factory=dict)
    #: `/escalate <word>` subcommands, by word.
    subcommands: dict[str, Subcommand] = field(default_factory=dict)
    #: The vendors' mailbox (IMAP_HOST), read by the poll job; None when not configured.
    mailbox: ImapClient | None = None
