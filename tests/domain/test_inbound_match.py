"""Inbound mail, pure: the keys a reply is matched to its case by, and what the shipped `idv`
patterns make of each kind of vendor reply. Every sample is a placeholder."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from slackbot.domain.inbound import parse_mail
from slackbot.domain.inbound_classify import (
    Classification,
    ReplyKind,
    ReplyPatterns,
    classify,
    classify_text,
)
from slackbot.domain.inbound_match import (
    clean_subject,
    match_keys,
    mentions_ticket,
    subject_ticket_pattern,
)
from slackbot.domain.playbooks import DEFAULT_PLAYBOOKS_PATH, InboundPatterns, load_playbooks

NOW = datetime(2026, 11, 18, 17, 0, tzinfo=UTC)
IDV = load_playbooks(DEFAULT_PLAYBOOKS_PATH).get("idv")
PATTERNS = ReplyPatterns.from_config(IDV.inbound)


def mail(subject: str, body: str, *, in_reply_to: str = "", references: str = ""):
    headers = [
        "From: Vendor Support <support@vendor.example.com>",
        f"Subject: {subject}",
        "Message-ID: <reply@vendor.example.com>",
        "Date: Wed, 18 Nov 2026 08:30:00 -0800",
    ]
    if in_reply_to:
        headers.append(f"In-Reply-To: {in_reply_to}")
    if references:
        headers.append(f"References: {references}")
    raw = "\r\n".join(headers) + "\r\n\r\n" + body.replace("\n", "\r\n")
    return parse_mail(raw.encode(), now=NOW, own_address="escalations@example.com")


def test_match_keys_in_priority_order():
    pattern = subject_ticket_pattern(IDV.receiver.subject_template)
    reply = mail(
        "RE: [EXTERNAL] Fwd: AcmeEHR; XQ123; user@example.com (ESC-42, esc-7, ESC-42)",
        "Update.",
        in_reply_to="<second@example.com>",
        references="<first@example.com> <second@example.com> <third@example.com>",
    )
    keys = match_keys(reply, ticket_patterns=[pattern])
    assert keys.message_ids == (
        "<second@example.com>",
        "<third@example.com>",
        "<first@example.com>",
    )
    assert keys.case_ids == (42, 7)
    assert keys.internal_tickets == ("XQ123",)


def test_no_keys_and_lookalikes():
    keys = match_keys(mail("Question about MYESC-42 and ESC-4200x", "Hi."))
    assert keys.message_ids == () and keys.internal_tickets == ()
    assert keys.case_ids == ()


def test_subject_templates_give_ticket_patterns_only_when_they_can():
    assert subject_ticket_pattern("{case_id}: {summary}") is None
    assert subject_ticket_pattern("{internal_ticket}") is None  # nothing to anchor it
    pattern = subject_ticket_pattern("Assister escalation {internal_ticket}: {summary}")
    assert (
        pattern.search("Re: Assister escalation T-9001: cannot enrol").group("ticket") == "T-9001"
    )
    assert pattern.search("Something else entirely") is None


def test_clean_subject():
    assert clean_subject("Re: AW: Fwd: RE[2]: [EXTERNAL] Hello") == "Hello"
    assert clean_subject("Resolution of ticket") == "Resolution of ticket"


def test_mentions_ticket_is_a_whole_token():
    reply = mail("[Ticket #48213] Re: AcmeEHR", "We are still working on 48213.")
    assert mentions_ticket(reply, "48213")
    assert mentions_ticket(reply, "#48213")
    assert not mentions_ticket(reply, "4821")
    assert not mentions_ticket(reply, "12")  # too short to trust
    assert not mentions_ticket(reply, None)


SAMPLES = {
    ReplyKind.ACKNOWLEDGEMENT: (
        "Request received",
        "Thank you for contacting support. We have received your request and opened ticket "
        "number 48213. An agent will be in touch.",
    ),
    ReplyKind.NEEDS_INFO: (
        "Re: AcmeEHR; XQ123; user@example.com",
        "Hello, we need a few more details before we can contact the prescriber. Could you "
        "please confirm the email address used to sign up?",
    ),
    ReplyKind.RESOLVED: (
        "Re: AcmeEHR; XQ123; user@example.com",
        "Good news: the prescriber completed verification and the issue has been resolved. "
        "The ticket is now closed.",
    ),
    ReplyKind.NOT_OUR_ISSUE: (
        "Re: AcmeEHR; XQ123; user@example.com",
        "After review this is not an identity verification issue; it appears to be on your "
        "side. Notes from our call are below.",
    ),
    ReplyKind.UNREACHABLE: (
        "Re: AcmeEHR; XQ123; user@example.com",
        "We were unable to reach the end user after three attempts and have closed the ticket "
        "at the 72-hour mark. Reply to this email to reopen it.",
    ),
    ReplyKind.CALLOUT_CONFIRMED: (
        "Re: AcmeEHR; XQ123; user@example.com",
        "Thanks: the call-out to the prescriber on Thursday at 10:00 is confirmed.",
    ),
    ReplyKind.PROGRESS: (
        "Re: AcmeEHR; XQ123; user@example.com",
        "We spoke with the prescriber this morning and are reviewing the documents.",
    ),
}


@pytest.mark.parametrize("kind", list(SAMPLES))
def test_each_kind_with_the_shipped_idv_patterns(kind):
    subject, body = SAMPLES[kind]
    result = classify(mail(subject, body), PATTERNS)
    assert result.kind is kind
    assert bool(result.evidence) == (kind is not ReplyKind.PROGRESS)


@pytest.mark.parametrize(
    ("text", "ticket"),
    [
        ("We have received your request and opened ticket number 48213.", "48213"),
        ("Your ticket #IDV-5521 has been received.", "IDV-5521"),
        ("Your support ticket number is: 77001.", "77001"),
        ("Case created: we logged case id 90210 for you.", "90210"),
    ],
)
def test_acknowledgements_give_the_vendor_ticket(text, ticket):
    assert classify_text("Request received", text, PATTERNS) == Classification(
        ReplyKind.ACKNOWLEDGEMENT, ticket, classify_text("", text, PATTERNS).evidence
    )


def test_quoted_history_does_not_classify():
    body = (
        "Still working on it.\n\n"
        "On Tue, Nov 17, 2026 Escalations wrote:\n"
        "> We were unable to reach you. Has this been resolved?\n"
    )
    assert classify(mail("Re: AcmeEHR", body), PATTERNS).kind is ReplyKind.PROGRESS


def test_near_misses_stay_progress_updates():
    for text in (
        "The issue has not been resolved yet; we will update you tomorrow.",
        "It is not an issue to call back later.",
        "We reached the prescriber and are closing in on the cause.",
    ):
        assert classify_text("Re: AcmeEHR", text, PATTERNS).kind is ReplyKind.PROGRESS, text


def test_without_patterns_everything_is_progress():
    subject, body = SAMPLES[ReplyKind.RESOLVED]
    nothing = ReplyPatterns.from_config(None)
    assert classify_text(subject, body, nothing) == Classification(ReplyKind.PROGRESS)
    ack_only = ReplyPatterns.from_config(
        InboundPatterns(acknowledgement=(r"ticket (?P<ticket>\d+)",))
    )
    assert classify_text("", "ticket 123 resolved", ack_only).vendor_ticket == "123"
