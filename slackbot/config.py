"""Settings: read once at start-up from the environment (and `.env`), validated into one object.

Nothing here runs at import time. `load_settings()` raises `ConfigError` whose message is one
line naming the variable and what to do; `__main__` prints it and exits with status 2.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from dotenv import load_dotenv

from slackbot.domain.playbooks import DEFAULT_PLAYBOOKS_PATH

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
DEFAULT_PAGERDUTY_API_URL = "https://api.pagerduty.com"
PLACEHOLDER_MARKERS = ("xxxx", "changeme", "your-", "replace-me")


class ConfigError(Exception):
    """A setting is missing or invalid; the message names it and says what to do."""


@dataclass(frozen=True)
class Settings:
    """Every setting the bot reads, validated."""

    slack_bot_token: str
    slack_signing_secret: str
    slack_app_token: str | None
    slack_mode: str
    slack_api_url: str
    port: int
    database_url: str
    playbooks_path: Path
    scheduler_interval_seconds: float
    smtp_host: str | None
    smtp_port: int
    smtp_username: str | None
    smtp_password: str | None
    smtp_security: str
    email_from: str | None
    pagerduty_routing_key: str | None
    pagerduty_events_url: str
    pagerduty_api_key: str | None
    pagerduty_api_url: str
    log_level: str
    weekly_report_channel: str | None = None
    #: When the weekly post goes out, in our time zone: weekday (0 is Monday) and time of day.
    weekly_report_day: int = 0
    weekly_report_time: time = time(8, 0)
    imap_host: str | None = None
    imap_port: int = 993
    imap_username: str | None = None
    imap_password: str | None = None
    imap_security: str = "ssl"
    imap_folder: str = "INBOX"
    inbound_unmatched_channel: str | None = None
    #: Days after closing when a case's contact details and free text are purged; None: never.
    retention_days: int | None = None

    @property
    def imap_configured(self) -> bool:
        """Whether vendor replies are read from a mailbox."""
        return bool(self.imap_host)

    @property
    def smtp_configured(self) -> bool:
        """Whether vendor emails can be sent (otherwise drafts are shown to copy)."""
        return bool(self.smtp_host)

    def __repr__(self) -> str:  # secrets never reach a log line through repr()
        return (
            f"Settings(slack_mode={self.slack_mode!r}, slack_api_url={self.slack_api_url!r}, "
            f"port={self.port}, database={urlparse(self.database_url).scheme!r}, "
            f"playbooks_path={str(self.playbooks_path)!r}, smtp={self.smtp_configured}, "
            f"pagerduty={bool(self.pagerduty_routing_key)}, imap={self.imap_configured})"
        )


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _require(env: Mapping[str, str], name: str, hint: str) -> str:
    value = _get(env, name)
    if value is None:
        raise ConfigError(f"{name} is not set: {hint}")
    if any(marker in value.lower() for marker in PLACEHOLDER_MARKERS):
        raise ConfigError(f"{name} still holds the placeholder from .env.example: {hint}")
    return value


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = _get(env, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(
            f"{name}={raw!r} is not a whole number: set it to e.g. {default}"
        ) from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={value} is out of range: use {low}–{high}")
    return value


def _url(env: Mapping[str, str], name: str, default: str, *, trailing_slash: bool) -> str:
    value = _get(env, name) or default
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"{name}={value!r} is not an http(s) URL: set it like {default!r}")
    if trailing_slash and not value.endswith("/"):
        value += "/"
    if not trailing_slash:
        value = value.rstrip("/")
    return value


_CHANNEL = re.compile(r"^(?:#[a-z0-9][a-z0-9._-]{0,79}|[CG][A-Z0-9]{6,20})$")
_FOLDER = re.compile(r"^[\x20-\x7e]{1,200}$")


def _imap_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """The mailbox the vendors' replies are read from (issue 14); all None without IMAP_HOST."""
    security = (_get(env, "IMAP_SECURITY") or "ssl").lower()
    if security not in ("ssl", "starttls", "none"):
        raise ConfigError(f"IMAP_SECURITY={security!r} is not valid: use ssl, starttls or none")
    port = _int(env, "IMAP_PORT", 993 if security == "ssl" else 143, 1, 65535)
    folder = _get(env, "IMAP_FOLDER") or "INBOX"
    if not _FOLDER.match(folder):
        raise ConfigError(
            f"IMAP_FOLDER={folder!r} is not valid: use a folder name in plain ASCII, e.g. INBOX"
        )
    channel = _get(env, "INBOUND_UNMATCHED_CHANNEL")
    if channel and not _CHANNEL.match(channel):
        raise ConfigError(
            f"INBOUND_UNMATCHED_CHANNEL={channel!r} is not a channel: use #name or a channel id"
        )
    host = _get(env, "IMAP_HOST")
    settings = {
        "imap_host": host,
        "imap_port": port,
        "imap_username": _get(env, "IMAP_USERNAME"),
        "imap_password": _get(env, "IMAP_PASSWORD"),
        "imap_security": security,
        "imap_folder": folder,
        "inbound_unmatched_channel": channel,
    }
    if host:
        _check_imap_login(settings)
    return settings


