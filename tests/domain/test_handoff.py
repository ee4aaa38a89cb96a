"""Composing emails to the receiving side from the shipped playbooks: pure, with a fixed `now`."""

from __future__ import annotations

import pytest

from slackbot.domain.draft_checks import email_problems
from slackbot.domain.handoff import (
    REDACTED,
    CaseFacts,
    Missing,
    Purpose,
    Sender,
    compose_handoff,
    format_when,
    missing_details,
    private_values,
    redact,
    render_subject,
    subject_values,
)
from slackbot.domain.intake import validate_details, validate_intake
from slackbot.domain.playbooks import (
    SUBJECT_PLACEHOLDERS,
    PlaybookError,
    parse_playbooks,
)
from tests.support.handoff import (
    AGENT_EMAIL,
    IDV,
    MISSING_SENDER_EMAIL,
    NOW,
    SENDER,
    SUBJECT,
    SUMMARY,
    TIER3,
    VENDOR,
    assert_lines_in_order,
    idv_case,
    idv_fields,
    with_template,
)

# --- the hand-off ----------------------------------------------------------------------------


def test_the_subject_follows_the_vendors_template():
    assert render_subject(IDV.receiver.subject_template, idv_case()) == (SUBJECT, [])
    assert compose_handoff(IDV, idv_case(), SENDER).subject == SUBJECT


def test_a_complete_hand_off_is_ready_to_send():
    draft = compose_handoff(IDV, idv_case(), SENDER)
    assert draft.purpose is Purpose.HANDOFF
    assert draft.to == (VENDOR,)
    assert draft.cc == (AGENT_EMAIL,)
    assert draft.reply_to == AGENT_EMAIL
    assert draft.in_reply_to is None and draft.references == ()
    assert draft.attachments == ({"id": "F1", "name": "error.png"},)
    assert draft.missing == ()
    assert email_problems(draft) == []


def test_the_body_carries_every_detail_in_the_vendors_order():
    draft = compose_handoff(IDV, idv_case(), SENDER)
    assert_lines_in_order(
        draft.text,
        [
            "Hello Identity verification vendor support,",
            "Please open a support ticket on behalf of the prescriber below.",
            "Our ticket: XQ123 (case ESC-42)",
            "TICKET SENDER (our support agent)",
            "  Name: Sam Agent",
            f"  Email: {AGENT_EMAIL}",
            "  Phone: +1 555 555 0101",
            "  Time zone: America/Los_Angeles",
            "  Best time to reach them: Weekdays 9:00-15:00",
            "PRESCRIBER",
            "  First name: Pat",
            "  Last name: Example",
            "  Email used to sign up (unique match): pat@clinic.example.com",
            "  Phone number(s): 555-555-0102",
            "  Preferred contact method: Phone",
            "  Best time to reach them: Mornings before 10:00",
            "  Their time zone: America/New_York",
            "ALTERNATE CONTACT (coordinates on the user's behalf)",
            "  Alternate contact:",
            "    Office manager",
            "    555-555-0104",
            "PROBLEM",
            f"  Summary: {SUMMARY}",
            "  Category: Cannot pass identity verification",
            "  Affected: Clinician",
            "  Description of the problem:",
            "    Fails at the selfie step.",
            "    Tried twice.",
            "  When it happened: 2026-11-17 09:20 PST (17:20 UTC)",
            "SCREENSHOTS: 1 attached (error.png)",
            "ADDITIONAL INFORMATION",
            "  Anything else that may help:",
            "    Uses a shared office computer.",
            "Thank you,",
            "Sam Agent",
            AGENT_EMAIL,
        ],
    )


def test_the_email_uses_the_vendors_wording_not_the_forms():
    text = compose_handoff(IDV, idv_case(), SENDER).text
    # The form speaks to our agent ("Your phone number"); the vendor reads "Phone".
    for form_label in ("Your phone number", "Your time zone", "When to reach you"):
        assert form_label not in text
    assert "End user first name" not in text
    assert "  Email used to sign up (unique match): pat@clinic.example.com" in text.splitlines()


