"""The HTTP endpoint itself: health check, routing, url_verification."""

from __future__ import annotations

import json
import urllib.error
import urllib.request


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
    from slackbot.server import stop_server

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
