"""LOG_LEVEL=DEBUG writes no payloads: the bot as a process, in HTTP and in Socket Mode, opens a
case whose form carries contact details, and its log holds none of them, nor any token."""

from __future__ import annotations

import pytest

from slackbot.devtools.signed import SlackSender
from tests.support.env import SIGNING_SECRET, base_env
from tests.support.flows import open_idv_case, reaction
from tests.support.process import BotProcess
from tests.support.socket_mode import FakeSocketMode, SocketSender

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-1-test"
#: What the idv form (tests.support.forms.idv_values) carries that must never be logged.
SECRETS = [
    "+1 555 555 0101",
    "555-555-0102",
    "pat@clinic.example.com",
    "selfie step",
    BOT_TOKEN,
    APP_TOKEN,
    SIGNING_SECRET,
]


def _env(fake_slack, tmp_path, **overrides):
    return base_env(
        fake_slack,
        f"sqlite:///{tmp_path / 'bot.db'}",
        LOG_LEVEL="DEBUG",
        SCHEDULER_INTERVAL_SECONDS="1",
        **overrides,
    )


def _flow(sender, fake_slack) -> None:
    channel, root_ts = open_idv_case(sender, fake_slack)
    sender.event(reaction("eyes", channel, root_ts))
    fake_slack.wait_for("chat.update")


@pytest.mark.parametrize("mode", ["http", "socket"])
def test_debug_logs_hold_no_contact_details_nor_tokens(fake_slack, tmp_path, mode):
    server = None
    if mode == "socket":
        server = FakeSocketMode().start()
        fake_slack.socket_mode_url = server.url
        env = _env(fake_slack, tmp_path, SLACK_MODE="socket", SLACK_APP_TOKEN=APP_TOKEN)
    else:
        env = _env(fake_slack, tmp_path)
    bot = BotProcess(env, tmp_path).start()
    try:
        if server is not None:
            server.wait_connected(timeout=60)
            sender = SocketSender(server)
        else:
            bot.wait_healthy()
            sender = SlackSender(bot.events_url, SIGNING_SECRET)
        _flow(sender, fake_slack)
    finally:
        bot.stop()
        if server is not None:
            server.stop()
    log = bot.log()
    # The level really was DEBUG, and the flow really carried the secrets to the bot.
    assert "DEBUG slackbot: logging at DEBUG" in log, log
    submitted = [c for c in fake_slack.calls if "xoxb" in str(c.headers.get("Authorization"))]
    assert submitted
    leaked = [secret for secret in SECRETS if secret in log]
    assert leaked == [], log
