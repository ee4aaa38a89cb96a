"""Composing emails to the receiving side from the shipped playbooks: pure, with a fixed `now`."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from slackbot.domain.handoff import (
    REDACTED,
    CaseFacts,
    Missing,
    Purpose,
    Sender,
    compose_contact_escalation,
    compose_handoff,
    compose_reopen,
    compose_update_request,
    email_problems,
    format_when,
    missing_details,
    private_values,
    redact,
    render_subject,
    reply_subject,
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
    ASSISTER,
    IDV,
    MISSING_SENDER_EMAIL,
    NOW,
    SENDER,
    SUBJECT,
    SUMMARY,
    THREAD,
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


# --- what is unsafe to send ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "problems"),
    [
        (
            {"subject": "AcmeEHR\r\nBcc: someone@example.com"},
            ["the subject contains a line break, which an email header can't carry"],
        ),
        ({"to": ("not-an-address",)}, ["“not-an-address” is not a valid email address"]),
        (
            {"cc": ("agent@example.com\nBcc: someone@example.com",)},
            ["“agent@example.com\nBcc: someone@example.com” is not a valid email address"],
        ),
        ({"reply_to": "agent@"}, ["“agent@” is not a valid email address"]),
        ({"text": "  \n"}, ["the body is empty"]),
        ({"subject": "   "}, ["the subject is empty"]),
        ({"subject": "x" * 251}, ["the subject is longer than 250 characters"]),
        (
            {"in_reply_to": "<a@mail.example.com>\r\nBcc: someone@example.com"},
            ["a threading header contains a line break"],
        ),
        (
            {"references": ("<a@mail.example.com>\nBcc: someone@example.com",)},
            ["a threading header contains a line break"],
        ),
    ],
)
def test_email_problems(change, problems):
    draft = replace(compose_handoff(IDV, idv_case(), SENDER), **change)
    assert email_problems(draft) == problems


def test_a_subject_of_exactly_the_limit_is_fine():
    draft = replace(compose_handoff(IDV, idv_case(), SENDER), subject="x" * 250)
    assert email_problems(draft) == []


def test_line_breaks_in_a_value_never_reach_the_subject():
    case = idv_case(end_user_email="pat@clinic.example.com\r\nBcc: someone@example.com")
    draft = compose_handoff(IDV, case, SENDER)
    assert draft.subject == "AcmeEHR; XQ123; pat@clinic.example.com Bcc: someone@example.com"
    assert email_problems(draft) == []


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


# --- follow-ups on the thread ----------------------------------------------------------------


def test_reply_subject_never_stacks():
    assert reply_subject(SUBJECT) == f"Re: {SUBJECT}"
    assert reply_subject(f"Re: {SUBJECT}") == f"Re: {SUBJECT}"
    assert reply_subject(f"RE: {SUBJECT}") == f"RE: {SUBJECT}"


def test_reopen_replies_on_the_thread():
    draft = compose_reopen(
        IDV, idv_case(vendor_ticket="V-777"), SENDER, THREAD, note="Please call before noon."
    )
    assert draft.purpose is Purpose.REOPEN
    assert draft.subject == f"Re: {SUBJECT}"
    assert draft.in_reply_to == "<reply-2@mail.example.com>"
    assert draft.references == ("<handoff-1@mail.example.com>", "<reply-2@mail.example.com>")
    assert draft.to == (VENDOR,) and draft.cc == (AGENT_EMAIL,)
    assert draft.reply_to == AGENT_EMAIL
    assert draft.missing == ()
    assert_lines_in_order(
        draft.text,
        [
            "Hello Identity verification vendor support,",
            "The prescriber still needs help with this issue: please reopen ticket V-777.",
            "Our ticket: XQ123 (case ESC-42); your ticket: V-777",
            "Please call before noon.",
            "Thank you,",
        ],
    )


def test_a_reply_on_a_reply_does_not_stack_re():
    thread = replace(THREAD, subject=f"Re: {SUBJECT}")
    assert compose_reopen(IDV, idv_case(), SENDER, thread).subject == f"Re: {SUBJECT}"
    assert compose_update_request(IDV, idv_case(), SENDER, thread, NOW).subject == f"Re: {SUBJECT}"


def test_reopen_without_a_thread_takes_its_subject_from_the_template():
    playbook = with_template(IDV, "AcmeEHR; {internal_ticket}; {vendor_ticket}")
    draft = compose_reopen(playbook, idv_case(vendor_ticket="V-777"), SENDER, None)
    assert draft.subject == "AcmeEHR; XQ123; V-777"  # not a reply: no "Re:"
    assert draft.in_reply_to is None
    assert draft.references == ()
    assert "please reopen ticket V-777." in draft.text


def test_a_template_with_nothing_to_show_falls_back_to_the_case():
    playbook = with_template(IDV, "{vendor_ticket}")
    draft = compose_reopen(playbook, idv_case(), SENDER, None)
    assert draft.subject == f"ESC-42: {SUMMARY}"
    assert "please reopen ticket." in draft.text


def test_update_request_replies_on_the_thread_and_says_how_long_we_waited():
    case = replace(idv_case(vendor_ticket="V-777"), handed_off_at=NOW - timedelta(hours=25))
    draft = compose_update_request(IDV, case, SENDER, THREAD, NOW)
    assert draft.purpose is Purpose.UPDATE_REQUEST
    assert draft.subject == f"Re: {SUBJECT}"
    assert draft.in_reply_to == "<reply-2@mail.example.com>"
    assert draft.references == ("<handoff-1@mail.example.com>", "<reply-2@mail.example.com>")
    assert draft.to == (VENDOR,) and draft.cc == (AGENT_EMAIL,)
    assert (
        "Could you send us a progress update on this ticket? We handed it to you on 2026-11-17 "
        "(25 hours ago)." in draft.text.splitlines()
    )


def test_update_request_without_a_thread_is_a_new_email():
    draft = compose_update_request(IDV, idv_case(), SENDER, None, NOW)
    assert draft.subject == SUBJECT
    assert draft.in_reply_to is None and draft.references == ()
    assert "Could you send us a progress update on this ticket?" in draft.text.splitlines()


def test_follow_ups_without_sender_email_or_receiver_are_missing_both():
    case = idv_case()
    draft = compose_update_request(TIER3, case, Sender("U0AGENT01"), None, NOW)
    assert draft.missing == (
        Missing(
            "Platform team's email address",
            "set `receiver.email` for playbook `tier3` in the playbooks file",
        ),
        MISSING_SENDER_EMAIL,
    )


# --- escalation to the vendor's contacts -----------------------------------------------------


HISTORY = ("2026-11-16 16:00 UTC handed to the vendor", "2026-11-17 16:00 UTC no update")


def test_leadership_escalation_goes_to_the_contacts_with_receiver_and_sender_copied():
    case = replace(idv_case(vendor_ticket="V-777"), vendor_status="waiting on engineering")
    draft = compose_contact_escalation(
        IDV, case, SENDER, purpose=Purpose.LEADERSHIP, history=HISTORY, thread=THREAD
    )
    assert draft.purpose is Purpose.LEADERSHIP
    assert draft.to == (
        "escalations-lead@idv-vendor.example.com",
        "healthcare-lead@idv-vendor.example.com",
    )
    assert draft.cc == (VENDOR, AGENT_EMAIL)
    assert draft.reply_to == AGENT_EMAIL
    assert draft.subject == f"Escalation (leadership): {SUBJECT}"
    # A new conversation that cites the thread, not a reply on it.
    assert draft.in_reply_to is None
    assert draft.references == ("<reply-2@mail.example.com>",)
    assert draft.missing == ()
    assert_lines_in_order(
        draft.text,
        [
            "Hello Support escalations lead, Healthcare support lead,",
            "We are escalating a ticket with Identity verification vendor support to you: it "
            "needs your attention.",
            "Your ticket number: V-777",
            "Our ticket: XQ123 (case ESC-42); your ticket: V-777",
            f"Summary: {SUMMARY}",
            "Last status from your team: waiting on engineering",
            "HISTORY",
            "  2026-11-16 16:00 UTC handed to the vendor",
            "  2026-11-17 16:00 UTC no update",
            "Thank you,",
        ],
    )


def test_technical_escalation_goes_to_the_technical_contacts():
    draft = compose_contact_escalation(
        IDV, idv_case(), SENDER, purpose=Purpose.TECHNICAL, history=(), thread=None
    )
    assert draft.purpose is Purpose.TECHNICAL
    assert draft.to == (
        "integration-engineer@idv-vendor.example.com",
        "escalations-lead@idv-vendor.example.com",
    )
    assert draft.cc == (VENDOR, AGENT_EMAIL)
    assert draft.subject == f"Escalation (technical): {SUBJECT}"
    assert draft.references == ()
    lines = draft.text.splitlines()
    assert "Hello Integration engineer, Support escalations lead," in lines
    assert "Your ticket number: (no ticket number received yet)" in lines
    assert "Our ticket: XQ123 (case ESC-42)" in lines
    assert "HISTORY" not in lines
    assert not any(line.startswith("Last status") for line in lines)


@pytest.mark.parametrize(
    ("purpose", "key"),
    [(Purpose.LEADERSHIP, "leadership_contacts"), (Purpose.TECHNICAL, "technical_contacts")],
)
def test_a_playbook_without_contacts_says_which_key_to_add(purpose, key):
    draft = compose_contact_escalation(
        ASSISTER, idv_case(), SENDER, purpose=purpose, history=(), thread=None
    )
    level = "leadership" if purpose is Purpose.LEADERSHIP else "technical"
    assert draft.to == ()
    assert draft.missing == (
        Missing(
            f"Marketplace contact center's {level} escalation contacts",
            f"add `{key}` to playbook `assister` in the playbooks file",
        ),
    )
    assert draft.text.startswith("Hello team,\n")


def test_a_playbook_without_contacts_still_reports_the_senders_missing_email():
    draft = compose_contact_escalation(
        ASSISTER,
        idv_case(),
        Sender("U0AGENT01"),
        purpose=Purpose.LEADERSHIP,
        history=(),
        thread=None,
    )
    assert MISSING_SENDER_EMAIL in draft.missing


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
    assert "playbook 'vendor'" in message
    assert "receiver.subject_template" in message
    assert f"[{name!r}]" in message


def test_a_template_with_a_line_break_is_refused():
    with pytest.raises(PlaybookError) as error:
        parse_playbooks(playbook_doc("{case_id}\n{summary}"))
    message = str(error.value)
    assert "key 'receiver.subject_template'" in message
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
