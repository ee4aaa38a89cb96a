"""Builders for emails to the receiving side, tested without fakes: drafts built in memory."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from slackbot.domain.cases import CaseStatus
from slackbot.domain.handoff import REDACTED, CaseFacts, Draft, Sender, ThreadRef, compose_handoff
from slackbot.domain.handoff_followups import compose_reopen
from slackbot.render.email_blocks import (
    VENDOR_ACTIONS_BLOCK_ID,
    build_edit_modal,
    build_not_vendor_modal,
    build_vendor_buttons,
)
from slackbot.render.email_preview_blocks import (
    PREVIEW_BODY_LIMIT,
    build_already,
    build_email_preview,
    build_full_email,
    build_manual_note,
    build_missing,
    build_problems,
    restate_preview,
)
from slackbot.render.ids import CaseView, EmailAction, VendorAction
from storage.models import Case, EmailDraft
from tests.support.handoff import (
    AGENT_EMAIL,
    ASSISTER,
    IDV,
    NOW,
    SENDER,
    SUMMARY,
    TIER3,
    VENDOR,
)

#: The contact details in IDV_FIELDS: none may show where the whole channel reads.
CONTACT_VALUES = (
    "pat@clinic.example.com",
    "555-555-0102",
    "+1 555 555 0101",
    "Office manager",
    "555-555-0104",
)
IDV_FIELDS = {
    "agent_phone": "+1 555 555 0101",
    "agent_timezone": "America/Los_Angeles",
    "agent_availability": "Weekdays 9:00-15:00",
    "end_user_first_name": "Pat",
    "end_user_last_name": "Example",
    "end_user_email": "pat@clinic.example.com",
    "end_user_phone": "555-555-0102",
    "preferred_contact": "Phone",
    "preferred_time": "Mornings before 10:00",
    "end_user_timezone": "America/New_York",
    "alternate_contact": "Office manager\n555-555-0104",
    "description": "Fails at the selfie step.",
    "occurred_at": "2026-11-17T17:20:00+00:00",
    "screenshots": [{"id": "F1", "name": "error.png"}],
}


def make_case(**overrides) -> Case:
    values = dict(
        id=42,
        playbook_id="idv",
        summary=SUMMARY,
        status=CaseStatus.OPEN.value,
        tier=1,
        priority="high",
        category="access",
        requester_type="Clinician",
        internal_ticket="XQ123",
        fields=dict(IDV_FIELDS),
        opened_by="U0AGENT01",
        opened_at=NOW,
        updated_at=NOW,
    )
    values.update(overrides)
    return Case(**values)


def facts(case: Case) -> CaseFacts:
    return CaseFacts(
        key=f"ESC-{case.id}",
        summary=case.summary,
        internal_ticket=case.internal_ticket,
        category_label="Cannot pass identity verification",
        requester_type=case.requester_type,
        fields=case.fields,
        vendor_ticket=case.vendor_ticket,
    )


def stored(draft: Draft, **overrides) -> EmailDraft:
    """The row the use case stores for a composed draft."""
    values = dict(
        id=7,
        case_id=42,
        purpose=draft.purpose.value,
        to=list(draft.to),
        cc=list(draft.cc),
        reply_to=draft.reply_to,
        subject=draft.subject,
        body=draft.text,
        in_reply_to=draft.in_reply_to,
        thread_refs=list(draft.references),
        attachments=[dict(item) for item in draft.attachments],
        missing=[{"what": item.what, "how": item.how} for item in draft.missing],
        sender={"user_id": SENDER.user_id, "name": SENDER.name, "email": SENDER.email},
        created_by="U0AGENT01",
        created_at=NOW,
    )
    values.update(overrides)
    return EmailDraft(**values)


def handoff(sender: Sender = SENDER, **case_overrides) -> tuple[EmailDraft, Draft]:
    draft = compose_handoff(IDV, facts(make_case(**case_overrides)), sender)
    return stored(draft), draft


def preview(row: EmailDraft, draft: Draft):
    return build_email_preview(row, receiver=IDV.receiver.name, private=draft.private_values)


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def by_block_id(view: dict) -> dict[str, dict]:
    return {block["block_id"]: block for block in view["blocks"] if "block_id" in block}


# --- the preview -----------------------------------------------------------------------------


def test_the_preview_hides_contact_details():
    row, draft = handoff()
    text, blocks = preview(row, draft)
    shown = dumps(blocks) + text
    for value in CONTACT_VALUES:
        assert value not in shown
    assert re.search(r"\bPat\b", shown) is None
    assert re.search(r"\bExample\b", shown) is None
    assert REDACTED in shown
    # What is not a contact detail is still there to check.
    assert "Mornings before 10:00" in shown
    assert "Fails at the selfie step." in shown
    assert (
        f"Contact details show as {REDACTED} here; *View full email* shows them only to you."
        in shown
    )


def test_the_preview_shows_to_subject_and_cc():
    row, draft = handoff()
    text, blocks = preview(row, draft)
    assert text == "Hand-off email for ESC-42: check it, then Send or Edit"
    assert blocks[0]["text"]["text"].startswith(
        ":email: *Hand-off* to Identity verification vendor support for *ESC-42*"
    )
    assert [field["text"] for field in blocks[1]["fields"]] == [
        f"*To*\n{VENDOR}",
        f"*Subject*\nAcmeEHR; XQ123; {REDACTED}",
        f"*Cc*\n{AGENT_EMAIL}",
    ]
    assert ":paperclip: 1 attachment(s): error.png" in dumps(blocks)


def test_a_reply_says_it_goes_on_the_vendors_thread():
    thread = ThreadRef("AcmeEHR; XQ123; pat@clinic.example.com", "<handoff-1@mail.example.com>")
    draft = compose_reopen(IDV, facts(make_case()), SENDER, thread)
    _, blocks = preview(stored(draft), draft)
    fields = [field["text"] for field in blocks[1]["fields"]]
    assert fields[-1] == "*Threading*\nA reply on the vendor's email thread"
    assert fields[1] == f"*Subject*\nRe: AcmeEHR; XQ123; {REDACTED}"


def test_the_preview_has_send_with_confirm_edit_and_view():
    row, draft = handoff()
    _, blocks = preview(row, draft)
    actions = blocks[-1]
    assert actions["type"] == "actions"
    assert actions["block_id"] == "email_7"
    send, edit, view = actions["elements"]
    assert [send["action_id"], edit["action_id"], view["action_id"]] == [
        EmailAction.SEND,
        EmailAction.EDIT,
        EmailAction.VIEW,
    ]
    assert {send["value"], edit["value"], view["value"]} == {"7"}
    assert send["style"] == "primary"
    assert send["text"]["text"] == "Send to vendor"
    assert send["confirm"]["title"]["text"] == "Send this email?"
    assert send["confirm"]["text"]["text"] == f"It goes to {VENDOR} at once."
    assert send["confirm"]["confirm"]["text"] == "Send"
    assert send["confirm"]["deny"]["text"] == "Not yet"
    assert "confirm" not in edit and "confirm" not in view


def action_ids(blocks: list[dict]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


@pytest.mark.parametrize(
    ("state", "buttons", "status"),
    [
        ("draft", [EmailAction.SEND, EmailAction.EDIT, EmailAction.VIEW], None),
        ("queued", [EmailAction.VIEW], ":outbox_tray: <@U0DANA001> pressed Send <!date^"),
        ("sent", [EmailAction.VIEW], ":white_check_mark: Sent <!date^"),
        (
            "failed",
            [EmailAction.SEND, EmailAction.EDIT, EmailAction.VIEW],
            ":warning: Not delivered: 550 5.1.1 No such mailbox &lt;here&gt;. Press *Send",
        ),
        ("manual", [EmailAction.VIEW], ":clipboard: <@U0DANA001> sends this hand-off by hand"),
        ("superseded", [], ":pencil2: Replaced by an edited draft"),
    ],
)
def test_a_preview_shows_what_became_of_its_draft_and_only_the_buttons_still_possible(
    state, buttons, status
):
    row, draft = handoff()
    row.state, row.queued_by, row.queued_at, row.sent_at = state, "U0DANA001", NOW, NOW
    row.error = "550 5.1.1 No such mailbox <here>" if state == "failed" else None
    text, blocks = preview(row, draft)
    assert action_ids(blocks) == buttons
    contexts = [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    if status is None:
        assert not any(c.startswith((":outbox_tray:", ":white_check_mark:")) for c in contexts)
        assert text.endswith("check it, then Send or Edit")
    else:
        assert any(c.startswith(status) for c in contexts), contexts
    if state in ("queued", "sent", "manual", "superseded"):
        assert "Nothing leaves until" not in blocks[0]["text"]["text"]
        assert "Send or Edit" not in text
    # Whatever the state, the whole channel still never sees contact details.
    for value in CONTACT_VALUES:
        assert value not in dumps(blocks) + text


def test_restating_a_preview_keeps_its_content_as_posted_and_reframes_it():
    row, draft = handoff()
    _, posted = preview(row, draft)
    row.state, row.queued_by, row.sent_at = "sent", "U0DANA001", NOW
    text, blocks = restate_preview(row, receiver=IDV.receiver.name, posted=posted)
    content = [b for b in blocks if b.get("block_id") in ("email_fields", "email_body")]
    assert content == [b for b in posted if b.get("block_id") in ("email_fields", "email_body")]
    assert text == "Hand-off email for ESC-42: sent"
    assert "Nothing leaves" not in blocks[0]["text"]["text"]
    assert blocks[-2]["block_id"] == "email_status"
    assert action_ids(blocks) == [EmailAction.VIEW]
    # Restated again (sent twice, say): still one status line and one row of buttons.
    _, again = restate_preview(row, receiver=IDV.receiver.name, posted=blocks)
    assert again == blocks
    # The body is never rebuilt from the draft: a value not hidden then can't appear now.
    row.body = "Call 555-555-0199 now"
    _, stale = restate_preview(row, receiver=IDV.receiver.name, posted=posted)
    assert "555-555-0199" not in dumps(stale)


def test_the_preview_lists_what_is_missing():
    row, draft = handoff(sender=Sender("U0AGENT01", "Sam Agent"))
    _, blocks = preview(row, draft)
    warning = [
        block for block in blocks if block.get("text", {}).get("text", "").startswith(":warning:")
    ]
    assert len(warning) == 1
    assert warning[0]["text"]["text"] == (
        ":warning: *Missing before it can be sent:*\n"
        "• your email address (the vendor writes back to it): add an email to your Slack "
        "profile; the app needs the users:read.email scope to read it"
    )


def test_a_complete_draft_has_no_missing_section():
    row, draft = handoff()
    _, blocks = preview(row, draft)
    assert ":warning:" not in dumps(blocks)


def long_body(lines: int = 200) -> str:
    return "\n".join(f"line {number:03d} of a very long description" for number in range(lines))


def test_a_very_long_body_is_cut_with_a_note():
    row = stored(compose_handoff(IDV, facts(make_case()), SENDER), body=long_body())
    assert len(row.body) > PREVIEW_BODY_LIMIT
    _, blocks = build_email_preview(row, receiver="Vendor", private=())
    body = blocks[2]["text"]["text"]
    assert body.startswith("```line 000 of a very long description\n")
    assert body.endswith("\n…```")
    assert "line 199" not in body
    assert len(body) <= 3000
    assert "The body is cut here; *View full email* shows all of it." in dumps(blocks)


def test_a_short_body_is_not_cut():
    row, draft = handoff()
    _, blocks = preview(row, draft)
    assert blocks[2]["text"]["text"].endswith(f"Thank you,\nSam Agent\n{AGENT_EMAIL}\n```")
    assert "is cut here" not in dumps(blocks)


def test_a_long_body_full_of_markup_still_fits_a_section():
    body = "Error: <input> & <button> disabled\n" * 200
    row = stored(compose_handoff(IDV, facts(make_case()), SENDER), body=body)
    _, blocks = build_email_preview(row, receiver="Vendor", private=())
    assert len(blocks[2]["text"]["text"]) <= 3000


# --- the buttons on a case -------------------------------------------------------------------


def button_ids(block) -> list[str]:
    return [element["action_id"] for element in block["elements"]]


@pytest.mark.parametrize("status", [CaseStatus.OPEN, CaseStatus.ACKNOWLEDGED])
def test_before_the_hand_off_the_case_offers_a_preview(status):
    block = build_vendor_buttons(make_case(status=status.value), IDV)
    assert block["block_id"] == VENDOR_ACTIONS_BLOCK_ID
    # Issue 13: our engineers may assess the case (idv's engineering tier) before the hand-off.
    assert button_ids(block) == [VendorAction.PREVIEW_HANDOFF, VendorAction.ASSESSED]
    assert block["elements"][0]["value"] == "42"


@pytest.mark.parametrize("status", [CaseStatus.WITH_VENDOR, CaseStatus.VENDOR_CONTACTING_USER])
def test_with_the_vendor_the_case_offers_escalations_and_not_their_issue(status):
    case = make_case(status=status.value, handed_off_at=NOW, handoff_emailed_at=NOW)
    block = build_vendor_buttons(case, IDV)
    # Issue 13: the technical escalation waits for our engineers' assessment (and says so).
    assert button_ids(block) == [
        VendorAction.LEADERSHIP,
        VendorAction.NOT_VENDOR_ISSUE,
        VendorAction.TECHNICAL_WAITS,
        VendorAction.ASSESSED,
        VendorAction.REQUEST_CALLOUT,
    ]
    assert {element["value"] for element in block["elements"]} == {"42"}


def test_waiting_on_the_vendor_without_the_email_still_offers_the_hand_off_email():
    """⏳ before Send: the clocks run (handed off), the escalations show, the email is still due."""
    case = make_case(status=CaseStatus.WITH_VENDOR.value, handed_off_at=NOW)
    # Issue 13: the technical escalation shows, waiting for our engineers' assessment.
    assert button_ids(build_vendor_buttons(case, IDV)) == [
        VendorAction.PREVIEW_HANDOFF,
        VendorAction.LEADERSHIP,
        VendorAction.NOT_VENDOR_ISSUE,
        VendorAction.TECHNICAL_WAITS,
        VendorAction.ASSESSED,
        VendorAction.REQUEST_CALLOUT,
    ]
    case.handoff_emailed_at = NOW
    assert VendorAction.PREVIEW_HANDOFF not in button_ids(build_vendor_buttons(case, IDV))


@pytest.mark.parametrize("status", [CaseStatus.CLOSED_UNREACHABLE, CaseStatus.RESOLVED])
def test_a_closed_case_after_the_hand_off_offers_reopen_with_vendor(status):
    block = build_vendor_buttons(make_case(status=status.value, handed_off_at=NOW), IDV)
    assert button_ids(block) == [VendorAction.REOPEN]
    assert block["elements"][0]["text"]["text"] == (
        ":leftwards_arrow_with_hook: Reopen with vendor"
    )


def test_a_closed_case_never_handed_off_offers_nothing():
    assert build_vendor_buttons(make_case(status=CaseStatus.CLOSED_UNREACHABLE.value), IDV) is None


def test_a_playbook_without_contacts_offers_no_escalations():
    case = make_case(
        playbook_id="assister", status="with_vendor", handed_off_at=NOW, handoff_emailed_at=NOW
    )
    assert button_ids(build_vendor_buttons(case, ASSISTER)) == [
        VendorAction.NOT_VENDOR_ISSUE,
        VendorAction.REQUEST_CALLOUT,
    ]


def test_a_playbook_without_receiver_email_has_no_vendor_buttons():
    assert build_vendor_buttons(make_case(playbook_id="tier3"), TIER3) is None
    assert build_vendor_buttons(make_case(status="with_vendor", handed_off_at=NOW), TIER3) is None
    assert build_vendor_buttons(make_case(), None) is None


# --- the Edit modal --------------------------------------------------------------------------


def test_the_edit_modal_prefills_the_hand_off_details():
    row, _ = handoff()
    case = make_case(fields={**IDV_FIELDS, "description": "Fails at the selfie step.\nTwice."})
    view = build_edit_modal(row, case, IDV)
    assert view["callback_id"] == CaseView.EDIT_EMAIL
    assert json.loads(view["private_metadata"]) == {"draft_id": 7}
    assert view["title"]["text"] == "Edit email ESC-42"
    blocks = by_block_id(view)

    ticket = blocks["f_internal_ticket"]
    assert ticket["element"]["initial_value"] == "XQ123"
    assert ticket["optional"] is False
    assert blocks["f_agent_availability"]["element"]["initial_value"] == "Weekdays 9:00-15:00"
    assert blocks["f_description"]["element"]["initial_value"] == (
        "Fails at the selfie step.\nTwice."
    )
    assert blocks["f_end_user_email"]["element"]["type"] == "email_text_input"
    assert blocks["f_end_user_email"]["element"]["initial_value"] == "pat@clinic.example.com"
    assert blocks["f_preferred_contact"]["element"]["initial_option"]["value"] == "Phone"
    zone = blocks["f_agent_timezone"]["element"]["initial_option"]
    assert zone == {
        "text": {"type": "plain_text", "text": "America/Los Angeles", "emoji": True},
        "value": "America/Los_Angeles",
    }
    assert blocks["f_end_user_timezone"]["element"]["initial_option"]["value"] == (
        "America/New_York"
    )
    occurred = int(datetime(2026, 11, 17, 17, 20, tzinfo=UTC).timestamp())
    assert blocks["f_occurred_at"]["element"]["initial_date_time"] == occurred
    assert blocks["f_description"]["optional"] is False
    assert blocks["f_alternate_contact"]["optional"] is True


def test_the_edit_modal_leaves_files_empty_and_optional():
    row, _ = handoff()
    files = by_block_id(build_edit_modal(row, make_case(), IDV))["f_screenshots"]
    assert files["element"]["type"] == "file_input"
    assert not any(key.startswith("initial") for key in files["element"])
    assert files["optional"] is True
    assert files["hint"]["text"] == "Leave empty to keep the files already attached."


def test_the_edit_modal_lists_the_email_fields_in_playbook_order():
    row, _ = handoff()
    view = build_edit_modal(row, make_case(), IDV)
    ids = [block["block_id"] for block in view["blocks"] if "block_id" in block]
    assert ids == ["f_internal_ticket", *(f"f_{spec.id}" for spec in IDV.fields)]
    # An empty optional field has nothing to prefill.
    assert "initial_value" not in by_block_id(view)["f_additional_info"]["element"]


def test_the_edit_modal_leaves_out_people_fields():
    case = make_case(
        playbook_id="tier3",
        fields={"channel_in": "Help desk call", "helpers": ["U0HELPER1"]},
    )
    draft = compose_handoff(TIER3, facts(case), SENDER)
    blocks = by_block_id(build_edit_modal(stored(draft), case, TIER3))
    assert "f_helpers" not in blocks
    assert blocks["f_channel_in"]["element"]["initial_option"]["value"] == "Help desk call"


def test_a_follow_up_is_edited_through_its_note_only():
    draft = compose_reopen(IDV, facts(make_case()), SENDER, None, note="Call before noon.")
    row = stored(draft, note="Call before noon.")
    view = build_edit_modal(row, make_case(status="resolved", handed_off_at=NOW), IDV)
    blocks = by_block_id(view)
    assert list(blocks) == ["f_note"]
    note = blocks["f_note"]
    assert note["element"]["initial_value"] == "Call before noon."
    assert note["element"]["multiline"] is True
    assert note["element"]["max_length"] == 1500
    assert note["optional"] is True


def test_the_not_vendor_modal_asks_for_the_vendors_notes():
    view = build_not_vendor_modal(make_case(summary="Blocked <!channel>"))
    assert view["callback_id"] == CaseView.NOT_VENDOR_ISSUE
    assert json.loads(view["private_metadata"]) == {"case_id": 42}
    notes = by_block_id(view)["f_notes"]
    assert notes["optional"] is False
    assert "initial_value" not in notes["element"]
    assert "&lt;!channel&gt;" in view["blocks"][0]["text"]["text"]


# --- thread notes and refusals ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "purpose", "said"),
    [
        (
            "superseded",
            "handoff",
            "This draft for ESC-42 was replaced by an edited one: use the newest preview.",
        ),
        ("manual", "handoff", "This hand-off for ESC-42 was already handed off by hand."),
        ("sent", "reopen", "This reopen request for ESC-42 was already sent."),
        (
            "queued",
            "leadership",
            "This escalation to vendor leadership for ESC-42 is already being sent.",
        ),
    ],
)
def test_already_says_what_became_of_the_draft(state, purpose, said):
    row, _ = handoff()
    row.state = state
    row.purpose = purpose
    assert build_already(row) == said


def test_missing_and_problems_say_why_send_was_refused():
    row, _ = handoff(sender=Sender("U0AGENT01"))
    assert build_missing(row) == (
        ":no_entry: Not sent: the hand-off still needs:\n"
        "• your email address (the vendor writes back to it): add an email to your Slack "
        "profile; the app needs the users:read.email scope to read it"
    )
    assert build_problems(["“a<b” is not a valid email address"]) == (
        ":no_entry: Not sent:\n• “a&lt;b” is not a valid email address\nPress *Edit* to fix it."
    )


def test_the_manual_note_hides_contact_details():
    row, draft = handoff()
    note = build_manual_note(row, "U0AGENT01", private=draft.private_values)
    for value in CONTACT_VALUES:
        assert value not in note
    assert f"*To:* {VENDOR}\n*Subject:* AcmeEHR; XQ123; {REDACTED}\n" in note
    assert note.startswith(":clipboard: Email is not set up here, so <@U0AGENT01> sends")


def test_the_full_email_shows_everything_to_the_one_who_asked():
    row, _ = handoff()
    full = build_full_email(row)
    assert "pat@clinic.example.com" in full
    assert f"*Cc:* {AGENT_EMAIL}" in full
    assert "*Subject:* AcmeEHR; XQ123; pat@clinic.example.com" in full
    assert "*Attachments:* error.png" in full


def test_the_full_email_never_drops_the_end_of_a_long_body_silently():
    body = long_body(150) + "\nThank you,\nSam Agent\n"
    row = stored(compose_handoff(IDV, facts(make_case()), SENDER), body=body)
    full = build_full_email(row)
    assert "Sam Agent" in full or "cut" in full
