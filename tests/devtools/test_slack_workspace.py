"""The fake Slack's workspace rules: channel ids and names, private channels and invitations,
trigger ids that expire, message metadata, chat.update of unknown messages, scopes from
manifest.yml, paginated conversations.list and (opt-in) rate-limit tiers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from slackbot.devtools.slack_api import start_fake_slack
from slackbot.devtools.slack_rules import manifest_scopes, trigger_id

VIEW = {
    "type": "modal",
    "title": {"type": "plain_text", "text": "Title"},
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}],
}

pytestmark = pytest.mark.slack_refusals


def slack_error(call) -> str:
    with pytest.raises(SlackApiError) as refused:
        call()
    return refused.value.response["error"]


@pytest.fixture
def client(fake_slack) -> WebClient:
    return WebClient(token="xoxb-test-token", base_url=fake_slack.url)


@contextmanager
def started(**options) -> Iterator[WebClient]:
    state, server = start_fake_slack(**options)
    try:
        yield WebClient(token="xoxb-test-token", base_url=state.url)
    finally:
        server.shutdown()
        server.server_close()


def test_methods_that_take_an_id_refuse_a_name_and_post_answers_the_id(client, fake_slack):
    posted = client.chat_postMessage(channel="#general", text="hello")
    assert posted["channel"] == fake_slack.channel_ids["#general"]
    for method in ("conversations_join", "conversations_history", "conversations_members"):
        assert slack_error(lambda m=method: getattr(client, m)(channel="#general")) == (
            "channel_not_found"
        )
    assert slack_error(
        lambda: client.chat_update(channel="#general", ts=posted["ts"], text="x")
    ) == ("channel_not_found")
    assert client.conversations_join(channel=posted["channel"])["ok"]


def test_history_needs_the_bot_in_the_channel_public_ones_after_a_join(client):
    posted = client.chat_postMessage(channel="#general", text="hello")
    channel = posted["channel"]
    assert slack_error(lambda: client.conversations_history(channel=channel)) == "not_in_channel"
    client.conversations_join(channel=channel)
    assert client.conversations_history(channel=channel)["messages"][0]["ts"] == posted["ts"]


def test_a_private_channel_refuses_the_bot_until_it_is_invited(client, fake_slack):
    channel = fake_slack.add_channel("#secret", private=True)
    post = lambda: client.chat_postMessage(channel="#secret", text="hello")  # noqa: E731
    assert slack_error(post) == "not_in_channel"
    assert slack_error(lambda: client.conversations_join(channel=channel)) == (
        "method_not_supported_for_channel_type"
    )
    listed = client.conversations_list(types="public_channel,private_channel")["channels"]
    assert channel not in [c["id"] for c in listed]
    fake_slack.invite("#secret")
    assert post()["channel"] == channel
    listed = client.conversations_list(types="public_channel,private_channel")["channels"]
    assert channel in [c["id"] for c in listed]


def test_a_trigger_id_expires_three_seconds_after_its_request(client):
    assert client.views_open(trigger_id=trigger_id(time.time() - 2.5), view=VIEW)["ok"]
    stale = trigger_id(time.time() - 3.1)
    assert slack_error(lambda: client.views_open(trigger_id=stale, view=VIEW)) == (
        "expired_trigger_id"
    )
    assert slack_error(lambda: client.views_open(trigger_id="1337.42.abc", view=VIEW)) == (
        "invalid_trigger_id"
    )


def test_metadata_is_kept_and_shown_only_with_include_all_metadata(client):
    metadata = {"event_type": "t", "event_payload": {"key": "k1"}}
    posted = client.chat_postMessage(channel="#general", text="hi", metadata=metadata)
    client.conversations_join(channel=posted["channel"])
    plain = client.conversations_history(channel=posted["channel"])["messages"][0]
    assert "metadata" not in plain
    full = client.conversations_history(channel=posted["channel"], include_all_metadata=True)
    assert full["messages"][0]["metadata"] == metadata
    reply = client.chat_postMessage(
        channel=posted["channel"], thread_ts=posted["ts"], text="r", metadata=metadata
    )
    thread = client.conversations_replies(
        channel=posted["channel"], ts=posted["ts"], include_all_metadata=True
    )["messages"]
    assert [m["ts"] for m in thread] == [posted["ts"], reply["ts"]]
    assert thread[1]["metadata"] == metadata


def test_chat_update_of_a_message_never_posted_is_message_not_found(client):
    posted = client.chat_postMessage(channel="#general", text="hi")
    assert client.chat_update(channel=posted["channel"], ts=posted["ts"], text="edited")["ok"]
    assert slack_error(
        lambda: client.chat_update(channel=posted["channel"], ts="1.000001", text="x")
    ) == ("message_not_found")


def test_the_bot_scopes_come_from_the_manifest_and_a_missing_one_is_named():
    assert {"files:write", "channels:read", "im:write"} <= set(manifest_scopes())
    scopes = [s for s in manifest_scopes() if s not in ("files:write", "channels:read", "im:write")]
    with started(scopes=scopes) as client:
        cases = {
            "files:write": lambda: client.files_getUploadURLExternal(filename="a.csv", length=1),
            "channels:read": lambda: client.conversations_list(),
            "im:write": lambda: client.conversations_open(users="U0AGENT01"),
        }
        for needed, call in cases.items():
            with pytest.raises(SlackApiError) as refused:
                call()
            assert refused.value.response["error"] == "missing_scope"
            assert refused.value.response["needed"] == needed
        assert client.chat_postMessage(channel="#general", text="still fine")["ok"]
        assert slack_error(lambda: client.api_call("chat.nonsense")) == "unknown_method"


def test_conversations_list_comes_a_page_at_a_time(client, fake_slack):
    for index in range(5):
        fake_slack.add_channel(f"#c{index}")
    names, cursor = [], None
    pages = 0
    while True:
        page = client.conversations_list(limit=2, cursor=cursor)
        names += [c["name"] for c in page["channels"]]
        pages += 1
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert names == [f"c{index}" for index in range(5)]
    assert pages == 3


def test_strict_mode_answers_429_with_retry_after_past_a_methods_tier():
    with started(strict_rate_limits=True) as client:
        for _ in range(20):  # conversations.list is Tier 2: 20 a minute
            client.conversations_list()
        with pytest.raises(SlackApiError) as refused:
            client.conversations_list()
        assert refused.value.response.status_code == 429
        assert int(refused.value.response.headers["Retry-After"]) >= 1
        for _ in range(5):  # chat.postMessage: a short burst per channel, then 429
            client.chat_postMessage(channel="C0BURST01", text="x")
        assert slack_error(lambda: client.chat_postMessage(channel="C0BURST01", text="x")) == (
            "ratelimited"
        )
        assert client.chat_postMessage(channel="C0OTHER01", text="x")["ok"]


def test_without_strict_mode_there_is_no_rate_limit(client):
    for _ in range(30):
        client.conversations_list()


def test_a_profile_has_no_email_without_users_read_email_and_uploads_share_by_id(client):
    assert client.users_info(user="U0AGENT01")["user"]["profile"]["email"]
    scopes = [s for s in manifest_scopes() if s != "users:read.email"]
    with started(scopes=scopes) as narrow:
        assert "email" not in narrow.users_info(user="U0AGENT01")["user"]["profile"]
    upload = client.files_getUploadURLExternal(filename="a.csv", length=1)
    files = [{"id": upload["file_id"], "title": "a"}]
    assert slack_error(
        lambda: client.files_completeUploadExternal(files=files, channel_id="#general")
    ) == ("channel_not_found")


def test_socket_mode_needs_the_app_level_token_and_the_web_api_the_bot_token(fake_slack):
    bot = WebClient(token="xoxb-test-token", base_url=fake_slack.url)
    app = WebClient(token="xapp-1-test", base_url=fake_slack.url)
    assert slack_error(lambda: bot.apps_connections_open(app_token="xoxb-test-token")) == (
        "not_allowed_token_type"
    )
    assert app.apps_connections_open(app_token="xapp-1-test")["ok"]
    assert slack_error(lambda: app.chat_postMessage(channel="#general", text="x")) == (
        "not_allowed_token_type"
    )
