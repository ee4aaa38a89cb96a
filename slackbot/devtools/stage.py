"""The demo's stage: the bot's real wiring and HTTP endpoint on 127.0.0.1 with the loopback
stand-ins (fake Slack Web API, PagerDuty, SMTP sink), a temporary SQLite database, settings from
code (never `.env`), and a clock that starts inside the playbook's business hours."""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from apscheduler.schedulers.base import BaseScheduler

from slackbot.app import build_app
from slackbot.config import load_settings
from slackbot.devtools.pagerduty import FakePagerDuty, start_fake_pagerduty
from slackbot.devtools.signed import SlackSender
from slackbot.devtools.slack_api import FakeSlack, start_fake_slack
from slackbot.devtools.smtp import SmtpServer
from slackbot.domain.durations import parse_duration
from slackbot.domain.playbook_parts import Sla
from slackbot.domain.playbooks import DEFAULT_PLAYBOOKS_PATH, Playbook, Playbooks, load_playbooks
from slackbot.scheduler import build_scheduler
from slackbot.server import create_server, stop_server
from slackbot.services import Services
from slackbot.wiring import build_services

SIGNING_SECRET = "demo-signing-secret-0123456789abcdef"
ROUTING_KEY = "D3M0R0UT1NGKEY0123456789abcdef01"
AGENT = "U0AGENT01"
LEAD = "U0DANA001"
#: Who the demo's people are (placeholders only).
PEOPLE = {
    AGENT: {"real_name": "Sam Agent", "display_name": "sam", "email": "sam@support.example.com"},
    LEAD: {"real_name": "Dana Tier2", "display_name": "dana", "email": "dana@support.example.com"},
}
SUPPORT_CHANNEL = "C0SUPPORT1"
SCHEDULER_LOG = logging.getLogger("apscheduler")
#: One hour of a playbook's service-level clocks lasts one second in the demo.
SCALE = 3600.0


class DemoClock:
    """Real time, shifted to start at `start`: leases, retries and the scheduler behave as in
    production, and business hours hold whatever the hour of the run."""

    def __init__(self, start: datetime) -> None:
        self._start = start.astimezone(UTC)
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        """The shifted current time (timezone-aware, UTC)."""
        return self._start + timedelta(seconds=time.monotonic() - self._t0)


def start_time(playbook: Playbook, now: datetime) -> datetime:
    """10:00 (or an hour after opening) on the next of our open days, from `now`."""
    hours = playbook.hours.ours
    if hours.always:
        return now
    zone = hours.zone
    local = now.astimezone(zone)
    wanted = clock_time(10, 0)
    if not hours.open <= wanted < hours.close:
        wanted = (datetime.combine(local.date(), hours.open) + timedelta(hours=1)).time()
    day = local.date()
    for _ in range(14):
        if day.strftime("%a").lower() in hours.days and day not in hours.holidays:
            break
        day += timedelta(days=1)
    return datetime.combine(day, wanted, tzinfo=zone).astimezone(UTC)


def _scaled(text: str) -> str:
    seconds = parse_duration(text).total_seconds() / SCALE
    return f"{seconds:g}s"


def scaled_sla(sla: Sla) -> Sla:
    """The same service-level clocks with hours as seconds ("4h" → "4s", "1d" → "24s")."""
    return Sla.model_validate(
        {
            **sla.model_dump(),
            "vendor_ack": _scaled(sla.vendor_ack),
            "progress_update": _scaled(sla.progress_update),
            "contact_attempts": [_scaled(d) for d in sla.contact_attempts],
            "unreachable_close": _scaled(sla.unreachable_close),
            "callback": _scaled(sla.callback),
            "reminder_repeat": _scaled(sla.reminder_repeat),
        }
    )


def scaled_playbooks(playbooks: Playbooks) -> Playbooks:
    """Every playbook with its clocks scaled to seconds."""
    items = tuple(pb.model_copy(update={"sla": scaled_sla(pb.sla)}) for pb in playbooks)
    return playbooks.model_copy(update={"items": items})


