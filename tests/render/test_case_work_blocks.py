"""Issue 13's Block Kit, with no fakes: the root message's needs-info button, Edit/Assign row and
work context; the details reply email; the edit note."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from slackbot.domain.cases import CaseStatus
from slackbot.domain.handoff import Purpose, Sender, ThreadRef
from slackbot.domain.handoff_followups import compose_details, moves_when_sent
from slackbot.domain.playbooks import DEFAULT_PLAYBOOKS_PATH, load_playbooks
from slackbot.domain.status_machine import Action
from slackbot.render.blocks import build_root_message
from slackbot.render.case_work_blocks import (
    build_edited_note,
    build_manage_row,
    case_of_block,
)
from slackbot.render.ids import CaseAction, VendorAction
from storage.models import Case
from tests.support.handoff import idv_case

IDV = load_playbooks(DEFAULT_PLAYBOOKS_PATH).get("idv")
NOW = datetime(2026, 11, 18, 17, 0, tzinfo=UTC)


def make_case(**overrides) -> Case:
    values = dict(
        id=42,
        playbook_id="idv",
        summary="Selfie step fails",
        status=CaseStatus.WITH_VENDOR.value,
        tier=1,
        priority="high",
        category="access",
        requester_type="Clinician",
        internal_ticket="XQ123",
        fields={},
        opened_by="U0AGENT01",
        owner_id="U0DANA001",
        opened_at=NOW,
        updated_at=NOW,
        handed_off_at=NOW,
    )
    values.update(overrides)
    return Case(**values)


def action_ids(blocks) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_with_the_vendor_the_root_offers_needs_info_edit_and_assign():
    _, blocks = build_root_message(make_case(), IDV)
    ids = action_ids(blocks)
    assert CaseAction.NEEDS_INFO in ids and CaseAction.EDIT in ids and CaseAction.ASSIGN in ids
    manage = next(b for b in blocks if b.get("block_id", "").startswith("case_manage"))
    assert case_of_block(manage["block_id"]) == 42
    assert manage["elements"][1]["type"] == "users_select"
    assert case_of_block("case_actions") is None
    assert build_manage_row(make_case(status=CaseStatus.RESOLVED.value)) is None


def test_waiting_on_us_shows_what_they_asked_escaped_and_offers_the_reply():
    case = make_case(status=CaseStatus.VENDOR_NEEDS_INFO.value, needs_info="email <&> time")
    _, blocks = build_root_message(case, IDV)
    work = next(b for b in blocks if b.get("block_id") == "case_work")
    assert "The vendor asked us for:* email &lt;&amp;&gt; time" in json.dumps(work)
    ids = action_ids(blocks)
    assert VendorAction.SEND_DETAILS in ids and CaseAction.NEEDS_INFO not in ids


def test_a_requested_call_out_shows_as_requested_then_confirmed():
    asked = make_case(callout_at=NOW + timedelta(days=1), callout_requested_at=NOW)
    _, blocks = build_root_message(asked, IDV)
    assert "_requested_, not confirmed" in json.dumps(blocks)
    assert VendorAction.CALLOUT_CONFIRMED in action_ids(blocks)
    confirmed = make_case(
        callout_at=NOW + timedelta(days=1), callout_requested_at=NOW, callout_confirmed_at=NOW
    )
    _, blocks = build_root_message(confirmed, IDV)
    assert "confirmed by the vendor" in json.dumps(blocks)
    assert VendorAction.REQUEST_CALLOUT in action_ids(blocks)


def test_the_details_reply_goes_on_the_vendors_thread_and_hands_the_case_back():
    thread = ThreadRef(message_id="<m1@example.com>", subject="AcmeEHR; XQ123; x", references=())
    sender = Sender("U0AGENT01", "Sam Agent", "sam@support.example.com")
    draft = compose_details(IDV, idv_case(), sender, thread, "The sign-up was today.")
    assert draft.purpose is Purpose.DETAILS
    assert draft.subject == "Re: AcmeEHR; XQ123; x"
    assert draft.in_reply_to == "<m1@example.com>"
    assert "Here are the details you asked for:\n\nThe sign-up was today." in draft.text
    assert moves_when_sent(Purpose.DETAILS) == (Action.WAIT_ON_VENDOR,)


def test_the_edit_note_says_each_change_in_words_and_escapes_them():
    note = build_edited_note(
        "U1", 42, {"summary": ("a", "b <c>"), "category": ("other", "access")}, IDV
    )
    assert "*summary* a → b &lt;c&gt;" in note
    assert "*category* Other vendor question → Cannot pass identity verification" in note
