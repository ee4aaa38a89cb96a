"""The Slack adapter against the fake Web API: posts carry their outbox key in metadata and are
found again by it; posts are never retried blindly; a channel's name is looked up once."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from slackbot.devtools.slack_api import Failure
from slackbot.effects import NotInvited
from slackbot.outbound.slack import METADATA_TYPE, PostOutcomeUnknown, SlackPoster


def _poster(fake_slack, **client) -> SlackPoster:
    return SlackPoster(
        WebClient(
            token="xoxb-test-token",
            base_url=fake_slack.url,
            retry_handlers=[
                ConnectionErrorRetryHandler(max_retry_count=2),
                RateLimitErrorRetryHandler(max_retry_count=3),
                ServerErrorRetryHandler(max_retry_count=2),
            ],
            **client,
        )
    )


def test_a_post_carries_its_key_and_is_found_again_top_level_and_in_its_thread(fake_slack):
    poster = _poster(fake_slack)
    root = poster.post("#escalations-idv", text="root", key="7@1")
    reply = poster.reply(root["channel"], root["ts"], "note", None, key="8@1")
    [call] = fake_slack.calls_to("chat.postMessage")[:1]
    assert call.body["metadata"] == {"event_type": METADATA_TYPE, "event_payload": {"key": "7@1"}}
    assert poster.find_post("#escalations-idv", "7@1") == root
    assert poster.find_post(root["channel"], "8@1", thread_ts=root["ts"]) == reply
    assert poster.find_post("#escalations-idv", "9@1") is None
    assert poster.find_post(root["channel"], "7@1", thread_ts=root["ts"]) is None  # not a reply
    for method in ("conversations.history", "conversations.replies"):
        assert all(c.body["include_all_metadata"] for c in fake_slack.calls_to(method))
    assert len(fake_slack.calls_to("conversations.list")) == 1  # the name, looked up once


def test_a_post_slack_answers_with_a_server_error_is_not_posted_again_and_says_unknown(fake_slack):
    poster = _poster(fake_slack)
    fake_slack.fail("chat.postMessage", Failure(status=500, error="internal_error"))
    with pytest.raises(PostOutcomeUnknown):
        poster.post("C00000001", text="hello", key="1@1")
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_a_rate_limited_post_is_retried_by_the_client(fake_slack):
    poster = _poster(fake_slack)
    fake_slack.fail("chat.postMessage", Failure(status=429, retry_after=0))
    assert poster.post("C00000001", text="hello", key="1@1")["ts"]
    assert len(fake_slack.calls_to("chat.postMessage")) == 2


def test_a_channel_nobody_can_list_is_not_searched(fake_slack):
    poster = _poster(fake_slack)
    assert poster.find_post("#nowhere", "1@1") is None
    assert fake_slack.calls_to("conversations.history") == []


def test_a_named_channel_is_posted_to_by_its_id_and_joined_by_id_to_read_it(fake_slack):
    channel = fake_slack.add_channel("#escalations-idv")
    poster = _poster(fake_slack)
    root = poster.post("#escalations-idv", text="root", key="7@1")
    assert fake_slack.calls_to("chat.postMessage")[0].body["channel"] == channel
    assert poster.find_post("#escalations-idv", "7@1") == root
    [join] = fake_slack.calls_to("conversations.join")
    assert join.body["channel"] == channel  # an id: Slack refuses a name here
    assert poster.find_post("#escalations-idv", "7@1") == root
    assert len(fake_slack.calls_to("conversations.join")) == 1  # joined once
    assert [c.error for c in fake_slack.calls if c.error] == ["not_in_channel"]


def test_a_private_channel_without_the_bot_is_not_invited_until_someone_invites_it(fake_slack):
    fake_slack.add_channel("#secret-escalations", private=True)
    poster = _poster(fake_slack)
    with pytest.raises(NotInvited) as waiting:
        poster.post("#secret-escalations", text="root", key="7@1")
    assert waiting.value.count is False  # kept for as long as it takes
    assert fake_slack.posts_in("#secret-escalations") == []
    assert poster.find_post("#secret-escalations", "7@1") is None
    fake_slack.invite("#secret-escalations")
    root = poster.post("#secret-escalations", text="root", key="7@1")
    assert root["channel"] == fake_slack.channel_ids["#secret-escalations"]
    assert poster.find_post("#secret-escalations", "7@1") == root