def _check_imap_login(settings: Mapping[str, Any]) -> None:
    if not settings["imap_username"]:
        raise ConfigError("IMAP_USERNAME is not set: IMAP_HOST needs the mailbox's login")
    if not settings["imap_password"]:
        raise ConfigError("IMAP_PASSWORD is not set: IMAP_USERNAME needs a password to log in")
    if not settings["inbound_unmatched_channel"]:
        raise ConfigError(
            "INBOUND_UNMATCHED_CHANNEL is not set: IMAP_HOST needs a channel for replies "
            "that match no case, e.g. #escalations-inbox"
        )


def _database_url(env: Mapping[str, str]) -> str:
    database_url = _get(env, "DATABASE_URL") or "sqlite:///escalations.db"
    scheme = urlparse(database_url).scheme
    if scheme == "postgresql" or scheme == "postgres":
        raise ConfigError(
            "DATABASE_URL must name the driver: use postgresql+psycopg://user:pass@host/db"
        )
    if scheme not in ("sqlite", "postgresql+psycopg"):
        raise ConfigError(
            f"DATABASE_URL scheme {scheme!r} is not supported: use sqlite:///file.db "
            "or postgresql+psycopg://…"
        )
    return database_url


def _playbooks_path(env: Mapping[str, str]) -> Path:
    playbooks_path = Path(_get(env, "ESCALATION_PLAYBOOKS") or DEFAULT_PLAYBOOKS_PATH)
    if not playbooks_path.is_file():
        raise ConfigError(
            f"ESCALATION_PLAYBOOKS={str(playbooks_path)!r} is not a file: point it at a "
            "playbooks TOML file"
        )
    return playbooks_path


def _retention_days(env: Mapping[str, str]) -> int | None:
    """RETENTION_DAYS: unset or "off" keeps everything; else days after closing to purge."""
    raw = _get(env, "RETENTION_DAYS")
    if raw is None or raw.lower() == "off":
        return None
    return _int(env, "RETENTION_DAYS", 365, 1, 36500)


def _environment(env: Mapping[str, str] | None, dotenv: bool) -> Mapping[str, str]:
    if env is None:
        if dotenv:
            load_dotenv(Path.cwd() / ".env", override=False)
        env = os.environ
    return env


@dataclass(frozen=True)
class StoreSettings:
    """What tools that only read the store need (export): no Slack tokens."""

    database_url: str
    playbooks_path: Path
    retention_days: int | None = None


def load_store_settings(
    env: Mapping[str, str] | None = None, *, dotenv: bool = True
) -> StoreSettings:
    """Validate DATABASE_URL, ESCALATION_PLAYBOOKS and RETENTION_DAYS only."""
    env = _environment(env, dotenv)
    return StoreSettings(_database_url(env), _playbooks_path(env), _retention_days(env))


def _slack_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """Tokens, mode and signing secret: what it takes to talk to Slack, checked together."""
    bot_token = _require(env, "SLACK_BOT_TOKEN", "copy the Bot User OAuth Token (xoxb-…) into .env")
    if not bot_token.startswith("xoxb-"):
        raise ConfigError("SLACK_BOT_TOKEN must be a bot token starting with 'xoxb-'")
    app_token = _get(env, "SLACK_APP_TOKEN")
    if app_token is not None and not app_token.startswith("xapp-"):
        raise ConfigError("SLACK_APP_TOKEN must be an app-level token starting with 'xapp-'")

    mode = (_get(env, "SLACK_MODE") or ("socket" if app_token else "http")).lower()
    if mode not in ("socket", "http"):
        raise ConfigError(f"SLACK_MODE={mode!r} is not valid: use 'socket' or 'http'")
    if mode == "socket" and app_token is None:
        raise ConfigError(
            "SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-…) "
            "with the connections:write scope, or set SLACK_MODE=http"
        )
    # Socket Mode needs no signature checks (Slack's socket is authenticated by the app token).
    signing_secret = (
        _require(
            env,
            "SLACK_SIGNING_SECRET",
            "copy the Signing Secret from the app's Basic Information page",
        )
        if mode == "http"
        else _get(env, "SLACK_SIGNING_SECRET") or ""
    )
    return {
        "slack_bot_token": bot_token,
        "slack_signing_secret": signing_secret,
        "slack_app_token": app_token,
        "slack_mode": mode,
    }


