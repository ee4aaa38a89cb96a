"""The fake Slack refuses what Slack refuses: for each documented limit, a payload at the limit
is taken and one unit over it is refused, with Slack's error name (through slack_sdk's own
WebClient, over HTTP, as the bot calls it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from slackbot.devtools.slack_api import start_fake_slack
from slackbot.devtools.slack_rules import trigger_id
from slackbot.domain import slack_limits as limits

pytestmark = pytest.mark.slack_refusals


@pytest.fixture
def client(fake_slack) -> WebClient:
    return WebClient(token="xoxb-test-token", base_url=fake_slack.url)


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def section(text: str = "x", **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def options(count: int, text: str = "o", value: str | None = None) -> list[dict[str, Any]]:
    return [{"text": plain(text), "value": value or f"v{i}"} for i in range(count)]


def select(opts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "static_select", "action_id": "pick", "options": opts}


def checkboxes(opts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "checkboxes", "action_id": "boxes", "options": opts}


def in_input(element: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "input", "block_id": "b", "label": plain("Pick"), "element": element}]


def button(text: str = "Go", action_id: str = "go") -> dict[str, Any]:
    return {"type": "button", "text": plain(text), "action_id": action_id, "value": "1"}


def modal(blocks: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "cb",
        "title": plain("Title"),
        "blocks": blocks,
        **extra,
    }


def post(client: WebClient, blocks: list[dict[str, Any]]) -> Any:
    return client.chat_postMessage(channel="C0TEST001", text="fallback", blocks=blocks)


def open_view(client: WebClient, view: dict[str, Any]) -> Any:
    return client.views_open(trigger_id=trigger_id(), view=view)


def in_message(blocks: Callable[[int], list]) -> Callable[[WebClient, int], Any]:
    return lambda client, n: post(client, blocks(n))


def in_modal(view: Callable[[int], dict]) -> Callable[[WebClient, int], Any]:
    return lambda client, n: open_view(client, view(n))


#: (limit, a call whose size is its argument, Slack's error one unit over it).
LIMITS = {
    "message blocks": (
        limits.MESSAGE_BLOCKS,
        in_message(lambda n: [section()] * n),
        "invalid_blocks",
    ),
    "modal blocks": (
        limits.VIEW_BLOCKS,
        in_modal(lambda n: modal([section()] * n)),
        "invalid_arguments",
    ),
    "home tab blocks": (
        limits.VIEW_BLOCKS,
        lambda c, n: c.views_publish(
            user_id="U0AGENT01", view={"type": "home", "blocks": [section()] * n}
        ),
        "invalid_arguments",
    ),
    "section text": (
        limits.SECTION_TEXT,
        in_message(lambda n: [section("s" * n)]),
        "invalid_blocks",
    ),
    "header text": (
        limits.HEADER_TEXT,
        in_message(lambda n: [{"type": "header", "text": plain("h" * n)}]),
        "invalid_blocks",
    ),
    "button text": (
        limits.BUTTON_TEXT,
        in_message(lambda n: [{"type": "actions", "elements": [button("b" * n)]}]),
        "invalid_blocks",
    ),
    "option text": (
        limits.OPTION_TEXT,
        in_modal(lambda n: modal(in_input(select(options(1, text="t" * n))))),
        "invalid_arguments",
    ),
    "option value": (
        limits.OPTION_VALUE,
        in_modal(lambda n: modal(in_input(select(options(1, value="v" * n))))),
        "invalid_arguments",
    ),
    "select options": (
        limits.SELECT_OPTIONS,
        in_modal(lambda n: modal(in_input(select(options(n))))),
        "invalid_arguments",
    ),
    "checkbox options": (
        limits.CHECKBOX_OPTIONS,
        in_modal(lambda n: modal(in_input(checkboxes(options(n))))),
        "invalid_arguments",
    ),
    "modal title": (
        limits.VIEW_TITLE,
        in_modal(lambda n: modal([section()], title=plain("t" * n))),
        "invalid_arguments",
    ),
    "modal submit": (
        limits.VIEW_SUBMIT,
        in_modal(lambda n: modal(in_input(select(options(1))), submit=plain("s" * n))),
        "invalid_arguments",
    ),
    "modal close": (
        limits.VIEW_CLOSE,
        in_modal(lambda n: modal([section()], close=plain("c" * n))),
        "invalid_arguments",
    ),
    "private_metadata": (
        limits.PRIVATE_METADATA,
        in_modal(lambda n: modal([section()], private_metadata="m" * n)),
        "invalid_arguments",
    ),
    "action_id": (
        limits.ACTION_ID,
        in_message(lambda n: [{"type": "actions", "elements": [button(action_id="a" * n)]}]),
        "invalid_blocks",
    ),
    "block_id": (
        limits.BLOCK_ID,
        in_message(lambda n: [section(block_id="b" * n)]),
        "invalid_blocks",
    ),
    "top-level text": (
        limits.MESSAGE_TEXT,
        lambda c, n: c.chat_postMessage(channel="C0TEST001", text="t" * n),
        "msg_too_long",
    ),
}


@pytest.mark.parametrize("name", list(LIMITS))
def test_the_fake_takes_a_payload_at_the_limit_and_refuses_one_unit_over(client, name):
    limit, make, error = LIMITS[name]
    assert make(client, limit)["ok"]
    with pytest.raises(SlackApiError) as refused:
        make(client, limit + 1)
    assert refused.value.response["error"] == error


def test_block_ids_are_unique_within_a_view_and_action_ids_within_their_block(client):
    twice = [section(block_id="same"), section(block_id="same")]
    with pytest.raises(SlackApiError) as refused:
        open_view(client, modal(twice))
    assert refused.value.response["error"] == "invalid_arguments"
    assert "used twice" in refused.value.response["response_metadata"]["messages"][0]
    two_buttons = [{"type": "actions", "elements": [button(), button()]}]
    with pytest.raises(SlackApiError):
        post(client, two_buttons)
    # The same action_id in two blocks is what Slack takes (every input's element is `value`).
    assert post(client, [{"type": "actions", "elements": [button()]}] * 2)["ok"]


def test_an_unknown_block_type_and_a_broken_object_are_invalid_blocks(client):
    for blocks in ([{"type": "sectionn"}], [{"type": "section"}], "not a list"):
        with pytest.raises(SlackApiError) as refused:
            client.chat_postMessage(channel="C0TEST001", text="x", blocks=blocks)
        assert refused.value.response["error"] == "invalid_blocks"


def test_a_message_needs_text_or_blocks(client):
    with pytest.raises(SlackApiError) as refused:
        # api_call: chat_postMessage itself warns about the missing text before sending it.
        client.api_call("chat.postMessage", json={"channel": "C0TEST001", "text": ""})
    assert refused.value.response["error"] == "no_text"


def test_every_refusal_is_kept_with_why():
    state, server = start_fake_slack()
    try:
        client = WebClient(token="xoxb-test-token", base_url=state.url)
        with pytest.raises(SlackApiError):
            client.chat_postMessage(channel="C0TEST001", text="x", blocks=[section("s" * 3001)])
        [(method, error, why)] = state.refusals
        assert (method, error) == ("chat.postMessage", "invalid_blocks")
        assert "3000" in why
        assert state.calls_to("chat.postMessage")[0].error == "invalid_blocks"
    finally:
        server.shutdown()
        server.server_close()
