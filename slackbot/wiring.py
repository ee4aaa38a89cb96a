"""The composition root: the one place that knows every part and joins them.

It builds the settings' collaborators (engine, Slack client, adapters), the outbox's handler
map, the scheduled jobs, the case-change hooks and the `/escalate` subcommands, and hands the
result, a typed `Services`, to the app, the scheduler and the server.
"""

from __future__ import annotations

from functools import partial

from apscheduler.triggers.cron import CronTrigger
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from sqlalchemy.engine import Engine

from commands import (
    assign,
    contacts,
    escalate,
    find,
    inquiry,
    move,
    notify,
    overdue,
    report,
    stats,
    ticket,
)
from commands.subcommands import Subcommand, handle_help
from slackbot.config import Settings
from slackbot.domain.clock import Clock, SystemClock
from slackbot.domain.playbooks import load_playbooks
from slackbot.domain.reporting import our_zone
from slackbot.domain.vocabulary import OutboxKind
from slackbot.outbound.attachments import AttachmentPreparer, SlackFiles
from slackbot.outbound.email import EmailSender
from slackbot.outbound.files import FileUploader
from slackbot.outbound.imap import ImapClient
from slackbot.outbound.members import MemberDirectory
from slackbot.outbound.pagerduty import PagerDuty
from slackbot.outbound.slack import SlackPoster
from slackbot.outbound.smtp import SmtpTransport
from slackbot.outbound.uploads import ThreadUploads
from slackbot.services import Services
from slackbot.usecases import (
    deadlines,
    emergency,
    inbound_poll,
    message_cases,
    move_case,
    opener_notices,
    paging,
    report_delivery,
    retention,
    vendor_email,
)
from slackbot.usecases.emails import EmailOutcomes
from slackbot.usecases.inbound_post import InboundSlack
from slackbot.usecases.inbox import Inbox
from slackbot.usecases.outbox import Outbox
from slackbot.usecases.slack_posts import SlackPosts
from slackbot.usecases.turns import TurnExecutor
from storage.db import make_engine
from storage.migrate import upgrade


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
    """Build everything from settings; run migrations unless told not to."""
    engine = engine or make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    clock = clock or SystemClock()
    slack = make_slack_client(settings)
    services = Services(
        settings=settings,
        clock=clock,
        engine=engine,
        playbooks=load_playbooks(settings.playbooks_path),
        slack=slack,
        outbox=Outbox(engine, clock),
        poster=SlackPoster(slack),
        members=MemberDirectory(slack, clock),
        pager=PagerDuty.from_settings(settings),
        uploader=FileUploader(slack),
        mailbox=ImapClient.from_settings(settings),
        # Threads on demand (acks never wait for one), work after acks in a few slots.
        listener_executor=TurnExecutor(thread_name_prefix="bolt-listener"),
        inbox=Inbox(engine, clock),
    )
    _register_outbox_handlers(services)
    services.case_hooks.extend(
        [
            partial(deadlines.sync_on_change, services),
            paging.resolve_pages_when_closed,
            opener_notices.notify_opener,
        ]
    )
    services.tick_jobs.update(_tick_jobs(settings))
    services.cron_jobs.update(_cron_jobs(services))
    services.subcommands.update({sub.name: sub for sub in SUBCOMMANDS})
    return services


