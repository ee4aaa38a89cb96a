"""Settings validation, and the one-line start-up error with exit status 2."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import time

import pytest

from slackbot.config import ConfigError, load_settings, load_store_settings

GOOD = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s3cr3t"}
IMAP = {
    "IMAP_HOST": "imap.example.com",
    "IMAP_USERNAME": "escalations@example.com",
    "IMAP_PASSWORD": "imap-s3cr3t",
    "INBOUND_UNMATCHED_CHANNEL": "#escalations-inbox",
}


def test_defaults():
    settings = load_settings(GOOD, dotenv=False)
    assert settings.slack_mode == "http"
    assert settings.port == 3000
    assert settings.database_url == "sqlite:///escalations.db"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.scheduler_interval_seconds == 60
    assert not settings.smtp_configured
    assert "s3cr3t" not in repr(settings) and "xoxb-1" not in repr(settings)


def test_imap_settings():
    assert not load_settings(GOOD, dotenv=False).imap_configured
    settings = load_settings({**GOOD, **IMAP}, dotenv=False)
    assert settings.imap_configured
    assert (settings.imap_security, settings.imap_port, settings.imap_folder) == (
        "ssl",
        993,
        "INBOX",
    )
    assert settings.inbound_unmatched_channel == "#escalations-inbox"
    assert "imap-s3cr3t" not in repr(settings) and "imap=True" in repr(settings)
    starttls = load_settings({**GOOD, **IMAP, "IMAP_SECURITY": "STARTTLS"}, dotenv=False)
    assert (starttls.imap_security, starttls.imap_port) == ("starttls", 143)
    custom = load_settings(
        {**GOOD, **IMAP, "IMAP_PORT": "1993", "IMAP_FOLDER": "Vendor replies"}, dotenv=False
    )
    assert (custom.imap_port, custom.imap_folder) == (1993, "Vendor replies")
    by_id = load_settings({**GOOD, **IMAP, "INBOUND_UNMATCHED_CHANNEL": "C0123ABCD"}, dotenv=False)
    assert by_id.inbound_unmatched_channel == "C0123ABCD"


def test_socket_mode_is_the_default_with_an_app_token():
    settings = load_settings(
        {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}, dotenv=False
    )
    assert settings.slack_mode == "socket"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "SLACK_BOT_TOKEN"),
        ({**GOOD, "SLACK_BOT_TOKEN": "xoxb-your-bot-token"}, "SLACK_BOT_TOKEN"),
        ({**GOOD, "SLACK_MODE": "carrier"}, "SLACK_MODE"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({**GOOD, "SLACK_MODE": "socket"}, "SLACK_APP_TOKEN"),
        ({**GOOD, "PORT": "eighty"}, "PORT"),
        ({**GOOD, "DATABASE_URL": "postgresql://x/y"}, "DATABASE_URL"),
        ({**GOOD, "DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
        ({**GOOD, "SMTP_SECURITY": "tls"}, "SMTP_SECURITY"),
        ({**GOOD, "SMTP_HOST": "mail.example.com"}, "EMAIL_FROM"),
        ({**GOOD, "SCHEDULER_INTERVAL_SECONDS": "0"}, "SCHEDULER_INTERVAL_SECONDS"),
        ({**GOOD, "ESCALATION_PLAYBOOKS": "/nope.toml"}, "ESCALATION_PLAYBOOKS"),
        ({**GOOD, "SLACK_API_URL": "ftp://x"}, "SLACK_API_URL"),
        ({**GOOD, "LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({**GOOD, **IMAP, "IMAP_SECURITY": "tls"}, "IMAP_SECURITY"),
        ({**GOOD, **IMAP, "IMAP_PORT": "imap"}, "IMAP_PORT"),
        ({**GOOD, **IMAP, "IMAP_PORT": "70000"}, "IMAP_PORT"),
        ({**GOOD, **IMAP, "IMAP_USERNAME": ""}, "IMAP_USERNAME"),
        ({**GOOD, **IMAP, "IMAP_PASSWORD": " "}, "IMAP_PASSWORD"),
        ({**GOOD, **IMAP, "IMAP_FOLDER": "Boîte"}, "IMAP_FOLDER"),
        ({**GOOD, **IMAP, "INBOUND_UNMATCHED_CHANNEL": ""}, "INBOUND_UNMATCHED_CHANNEL"),
        ({**GOOD, **IMAP, "INBOUND_UNMATCHED_CHANNEL": "inbox"}, "INBOUND_UNMATCHED_CHANNEL"),
    ],
)
def test_invalid_settings_name_the_variable(env, named):
    with pytest.raises(ConfigError) as error:
        load_settings(env, dotenv=False)
    assert str(error.value).startswith(named)


def test_dotenv_never_overrides_the_environment(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text(
        "SLACK_BOT_TOKEN=xoxb-from-file\nSLACK_SIGNING_SECRET=file\nPORT=4000\n"
    )
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if (
            name.startswith(("SLACK_", "SMTP_", "PAGERDUTY_", "DATABASE_", "IMAP_", "INBOUND_"))
            or name == "PORT"
        ):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PORT", "5000")
    settings = load_settings()
    assert settings.slack_bot_token == "xoxb-from-file"
    assert settings.port == 5000


def test_start_up_error_is_one_line_and_exit_status_2(tmp_path):
    env = {"PATH": os.environ["PATH"], "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_MODE": "http"}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root
    done = subprocess.run(
        [sys.executable, "-m", "slackbot"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("configuration error: SLACK_SIGNING_SECRET is not set")
    assert "Traceback" not in done.stderr


def test_retention_is_off_unless_set():
    assert load_settings(GOOD, dotenv=False).retention_days is None
    assert load_settings({**GOOD, "RETENTION_DAYS": "off"}, dotenv=False).retention_days is None
    assert load_settings({**GOOD, "RETENTION_DAYS": "365"}, dotenv=False).retention_days == 365
    for bad in ("0", "a year"):
        with pytest.raises(ConfigError) as error:
            load_settings({**GOOD, "RETENTION_DAYS": bad}, dotenv=False)
        assert str(error.value).startswith("RETENTION_DAYS")


def test_store_settings_need_no_slack_tokens():
    settings = load_store_settings({"DATABASE_URL": "sqlite:///x.db"}, dotenv=False)
    assert settings.database_url == "sqlite:///x.db"
    assert settings.playbooks_path.name == "playbooks.toml"
    with pytest.raises(ConfigError) as error:
        load_store_settings({"DATABASE_URL": "mysql://x/y"}, dotenv=False)
    assert str(error.value).startswith("DATABASE_URL")


def test_weekly_report_at_sets_the_day_and_time_and_a_bad_one_names_the_setting():
    default = load_settings(GOOD, dotenv=False)
    assert (default.weekly_report_day, default.weekly_report_time) == (0, time(8, 0))
    friday = load_settings({**GOOD, "WEEKLY_REPORT_AT": "Friday 16:30"}, dotenv=False)
    assert (friday.weekly_report_day, friday.weekly_report_time) == (4, time(16, 30))
    for bad in ("someday 09:00", "mon 25:00", "09:00"):
        with pytest.raises(ConfigError, match="WEEKLY_REPORT_AT"):
            load_settings({**GOOD, "WEEKLY_REPORT_AT": bad}, dotenv=False)
