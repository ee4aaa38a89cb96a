"""The composition root: every outbox kind has a performer, the jobs and subcommands are listed,
and optional jobs appear exactly when their settings ask for them."""

from __future__ import annotations

from slackbot.config import load_settings
from slackbot.domain.vocabulary import OutboxKind
from slackbot.scheduler import build_scheduler
from slackbot.wiring import build_services
from tests.support.env import base_env


def _services(fake_slack, database, clock, **env):
    url, engine = database
    settings = load_settings(base_env(fake_slack, url, **env), dotenv=False)
    return build_services(settings, clock=clock, engine=engine)


def test_every_outbox_kind_has_a_performer(fake_slack, database, clock):
    services = _services(fake_slack, database, clock)
    assert set(services.outbox._handlers) == set(OutboxKind)


def test_tick_jobs_and_subcommands_are_listed_whatever_the_order_of_imports(
    fake_slack, database, clock
):
    services = _services(fake_slack, database, clock)
    assert list(services.tick_jobs)[0] == "outbox"
    assert {"deadlines", "emergency_watch", "processed_events", "weekly_report"} <= set(
        services.tick_jobs
    )
    assert {"help", "list", "show", "move", "ticket", "report", "overdue"} <= set(
        services.subcommands
    )


def test_the_retention_job_runs_nightly_only_when_retention_days_is_set(
    fake_slack, database, clock
):
    assert "retention" not in _services(fake_slack, database, clock).cron_jobs
    services = _services(fake_slack, database, clock, RETENTION_DAYS="90")
    assert "retention" in services.cron_jobs
    scheduler = build_scheduler(services)
    assert scheduler.get_job("retention") is not None
    assert "hour='3'" in str(scheduler.get_job("retention").trigger)
