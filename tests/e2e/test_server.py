"""The HTTP endpoint itself: health check, routing, url_verification; and the bot as a process:
SIGTERM and SIGINT stop it with exit 0 in both modes, the work it acknowledged done."""

from __future__ import annotations

import json
import signal
import time
import urllib.error
import urllib.request

import pytest

from slackbot.devtools.signed import SlackSender
from slackbot.devtools.slack_api import Delay
from slackbot.server import stop_server
from storage.db import make_engine
from tests.support.env import SIGNING_SECRET, base_env
from tests.support.flows import open_idv_case, reaction, stored_cases
from tests.support.process import BotProcess
from tests.support.socket_mode import FakeSocketMode, SocketSender


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_healthz_and_unknown_paths(bot):
    base = bot.url.rsplit("/slack/events", 1)[0]
    assert _get(base + "/healthz") == (200, "ok\n")
    assert _get(base + "/nope")[0] == 404


def test_url_verification_challenge(bot):
    body = json.dumps({"token": "t", "challenge": "abc123", "type": "url_verification"})
    response = bot.sender.post(body, "application/json")
    assert response.status == 200
    assert "abc123" in response.body


def test_every_subscribed_event_type_is_handled(bot, fake_slack):
    for event in (
        {
            "type": "reaction_added",
            "user": "U1",
            "reaction": "tada",
            "item": {"type": "message", "channel": "C1", "ts": "1.1"},
            "event_ts": "1.2",
        },
        {
            "type": "reaction_removed",
            "user": "U1",
            "reaction": "tada",
            "item": {"type": "message", "channel": "C1", "ts": "1.1"},
            "event_ts": "1.3",
        },
        {
            "type": "message",
            "user": "U1",
            "text": "hi",
            "channel": "C1",
            "ts": "1.4",
            "channel_type": "channel",
        },
        {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"},
    ):
        assert bot.sender.event(event).status == 200
    home = fake_slack.wait_for("views.publish")[0]
    assert home.body["user_id"] == "U1"


def test_stopping_twice_is_harmless_and_the_port_is_released(bot):
    """A second SIGTERM (or a test stopping a bot it restarts) must not write to a closed socket."""
    base = bot.url.rsplit("/slack/events", 1)[0]
    assert _get(base + "/healthz")[0] == 200
    stop_server(bot.server)
    bot.thread.join(timeout=5)
    assert not bot.thread.is_alive()
    stop_server(bot.server)  # raised EBADF from waitress's trigger before
    try:
        status = _get(base + "/healthz")[0]
    except OSError:
        status = None
    assert status is None


def test_stopping_a_server_whose_trigger_is_closed_still_closes_its_sockets(bot):
    """The loop may have closed its trigger (EBADF from pull_trigger on a fresh-clone CI run):
    the stop closes the sockets itself instead of raising."""
    base = bot.url.rsplit("/slack/events", 1)[0]
    assert _get(base + "/healthz")[0] == 200
    bot.server.trigger.close()
    stop_server(bot.server)  # raised EBADF before
    bot.thread.join(timeout=5)
    try:
        status = _get(base + "/healthz")[0]
    except OSError:
        status = None
    assert status is None


# --- the bot as a process: SIGTERM and SIGINT stop it cleanly, in both modes ------------------


def _process_env(fake_slack, tmp_path, **overrides):
    return base_env(
        fake_slack,
        f"sqlite:///{tmp_path / 'bot.db'}",
        LOG_LEVEL="INFO",
        SCHEDULER_INTERVAL_SECONDS="1",
        **overrides,
    )


def _moves(engine) -> list[tuple[str | None, str | None]]:
    [(case, events)] = stored_cases(engine)
    return [(e.from_status, e.to_status) for e in events if e.kind == "status_changed"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_http_mode_stops_on_a_signal_with_exit_0_and_finishes_the_move_it_acked(
    fake_slack, tmp_path, signum
):
    bot = BotProcess(_process_env(fake_slack, tmp_path), tmp_path).start().wait_healthy()
    try:
        sender = SlackSender(bot.events_url, SIGNING_SECRET)
        channel, root_ts = open_idv_case(sender, fake_slack)
        # The move's membership look-up is slow: the signal comes while it is in flight.
        fake_slack.delay("conversations.members", Delay(2.0))
        assert sender.event(reaction("eyes", channel, root_ts)).status == 200
        fake_slack.wait_for("conversations.members")
        started = time.monotonic()
        bot.signal(signum)
        assert bot.wait(timeout=15) == 0, bot.log()
        assert time.monotonic() - started < 11
    finally:
        bot.stop()
    engine = make_engine(bot.env["DATABASE_URL"])
    assert _moves(engine) == [("open", "acknowledged")]
    engine.dispose()


def test_socket_mode_stops_on_sigterm_with_exit_0_and_finishes_the_move_it_acked(
    fake_slack, tmp_path
):
    server = FakeSocketMode().start()
    fake_slack.socket_mode_url = server.url
    env = _process_env(fake_slack, tmp_path, SLACK_MODE="socket", SLACK_APP_TOKEN="xapp-1-test")
    bot = BotProcess(env, tmp_path).start()
    try:
        server.wait_connected(timeout=60)
        sender = SocketSender(server)
        channel, root_ts = open_idv_case(sender, fake_slack)
        fake_slack.delay("conversations.members", Delay(2.0))
        sender.event(reaction("eyes", channel, root_ts))
        fake_slack.wait_for("conversations.members")
        started = time.monotonic()
        bot.signal(signal.SIGTERM)
        assert bot.wait(timeout=15) == 0, bot.log()
        assert time.monotonic() - started < 11
    finally:
        bot.stop()
        server.stop()
    engine = make_engine(env["DATABASE_URL"])
    assert _moves(engine) == [("open", "acknowledged")]
    engine.dispose()
