"""Settings for a bot under test: the fake Slack, a database, the test SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime

from slackbot.config import load_settings
from slackbot.devtools.slack_api import FakeSlack
from slackbot.wiring import build_services

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
#: Wednesday 18 November 2026, 09:00 in Los Angeles: inside every shipped playbook's hours.
START = datetime(2026, 11, 18, 17, 0, tzinfo=UTC)


def base_env(fake_slack: FakeSlack, database_url: str, **overrides: str) -> dict[str, str]:
    """Environment for an HTTP-mode bot pointed at the fake Slack."""
    env = {
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_MODE": "http",
        "SLACK_API_URL": fake_slack.url,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
    }
    env.update(overrides)
    return env


def smtp_env(smtp) -> dict[str, str]:
    """Settings that send the bot's email to the test SMTP server."""
    return {
        "SMTP_HOST": smtp.host,
        "SMTP_PORT": str(smtp.port),
        "SMTP_SECURITY": "none",
        "EMAIL_FROM": "escalations@example.com",
    }


def services_with_smtp(fake_slack, database, clock, smtp):
    """Services on the test database that send email to the test SMTP server."""
    url, engine = database
    env = base_env(fake_slack, url, **smtp_env(smtp))
    return build_services(load_settings(env, dotenv=False), clock=clock, engine=engine)
