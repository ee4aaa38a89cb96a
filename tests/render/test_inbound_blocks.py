"""Block Kit for vendors' emails, with no fakes: what each message says and which buttons it has."""

from __future__ import annotations

import json

from slackbot.domain.inbound_classify import ReplyKind
from slackbot.domain.inbound_rules import PROPOSALS, Summary
from slackbot.domain.status_machine import Action
from slackbot.render.ids import InboundAction, InboundView, VendorAction
from slackbot.render.inbound_blocks import (
    FileNote,
    ThreadPost,
    attach_modal_case,
    attach_modal_errors,
    build_attach_modal,
    build_proposal,
    build_proposal_decided,
    build_thread_post,
    build_unmatched,
    build_unmatched_decided,
    size_label,
)


def action_ids(blocks) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_thread_post_quotes_the_new_text_escaped_and_names_files():
    text, blocks = build_thread_post(
        ThreadPost(
            inbound_id=7,
            case_id=42,
            sender="Vendor <support@vendor.example.com>",
            subject="Re: AcmeEHR; XQ123; •••",
            text="Hello <!channel>\nWe are on it.",
            notes=["Their ticket *1234* is now on the case."],
            files=[FileNote("a.png", 2048), FileNote("big.zip", 30 * 1024 * 1024, "over 10.0 MB")],
            problems=["no Date header"],
        )
    )
    rendered = json.dumps(blocks)
    # The notification text is mrkdwn too: the sender's angle brackets are escaped.
    assert text == "Email from Vendor &lt;support@vendor.example.com&gt;: Re: AcmeEHR; XQ123; •••"
    assert ">Hello &lt;!channel&gt;\\n>We are on it." in rendered
    assert "wrote about ESC-42" in rendered and "Their ticket *1234*" in rendered
    assert "Attached below: a.png (2 KB)" in rendered
    assert "Not uploaded: big.zip (30.0 MB, over 10.0 MB)" in rendered
    assert "no Date header" in rendered
    assert action_ids(blocks) == [InboundAction.VIEW]


def test_a_proposal_has_apply_and_ignore_and_unreachable_offers_reopen():
    proposal = PROPOSALS[ReplyKind.UNREACHABLE]
    text, blocks = build_proposal(
        inbound_id=7,
        case_id=42,
        vendor="IDV vendor",
        proposal=proposal,
        action=Action.CLOSE_UNREACHABLE,
        evidence="unable to reach",
    )
    assert "could not reach the end user" in text and "Nothing changes until" in text
    assert action_ids(blocks) == [InboundAction.APPLY, InboundAction.IGNORE, VendorAction.REOPEN]
    resolved = build_proposal(
        inbound_id=8,
        case_id=42,
        vendor="IDV vendor",
        proposal=PROPOSALS[ReplyKind.RESOLVED],
        action=Action.RESOLVE,
        evidence="",
    )[1]
    assert action_ids(resolved) == [InboundAction.APPLY, InboundAction.IGNORE]


def test_a_decided_proposal_says_who_and_keeps_only_reopen():
    proposal = PROPOSALS[ReplyKind.UNREACHABLE]
    text, blocks = build_proposal_decided(
        case_id=42, vendor="V", proposal=proposal, action=Action.CLOSE_UNREACHABLE, applied=True,
        user="U1",
    )  # fmt: skip
    assert "applied by <@U1>" in text and action_ids(blocks) == [VendorAction.REOPEN]
    text, blocks = build_proposal_decided(
        case_id=42, vendor="V", proposal=proposal, action=None, applied=False, user="U1"
    )
    assert "ignored by <@U1>" in text and action_ids(blocks) == []


def test_unmatched_summary_and_its_decision():
    summary = Summary("Vendor <support@vendor.example.com>", "Question", "First line.")
    _, blocks = build_unmatched(
        inbound_id=3, summary=summary, reason="no case id", files=2, problems=[]
    )
    assert action_ids(blocks) == [InboundAction.ATTACH, InboundAction.DISMISS]
    assert "2 attachments" in json.dumps(blocks)
    text, blocks = build_unmatched_decided(summary=summary, user="U1", case_id=42)
    assert "attached to ESC-42 by <@U1>" in text and action_ids(blocks) == []


def test_attach_modal_reads_back_its_case_id():
    view = build_attach_modal(inbound_id=3, subject="Question", channel="C1", ts="1.2")
    assert view["callback_id"] == InboundView.ATTACH
    assert json.loads(view["private_metadata"]) == {"inbound_id": 3, "channel": "C1", "ts": "1.2"}
    [_, field] = view["blocks"]
    state = {"values": {field["block_id"]: {"value": {"value": " ESC-42 "}}}}
    assert attach_modal_case({"state": state}) == "ESC-42"
    assert set(attach_modal_errors("bad")) == {field["block_id"]}
    assert size_label(10) == "1 KB" and size_label(3 * 1024 * 1024) == "3.0 MB"