def test_optional_sections_are_left_out_when_empty():
    case = idv_case(drop=("alternate_contact", "screenshots", "additional_info"))
    draft = compose_handoff(IDV, case, SENDER)
    assert "ALTERNATE CONTACT" not in draft.text
    assert "SCREENSHOTS" not in draft.text
    assert "ADDITIONAL INFORMATION" not in draft.text
    assert draft.attachments == ()
    assert draft.missing == ()


def test_several_screenshots_are_counted_and_named():
    files = [{"id": "F1", "name": "error.png"}, {"id": "F2", "name": "step-2.png"}]
    draft = compose_handoff(IDV, idv_case(screenshots=files), SENDER)
    assert "SCREENSHOTS: 2 attached (error.png, step-2.png)" in draft.text.splitlines()
    assert [item["id"] for item in draft.attachments] == ["F1", "F2"]


@pytest.mark.parametrize(
    ("occurred_at", "agent_zone", "shown"),
    [
        ("2026-07-15T17:20:00+00:00", "America/Los_Angeles", "2026-07-15 10:20 PDT (17:20 UTC)"),
        ("2026-11-17T17:20:00+00:00", "America/Los_Angeles", "2026-11-17 09:20 PST (17:20 UTC)"),
        ("2026-11-17T17:20:00+00:00", "America/Chicago", "2026-11-17 11:20 CST (17:20 UTC)"),
    ],
)
def test_times_show_in_the_senders_zone_with_utc(occurred_at, agent_zone, shown):
    # The end user is in New York: the sender's zone wins, not theirs.
    case = idv_case(occurred_at=occurred_at, agent_timezone=agent_zone)
    text = compose_handoff(IDV, case, SENDER).text
    assert f"  When it happened: {shown}" in text.splitlines()


def test_format_when_falls_back_to_utc_or_the_raw_value():
    assert format_when("2026-11-17T17:20:00+00:00", "UTC") == "2026-11-17 17:20 UTC"
    assert format_when("2026-11-17T17:20:00+00:00", None) == "2026-11-17 17:20 UTC"
    assert format_when("2026-11-17T17:20:00+00:00", "Mars/Olympus") == "2026-11-17 17:20 UTC"
    assert format_when("yesterday", "America/New_York") == "yesterday"


def test_people_fields_never_reach_the_email():
    case = CaseFacts(
        key="ESC-7",
        summary="Appointment missing from the portal",
        internal_ticket="HD-9",
        category_label="Appointments",
        requester_type="Patient",
        fields={
            "channel_in": "Help desk call",
            "description": "The appointment shows for staff only.",
            "occurred_at": "2026-11-17T17:20:00+00:00",
            "helpers": ["U0HELPER1", "U0HELPER2"],
        },
    )
    text = compose_handoff(TIER3, case, SENDER).text
    assert "U0HELPER1" not in text and "U0HELPER2" not in text
    assert "Who else worked on it" not in text
    assert "colleague" not in text
    assert "  How the user reached us: Help desk call" in text.splitlines()


# --- what is missing -------------------------------------------------------------------------


def test_a_sender_without_email_is_missing_and_not_copied():
    draft = compose_handoff(IDV, idv_case(), Sender("U0AGENT01", "Sam Agent"))
    assert draft.missing == (MISSING_SENDER_EMAIL,)
    assert draft.cc == ()
    assert draft.reply_to is None


def test_a_required_field_without_value_is_missing():
    draft = compose_handoff(IDV, idv_case(drop=("preferred_time",)), SENDER)
    assert draft.missing == (
        Missing("Best time to reach them", "press *Edit* and fill “Best time to reach them”"),
    )


def test_a_required_field_the_subject_names_is_listed_once():
    draft = compose_handoff(IDV, idv_case(drop=("end_user_email",)), SENDER)
    assert draft.subject == "AcmeEHR; XQ123;"
    assert draft.missing == (
        Missing(
            "Email used to sign up with the vendor",
            "press *Edit* and fill “Email used to sign up with the vendor”",
        ),
    )


