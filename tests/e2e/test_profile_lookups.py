"""The hand-off email is composed from its sender's Slack profile; composing it again within a
minute reads no profile again (issue 16: user lookups cached with expiry), through the signed
endpoint against the fake Slack counting `users.info` calls."""

from __future__ import annotations

import pytest

from slackbot.outbound.profiles import ProfileCache
from slackbot.render.ids import VendorAction
from tests.e2e.test_handoff_flow import AGENT, drafts, open_case, press, wait_until
from tests.support.env import smtp_env


@pytest.fixture
def mail_bot(make_bot, smtp):
    return make_bot(**smtp_env(smtp))


def _draft_again(bot, case_id: int, channel: str, count: int) -> None:
    """Press *Preview hand-off* and wait for the `count`th draft of the case."""
    press(bot, VendorAction.PREVIEW_HANDOFF, str(case_id), channel=channel)
    wait_until(lambda: len(found := drafts(bot, case_id)) == count and found[-1].state == "draft")


def test_two_composes_within_a_minute_read_the_profile_once_after_it_twice(
    mail_bot, fake_slack, clock
):
    case_id, channel, _, _ = open_case(mail_bot, fake_slack)
    lookups = lambda: [c.body.get("user") for c in fake_slack.calls_to("users.info")]  # noqa: E731
    assert lookups() == [AGENT]
    _draft_again(mail_bot, case_id, channel, 2)
    assert lookups() == [AGENT]  # the second draft names the same sender, from the cache
    first, second = (draft.sender for draft in drafts(mail_bot, case_id))
    assert second == first and second["email"]
    clock.advance(ProfileCache.TTL)
    _draft_again(mail_bot, case_id, channel, 3)
    assert lookups() == [AGENT, AGENT]