def _scheduler_interval(env: Mapping[str, str]) -> float:
    raw_interval = _get(env, "SCHEDULER_INTERVAL_SECONDS") or "60"
    try:
        interval = float(raw_interval)
    except ValueError:
        raise ConfigError(
            f"SCHEDULER_INTERVAL_SECONDS={raw_interval!r} is not a number: use e.g. 60"
        ) from None
    if not 0.1 <= interval <= 3600:
        raise ConfigError("SCHEDULER_INTERVAL_SECONDS is out of range: use 0.1–3600")
    return interval


def _smtp_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """The mail server vendor emails leave through, and their From address."""
    smtp_security = (_get(env, "SMTP_SECURITY") or "starttls").lower()
    if smtp_security not in ("none", "starttls", "ssl"):
        raise ConfigError(
            f"SMTP_SECURITY={smtp_security!r} is not valid: use none, starttls or ssl"
        )
    smtp_host = _get(env, "SMTP_HOST")
    default_smtp_port = {"none": 25, "starttls": 587, "ssl": 465}[smtp_security]
    smtp_port = _int(env, "SMTP_PORT", default_smtp_port, 1, 65535)
    smtp_username = _get(env, "SMTP_USERNAME")
    smtp_password = _get(env, "SMTP_PASSWORD")
    if smtp_username and not smtp_password:
        raise ConfigError("SMTP_PASSWORD is not set: SMTP_USERNAME needs a password to log in")
    email_from = _get(env, "EMAIL_FROM")
    if smtp_host and not email_from:
        raise ConfigError("EMAIL_FROM is not set: SMTP_HOST needs a From address for vendor emails")
    if email_from and ("@" not in email_from or any(c in email_from for c in "\r\n")):
        raise ConfigError(f"EMAIL_FROM={email_from!r} is not an email address")
    return {
        "smtp_host": smtp_host,
        "smtp_port": smtp_port,
        "smtp_username": smtp_username,
        "smtp_password": smtp_password,
        "smtp_security": smtp_security,
        "email_from": email_from,
    }


def _log_level(env: Mapping[str, str]) -> str:
    log_level = (_get(env, "LOG_LEVEL") or "INFO").upper()
    if log_level not in logging.getLevelNamesMapping():
        raise ConfigError(
            f"LOG_LEVEL={log_level!r} is not valid: use DEBUG, INFO, WARNING or ERROR"
        )
    return log_level


def _pagerduty_settings(env: Mapping[str, str]) -> dict[str, Any]:
    return {
        "pagerduty_routing_key": _get(env, "PAGERDUTY_ROUTING_KEY"),
        "pagerduty_events_url": _url(
            env, "PAGERDUTY_EVENTS_URL", DEFAULT_PAGERDUTY_EVENTS_URL, trailing_slash=False
        ),
        "pagerduty_api_key": _get(env, "PAGERDUTY_API_KEY"),
        "pagerduty_api_url": _url(
            env, "PAGERDUTY_API_URL", DEFAULT_PAGERDUTY_API_URL, trailing_slash=False
        ),
    }


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKLY_AT = re.compile(r"^([a-z]{3})[a-z]*\s+([01]?\d|2[0-3]):([0-5]\d)$")


def _weekly_report_at(env: Mapping[str, str]) -> dict[str, Any]:
    """WEEKLY_REPORT_AT, e.g. "mon 09:00": the weekday and time of the weekly post."""
    raw = (_get(env, "WEEKLY_REPORT_AT") or "mon 08:00").strip().lower()
    match = _WEEKLY_AT.match(raw)
    if match is None or match.group(1) not in _WEEKDAYS:
        raise ConfigError(
            f"WEEKLY_REPORT_AT={raw!r} is not valid: use a weekday and a time, e.g. mon 09:00"
        )
    return {
        "weekly_report_day": _WEEKDAYS.index(match.group(1)),
        "weekly_report_time": time(int(match.group(2)), int(match.group(3))),
    }


def load_settings(env: Mapping[str, str] | None = None, *, dotenv: bool = True) -> Settings:
    """Validate the environment into Settings; `.env` fills only variables not already set."""
    env = _environment(env, dotenv)
    # Checked in this order, so that the first problem reported is the same as it always was.
    slack = _slack_settings(env)
    database_url = _database_url(env)
    playbooks_path = _playbooks_path(env)
    interval = _scheduler_interval(env)
    smtp = _smtp_settings(env)
    log_level = _log_level(env)
    return Settings(
        **slack,
        slack_api_url=_url(env, "SLACK_API_URL", DEFAULT_SLACK_API_URL, trailing_slash=True),
        port=_int(env, "PORT", 3000, 1, 65535),
        database_url=database_url,
        playbooks_path=playbooks_path,
        scheduler_interval_seconds=interval,
        **smtp,
        **_pagerduty_settings(env),
        log_level=log_level,
        weekly_report_channel=_get(env, "WEEKLY_REPORT_CHANNEL"),
        **_weekly_report_at(env),
        **_imap_settings(env),
        retention_days=_retention_days(env),
    )
