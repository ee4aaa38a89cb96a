"""Block Kit and mrkdwn as HTML (and as terminal text): the formatting Slack applies, and no
HTML from anyone's text."""

from __future__ import annotations

import re

import pytest

from slackbot.devtools.slack_html import (
    Names,
    Scene,
    block_html,
    email_html,
    message_html,
    modal_html,
    mrkdwn_to_html,
    page_html,
)
from slackbot.devtools.slack_text import blocks_to_text, mrkdwn_to_text
from slackbot.domain.mrkdwn import escape
from slackbot.render.blocks import build_intake_modal
from tests.support.handoff import IDV

NAMES = Names(users={"U0DANA001": "Dana"}, channels={"C00000001": "escalations-idv"})


@pytest.mark.parametrize(
    ("mrkdwn", "expected"),
    [
        ("*bold*", "<strong>bold</strong>"),
        ("_italic_", "<em>italic</em>"),
        ("~gone~", "<del>gone</del>"),
        ("a `x < y` b", "a <code>x &lt; y</code> b"),
        ("*Status*\nopen", "<strong>Status</strong><br>open"),
        ("snake_case_name stays", "snake_case_name stays"),
        ("2 * 3 * 4", "2 * 3 * 4"),
        ("<https://example.com/a?b=1&amp;c=2|the docs>", "the docs"),
        ("<@U0DANA001> owns it", '<span class="mention">@Dana</span> owns it'),
        ("in <#C00000001>", 'in <span class="mention">#escalations-idv</span>'),
        ("<!subteam^S0TIER1|tier-1>", '<span class="mention">@tier-1</span>'),
        (":eyes: :hourglass_flowing_sand:", "👀 ⏳"),
        (":not_an_emoji_we_know:", ":not_an_emoji_we_know:"),
    ],
)
def test_mrkdwn_formatting(mrkdwn, expected):
    assert expected in mrkdwn_to_html(mrkdwn, NAMES)


def test_links_keep_their_address_and_only_safe_schemes():
    html = mrkdwn_to_html("<https://example.com/a?b=1&amp;c=2|the docs>", NAMES)
    assert html == '<a href="https://example.com/a?b=1&amp;c=2">the docs</a>'
    assert "href" not in mrkdwn_to_html("<javascript:alert(1)|click>", NAMES)
    assert 'href="mailto:pat@clinic.example.com"' in mrkdwn_to_html(
        "<mailto:pat@clinic.example.com|write>", NAMES
    )


def test_dates_show_their_time_not_the_token():
    html = mrkdwn_to_html("<!date^1763400000^{date_short_pretty} {time}|2025-11-17 17:20 UTC>")
    assert html == '<time datetime="2025-11-17T17:20:00+00:00">Nov 17, 2025 17:20 UTC</time>'
    assert "!date" not in html


def test_code_blocks_and_quotes():
    html = mrkdwn_to_html("before\n```line *one*\n<b>two</b>```\n&gt;quoted\n&gt;more\nafter")
    assert "<pre>line *one*\n&lt;b&gt;two&lt;/b&gt;</pre>" in html
    assert "<blockquote>quoted<br>more</blockquote>" in html
    assert html.startswith("before") and html.endswith("after")


@pytest.mark.parametrize(
    "typed",
    [
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "<b>bold?</b> & <!channel>",
        "*<i>x</i>*",
    ],
)
def test_typed_text_never_becomes_html(typed):
    # As the bot sends it (escaped), and as a careless sender might (raw): both stay text.
    for text in (escape(typed), typed):
        html = mrkdwn_to_html(text, NAMES)
        assert not re.search(r"<(script|img|b|i)\b", html), html


def test_typed_text_in_plain_text_objects_and_labels_is_escaped():
    block = {
        "type": "input",
        "block_id": "f_x",
        "label": {"type": "plain_text", "text": "<script>x</script>"},
        "element": {"type": "plain_text_input", "initial_value": "<img src=x>"},
    }
    html = block_html(block, NAMES)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x&gt;" in html


def test_section_fields_accessory_context_header_divider_actions():
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "ESC-1"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*ESC-1* · summary"},
            "accessory": {
                "type": "button",
                "text": {"type": "plain_text", "text": "Open"},
                "action_id": "a",
            },
        },
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": "*Status*\nopen"}] * 2,
        },
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "_opened_"}]},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Send"},
                    "style": "primary",
                },
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Escalate"},
                    "style": "danger",
                },
            ],
        },
    ]
    html = "".join(block_html(b, NAMES) for b in blocks)
    assert "<h3>ESC-1</h3>" in html
    assert 'class="section with-accessory"' in html and ">Open</button>" in html
    assert html.count("<div><strong>Status</strong><br>open</div>") == 2
    assert "<hr>" in html and '<div class="context"><span><em>opened</em></span></div>' in html
    assert 'class="btn primary">Send' in html and 'class="btn danger">Escalate' in html


def test_the_intake_modal_is_a_card_with_every_input_and_its_errors():
    view = build_intake_modal(IDV, origin_channel="C0SUPPORT1")
    html = modal_html(view, NAMES, errors={"f_summary": "Give a one-line summary."})
    assert html.count('<div class="input">') == sum(
        1 for b in view["blocks"] if b["type"] == "input"
    )
    assert '<div class="modal-title">Escalate a case</div>' in html
    assert "⚠ Give a one-line summary.</div>" in html
    assert ">Open case</button>" in html and ">Cancel</button>" in html
    assert "Drag files here" in html  # the screenshots file input


def test_message_and_email_and_page():
    message = message_html({"text": "<@U0DANA001> moved it"}, NAMES, note="(edited)")
    assert "@Dana" in message and "(edited)" in message and "APP" in message
    email = email_html([("Subject", "A <b> subject")], "Body & more\n", ["error.png"])
    assert "A &lt;b&gt; subject" in email and "Body &amp; more" in email and "error.png" in email
    page = page_html("T <x>", "sub", [Scene("Sam", "form", message, "Step 1")])
    assert page.startswith("<!DOCTYPE html>") and "<title>T &lt;x&gt;</title>" in page
    assert '<h2 class="step">Step 1</h2>' in page
    # Self-contained: no stylesheet, script, font or image fetched from anywhere.
    assert not re.search(r"<(link|script|img|iframe)\b|@import|url\(|src=", page)


def test_terminal_text_resolves_mentions_dates_and_emoji():
    text = mrkdwn_to_text(
        ":eyes: <@U0DANA001> in <#C00000001> <!date^1763400000^{time}|x> &lt;b&gt;", NAMES
    )
    assert text == "👀 @Dana in #escalations-idv Nov 17 17:20 UTC <b>"
    lines = blocks_to_text(build_intake_modal(IDV, origin_channel="C0")["blocks"], NAMES)
    assert "Summary: <plain_text_input>" in lines
    assert any(line.startswith("Screenshots (optional): ") for line in lines)
