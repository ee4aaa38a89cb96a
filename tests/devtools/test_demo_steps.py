"""The demo's steps stop at the first thing the bot did not do, with one line saying what."""

from __future__ import annotations

import pytest

from slackbot.devtools.demo_steps import CheckedSender, DemoError
from slackbot.devtools.signed import SlackSender
from tests.support.env import SIGNING_SECRET


def test_a_request_the_bot_refuses_stops_the_demo_with_its_status(bot):
    refused = CheckedSender(SlackSender(bot.url, "not-the-signing-secret"))
    with pytest.raises(DemoError, match="the bot answered HTTP 401"):
        refused.command("/escalate", "idv")
    answered = CheckedSender(SlackSender(bot.url, SIGNING_SECRET))
    assert answered.command("/escalate", "help").status == 200