def test_a_subject_placeholder_without_value_says_how_to_add_it():
    playbook = with_template(IDV, "AcmeEHR; {internal_ticket}; {vendor_ticket}")
    draft = compose_handoff(playbook, idv_case(), SENDER)
    assert draft.subject == "AcmeEHR; XQ123;"
    assert draft.missing == (
        Missing(
            "Vendor ticket number (the subject needs it)",
            "record it with *Add update* or `/escalate ticket`",
        ),
    )
    ready = compose_handoff(playbook, idv_case(vendor_ticket="V-777"), SENDER)
    assert ready.subject == "AcmeEHR; XQ123; V-777"
    assert ready.missing == ()


def test_an_optional_field_the_subject_names_points_at_edit():
    playbook = with_template(IDV, "AcmeEHR; {internal_ticket}; {additional_info}")
    draft = compose_handoff(playbook, idv_case(drop=("additional_info",)), SENDER)
    assert draft.missing == (
        Missing(
            "Anything else that may help (the subject needs it)",
            "press *Edit* and fill “Anything else that may help”",
        ),
    )


def test_a_placeholder_named_twice_is_listed_once():
    playbook = with_template(IDV, "{vendor_ticket} AcmeEHR; {internal_ticket}; {vendor_ticket}")
    draft = compose_handoff(playbook, idv_case(), SENDER)
    assert [item.what for item in draft.missing] == ["Vendor ticket number (the subject needs it)"]


def test_a_receiver_without_email_is_missing():
    case = CaseFacts(
        key="ESC-7",
        summary="Appointment missing from the portal",
        internal_ticket="HD-9",
        category_label="Appointments",
        requester_type="Patient",
        fields={
            "channel_in": "Help desk call",
            "description": "The appointment shows for staff only.",
            "occurred_at": "2026-11-17T17:20:00+00:00",
        },
    )
    draft = compose_handoff(TIER3, case, SENDER)
    assert draft.to == ()
    assert draft.missing == (
        Missing(
            "Platform team's email address",
            "set `receiver.email` for playbook `tier3` in the playbooks file",
        ),
    )


def test_missing_details_lists_basics_first_then_fields_in_form_order():
    case = idv_case(drop=("agent_phone", "description"))
    missing = missing_details(IDV, case, Sender("U0AGENT01"), to=[], empty=[])
    assert [item.what for item in missing] == [
        "Identity verification vendor support's email address",
        MISSING_SENDER_EMAIL.what,
        "Your phone number",
        "Description of the problem",
    ]


# --- hiding contact details ------------------------------------------------------------------


def test_redact_hides_whole_words_only():
    text = "Pat reported a Pattern; Pat's screen, not MyPat."
    assert redact(text, ["Pat"]) == "••• reported a Pattern; •••'s screen, not MyPat."


def test_redact_treats_values_literally():
    assert redact("call +1 (555) 555-0101 today", ["+1 (555) 555-0101"]) == "call ••• today"
    assert redact("a.b", ["a?b"]) == "a.b"


def test_private_values_are_the_contact_fields_longest_first():
    fields = idv_fields(alternate_contact="Pat Example\n555-555-0104")
    secrets = private_values(IDV, fields)
    assert set(secrets) == {
        "+1 555 555 0101",
        "Pat",
        "Example",
        "pat@clinic.example.com",
        "555-555-0102",
        "Pat Example",
        "555-555-0104",
    }
    lengths = [len(value) for value in secrets]
    assert lengths == sorted(lengths, reverse=True)
    # Longest first: the full name goes whole, not as "••• •••" or "••• Example".
    assert redact("Call Pat Example on 555-555-0104.", secrets) == f"Call {REDACTED} on {REDACTED}."
    assert redact("Call Pat Example.", ["Pat", "Pat Example"]) == f"Call {REDACTED} Example."


def test_non_contact_fields_are_not_private():
    secrets = private_values(IDV, idv_fields())
    assert "Mornings before 10:00" not in secrets
    assert "Fails at the selfie step." not in secrets
    assert "America/New_York" not in secrets


# --- the playbook's subject template ---------------------------------------------------------


