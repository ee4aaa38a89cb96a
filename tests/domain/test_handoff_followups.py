"""Follow-up emails once the hand-off went (reopen, update request, escalations to the
vendor's contacts), composed from the shipped playbooks: pure, with a fixed `now`."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from slackbot.domain.handoff import Missing, Purpose, Sender
from slackbot.domain.handoff_followups import (
    compose_contact_escalation,
    compose_reopen,
    compose_update_request,
    reply_subject,
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
    with_template,
)

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