def _register_outbox_handlers(services: Services) -> None:
    """Say how each outbox kind is performed and what is recorded once it is done or failed."""
    outbox, settings = services.outbox, services.settings
    posts = SlackPosts(services)
    outbox.register(OutboxKind.SLACK_ROOT, posts.perform_root, on_done=posts.root_done)
    outbox.register(OutboxKind.SLACK_POST, posts.perform_post, on_done=posts.post_done)
    outbox.register(OutboxKind.SLACK_EPHEMERAL, posts.perform_ephemeral)
    outbox.register(OutboxKind.SLACK_CHANNEL_POST, posts.perform_channel_post)

    files = SlackFiles(
        services.slack, token=settings.slack_bot_token, api_url=settings.slack_api_url
    )
    sender = EmailSender(
        SmtpTransport.from_settings(settings),
        email_from=settings.email_from or "",
        clock=services.clock,
        preparers=[AttachmentPreparer(files)],
    )
    outcomes = EmailOutcomes(services)
    outcomes.on_sent[vendor_email.DRAFT_EMAIL] = partial(vendor_email.email_sent, services)
    outcomes.on_given_up[vendor_email.DRAFT_EMAIL] = partial(vendor_email.email_given_up, services)
    outbox.register(
        OutboxKind.EMAIL, sender.perform, on_done=outcomes.sent, on_failed=outcomes.failed
    )

    composer = vendor_email.Composer(services)
    outbox.register(
        OutboxKind.EMAIL_COMPOSE, composer.perform, on_done=composer.done, on_failed=composer.failed
    )
    outbox.register(OutboxKind.EMAIL_PREVIEW, vendor_email.PreviewEditor(services).perform)

    outbox.register(OutboxKind.REPORT_FILES, report_delivery.ReportFiles(services).perform)

    inbound = InboundSlack(services)
    outbox.register(OutboxKind.SLACK_NOTICE, inbound.perform_notice)
    outbox.register(
        OutboxKind.SLACK_UPLOAD,
        ThreadUploads(services.slack).perform,
        on_done=inbound.upload_done,
        on_failed=inbound.upload_failed,
    )

    outbox.register(OutboxKind.SLACK_SOURCE_REPLY, message_cases.SourceReplies(services).perform)

    pages = paging.PagingDelivery(services)
    outbox.register(OutboxKind.PAGERDUTY, pages.perform, on_done=pages.done, on_failed=pages.failed)


def _tick_jobs(settings: Settings) -> dict:
    """The jobs run on every scheduler tick, in order."""
    return {
        "outbox": lambda services: services.outbox.deliver_due(),
        "inbox": lambda services: services.inbox.replay_due(),
        "emergency_watch": emergency.watch_pages,
        "processed_events": move_case.prune_processed_events,
        "inbox_prune": lambda services: services.inbox.prune(),
        # Before the sweep: a reply that just arrived moves the clocks it would remind about.
        **({"inbound_mail": inbound_poll.poll_mailbox} if settings.imap_configured else {}),
        "deadlines": deadlines.sweep,
        # Checked every tick, posted once a week: a Monday missed while down is made up.
        "weekly_report": report_delivery.post_weekly_report,
    }


def _cron_jobs(services: Services) -> dict:
    """The jobs run at set times: the nightly retention purge, when RETENTION_DAYS is set."""
    days = services.settings.retention_days
    if days is None:
        return {}
    trigger = CronTrigger(hour=3, minute=15, timezone=our_zone(services.playbooks))
    return {"retention": (trigger, partial(_purge, days=days))}


def _purge(services: Services, *, days: int) -> int:
    """Purge contact details and free text of cases closed more than `days` ago."""
    return retention.purge_expired(services.engine, services.playbooks, services.clock.now(), days)


#: `/escalate <word>`: every subcommand, in the order the help text lists them.
SUBCOMMANDS = (
    Subcommand("help", "/escalate help", "this text", handle_help),
    Subcommand(
        "list",
        "/escalate list [all | closed [week|month]]",
        "open cases, blockers first; or those closed lately",
        escalate.handle_list,
    ),
    Subcommand("show", "/escalate show ESC-42", "one case", escalate.handle_show),
    Subcommand(
        "stats",
        "/escalate stats [week|month] [last]",
        "opened and closed cases by team and category",
        stats.handle_stats,
    ),
    Subcommand("report", report.REPORT_USAGE, report.REPORT_SUMMARY, report.handle_report),
    Subcommand(
        "contacts",
        contacts.CONTACTS_USAGE,
        "who to reach at the receiving side, their hours, the emergency route",
        contacts.handle_contacts,
    ),
    Subcommand(
        "ticket", ticket.TICKET_USAGE, "record the vendor's ticket number", ticket.handle_ticket
    ),
    Subcommand("move", move.MOVE_USAGE, "move a case (same as its reactions)", move.handle_move),
    Subcommand(
        "overdue",
        "/escalate overdue",
        "what is overdue, blockers first, then oldest",
        overdue.handle_overdue,
    ),
    Subcommand("find", find.FIND_USAGE, "find cases, open or closed", find.handle_find),
    Subcommand(
        "inquiry",
        inquiry.INQUIRY_USAGE,
        "log a question answered on first contact (no case)",
        inquiry.handle_inquiry,
    ),
    Subcommand(
        "notify",
        notify.NOTIFY_USAGE,
        "DMs when a case you opened changes",
        notify.handle_notify,
    ),
    Subcommand(
        "assign", assign.ASSIGN_USAGE, "make someone the case's owner", assign.handle_assign
    ),
)