def playbook_doc(template: str) -> dict:
    return {
        "playbook": [
            {
                "id": "vendor",
                "title": "Vendor",
                "channel": "#vendor",
                "receiver": {
                    "name": "Vendor support",
                    "email": "support@vendor.example.com",
                    "subject_template": template,
                },
                "fields": [{"id": "ref", "kind": "text", "label": "Reference"}],
            }
        ]
    }


def test_a_template_may_name_field_ids_and_the_common_placeholders():
    template = "{case_id} {summary} {internal_ticket} {vendor_ticket} {ref}"
    playbooks = parse_playbooks(playbook_doc(template))
    assert playbooks.get("vendor").receiver.subject_template == template


@pytest.mark.parametrize("name", ["nope", "summary.upper"])
def test_a_template_naming_an_unknown_placeholder_is_refused(name):
    with pytest.raises(PlaybookError) as error:
        parse_playbooks(playbook_doc(f"{{case_id}}: {{{name}}}"))
    message = str(error.value)
    assert "playbook vendor: receiver.subject_template: " in message
    assert f"[{name!r}]" in message


def test_a_template_with_a_line_break_is_refused():
    with pytest.raises(PlaybookError) as error:
        parse_playbooks(playbook_doc("{case_id}\n{summary}"))
    message = str(error.value)
    assert ": receiver.subject_template: " in message
    assert "one line" in message


def test_every_placeholder_the_validator_allows_has_a_value():
    values = subject_values(idv_case(vendor_ticket="V-777"))
    assert set(SUBJECT_PLACEHOLDERS) <= set(values)
    assert values["case_id"] == "ESC-42"
    assert values["vendor_ticket"] == "V-777"


# --- editing the hand-off's details ----------------------------------------------------------


def details_raw(**overrides) -> dict:
    raw = {
        "internal_ticket": "XQ123",
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
        "alternate_contact": None,
        "description": "Fails at the selfie step.",
        "occurred_at": int(NOW.timestamp()) - 3600,
        "screenshots": None,
        "additional_info": "",
    }
    raw.update(overrides)
    return raw


def test_edited_details_are_cleaned():
    result = validate_details(IDV, details_raw(), NOW)
    assert result.errors == {}
    assert result.values["internal_ticket"] == "XQ123"
    assert result.values["occurred_at"] == "2026-11-18T16:00:00+00:00"
    # Cleared optional fields come back as None, so the email drops them.
    assert result.values["alternate_contact"] is None
    assert result.values["additional_info"] is None


def test_a_bad_internal_ticket_is_refused():
    result = validate_details(IDV, details_raw(internal_ticket="XQ 123; DROP"), NOW)
    assert list(result.errors) == ["internal_ticket"]
    assert "letters, digits and . _ # / - only" in result.errors["internal_ticket"]
    assert "internal_ticket" not in result.values


def test_pii_in_the_description_is_refused():
    result = validate_details(IDV, details_raw(description="Patient DOB 01/02/1960"), NOW)
    assert list(result.errors) == ["description"]
    assert "date of birth" in result.errors["description"]


def test_an_empty_file_input_keeps_the_files_even_when_required():
    fields = tuple(
        spec.model_copy(update={"required": True}) if spec.id == "screenshots" else spec
        for spec in IDV.fields
    )
    playbook = IDV.model_copy(update={"fields": fields})
    # The intake form insists on a file; the Edit modal cannot prefill one, so it may stay empty.
    intake = validate_intake(
        playbook,
        {
            **details_raw(),
            "summary": SUMMARY,
            "category": "access",
            "requester_type": "Clinician",
        },
        NOW,
    )
    assert "screenshots" in intake.errors
    result = validate_details(playbook, details_raw(screenshots=None), NOW)
    assert result.errors == {}
    # An empty list (not None) tells the use case to keep what is attached.
    assert result.values["screenshots"] == []


def test_internal_fields_are_not_part_of_the_details():
    raw = {
        "internal_ticket": "HD-9",
        "channel_in": "Help desk call",
        "description": "The appointment shows for staff only.",
        "occurred_at": int(NOW.timestamp()) - 3600,
        "helpers": ["U0HELPER1"],
    }
    result = validate_details(TIER3, raw, NOW)
    assert result.errors == {}
    assert "helpers" not in result.values
