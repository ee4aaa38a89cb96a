"""Scheduled jobs (APScheduler): the tick jobs and cron jobs the composition root listed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from slackbot.services import Job, Services

log = logging.getLogger(__name__)


def _safe(name: str, job: Job, services: Services) -> Callable[[], None]:
    def run() -> None:
        try:
            job(services)
        except Exception:
            log.exception("scheduled job %s failed; it runs again next tick", name)

    return run


def run_tick(services: Services) -> None:
    """Run every tick job once, in order (tests and benchmarks call this directly)."""
    for name, job in services.tick_jobs.items():
        _safe(name, job, services)()


def build_scheduler(services: Services) -> BackgroundScheduler:
    """A background scheduler running every tick job each SCHEDULER_INTERVAL_SECONDS.

    Missed runs are coalesced into one: the jobs read their state from the database, so a run
    after downtime catches up on everything that fell due, once.
    """
    scheduler = BackgroundScheduler(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    interval = timedelta(seconds=services.settings.scheduler_interval_seconds)
    for name, job in services.tick_jobs.items():
        scheduler.add_job(
            _safe(name, job, services),
            "interval",
            seconds=interval.total_seconds(),
            id=name,
            name=name,
        )
    for name, (trigger, job) in services.cron_jobs.items():
        scheduler.add_job(_safe(name, job, services), trigger, id=name, name=name)
    return scheduler