@dataclass
class Stage:
    """Everything the demo started, so that everything is stopped."""

    workdir: Path
    slack: FakeSlack
    slack_server: Any
    pagerduty: FakePagerDuty
    smtp: SmtpServer
    services: Services | None = None
    server: Any = None
    thread: threading.Thread | None = None
    scheduler: BaseScheduler | None = None
    sender: SlackSender | None = None
    scheduler_log_level: int | None = None

    def describe(self) -> str:
        """Where everything listens and the database lives (all gone when the demo ends)."""
        bot = self.server.effective_port if self.server is not None else "-"
        slack = self.slack.url.removesuffix("/api/")
        return (
            f"Bot on 127.0.0.1:{bot}; fake Slack Web API on {slack.removeprefix('http://')}, "
            f"PagerDuty stand-in on {self.pagerduty.url.removeprefix('http://')}, "
            f"SMTP sink on {self.smtp.host}:{self.smtp.port}; database in {self.workdir}"
        )

    def env(self, playbooks_path: Path) -> dict[str, str]:
        """The bot's settings, from code: every URL a loopback stand-in."""
        return {
            "SLACK_BOT_TOKEN": "xoxb-demo-token",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_MODE": "http",
            "SLACK_API_URL": self.slack.url,
            "DATABASE_URL": f"sqlite:///{self.workdir / 'demo.db'}",
            "ESCALATION_PLAYBOOKS": str(playbooks_path),
            "SCHEDULER_INTERVAL_SECONDS": "0.5",
            "SMTP_HOST": self.smtp.host,
            "SMTP_PORT": str(self.smtp.port),
            "SMTP_SECURITY": "none",
            "EMAIL_FROM": "escalations@example.com",
            "PAGERDUTY_ROUTING_KEY": ROUTING_KEY,
            "PAGERDUTY_EVENTS_URL": self.pagerduty.events_url,
            "PAGERDUTY_API_KEY": "demo-api-key",
            "PAGERDUTY_API_URL": self.pagerduty.url,
            "LOG_LEVEL": "ERROR",
        }


def open_stage(playbook_id: str, playbooks_path: Path = DEFAULT_PLAYBOOKS_PATH) -> Stage:
    """Start the stand-ins and the bot (HTTP mode, scheduler running) on 127.0.0.1."""
    workdir = Path(tempfile.mkdtemp(prefix="escalations-demo-"))
    slack, slack_server = start_fake_slack()
    slack.profiles.update(PEOPLE)
    stage = Stage(workdir, slack, slack_server, start_fake_pagerduty(), SmtpServer().start())
    try:
        _start_bot(stage, playbook_id, playbooks_path)
    except BaseException:
        close_stage(stage)
        raise
    return stage


def _start_bot(stage: Stage, playbook_id: str, playbooks_path: Path) -> None:
    settings = load_settings(stage.env(playbooks_path), dotenv=False)
    playbook = load_playbooks(settings.playbooks_path).get(playbook_id)
    if playbook is None:
        ids = ", ".join(load_playbooks(settings.playbooks_path).ids)
        raise LookupError(f"no playbook {playbook_id!r}; the file has {ids}")
    clock = DemoClock(start_time(playbook, datetime.now(UTC)))
    services = build_services(settings, clock=clock)
    stage.services = services
    services.playbooks = scaled_playbooks(services.playbooks)
    app = build_app(services)
    stage.server = create_server(app, services, host="127.0.0.1", port=0, threads=4)
    stage.thread = threading.Thread(target=stage.server.run, name="demo-http", daemon=True)
    stage.thread.start()
    endpoint = f"http://127.0.0.1:{stage.server.effective_port}/slack/events"
    stage.sender = SlackSender(endpoint, SIGNING_SECRET)
    # A tick that outlasts the demo's short interval is skipped, with a warning per job: the
    # next tick does its work, so the transcript need not show it (restored on close).
    stage.scheduler_log_level = SCHEDULER_LOG.level
    SCHEDULER_LOG.setLevel(logging.ERROR)
    stage.scheduler = build_scheduler(services)
    stage.scheduler.start()


def close_stage(stage: Stage) -> None:
    """Stop everything the stage started, in the order the bot itself shuts down; remove files."""
    services = stage.services
    if stage.server is not None:
        stop_server(stage.server)
        if stage.thread is not None:
            stage.thread.join(timeout=5)
    if stage.scheduler is not None:
        stage.scheduler.shutdown(wait=True)
    if stage.scheduler_log_level is not None:
        SCHEDULER_LOG.setLevel(stage.scheduler_log_level)
    if services is not None:
        services.inbox.stop()
        services.outbox.stop()
        services.listener_executor.shutdown(wait=True, cancel_futures=True)
        services.outbox.close()
        services.engine.dispose()
    stage.smtp.stop()
    stage.pagerduty.stop()
    stage.slack_server.shutdown()
    stage.slack_server.server_close()
    shutil.rmtree(stage.workdir, ignore_errors=True)
