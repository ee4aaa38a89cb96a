"""What is done with a vendor's email, pure: proposals, upload caps, what an unmatched email's
summary hides, vendor-ticket candidates and the mailbox backoff. Placeholders only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from slackbot.domain.cases import CaseStatus
from slackbot.domain.inbound import Attachment, parse_mail
from slackbot.domain.inbound_classify import ReplyKind
from slackbot.domain.inbound_rules import (
    MAX_RETRY,
    MIN_RETRY,
    PROPOSALS,
    hide_contact_shapes,
    hide_pii_lines,
    plan_uploads,
    retry_delay,
    summarise,
    ticket_candidates,
)
from slackbot.domain.status_machine import Action

NOW = datetime(2026, 11, 18, 17, 0, tzinfo=UTC)


def _file(name: str, size: int, *, too_large: bool = False) -> Attachment:
    return Attachment(
        name, "application/octet-stream", size, b"" if too_large else b"x" * size, too_large
    )


def _mail(subject: str, body: str):
    raw = (
        "From: Vendor <support@vendor.example.com>\r\n"
        f"Subject: {subject}\r\nMessage-ID: <m@vendor.example.com>\r\n\r\n{body}"
    )
    return parse_mail(raw.encode(), now=NOW, own_address="escalations@example.com")


def test_every_kind_but_progress_and_acknowledgement_is_a_proposal_with_its_move():
    assert set(PROPOSALS) == {
        ReplyKind.NEEDS_INFO,
        ReplyKind.RESOLVED,
        ReplyKind.NOT_OUR_ISSUE,
        ReplyKind.UNREACHABLE,
        ReplyKind.CALLOUT_CONFIRMED,
    }
    with_vendor = CaseStatus.WITH_VENDOR
    # Issue 13: a confirmed call-out moves no status; applying it marks the request confirmed.
    confirmed = PROPOSALS[ReplyKind.CALLOUT_CONFIRMED]
    assert confirmed.action_for(with_vendor) is None and confirmed.done
    assert PROPOSALS[ReplyKind.RESOLVED].action_for(with_vendor) is Action.RESOLVE
    assert PROPOSALS[ReplyKind.NOT_OUR_ISSUE].action_for(with_vendor) is Action.NOT_VENDOR_ISSUE
    assert PROPOSALS[ReplyKind.UNREACHABLE].action_for(with_vendor) is Action.CLOSE_UNREACHABLE
    # Needing details puts a case that is with the vendor in "vendor needs info" (issue 13);
    # already there, nothing moves.
    needs = PROPOSALS[ReplyKind.NEEDS_INFO]
    assert needs.action_for(with_vendor) is Action.VENDOR_NEEDS_INFO
    assert needs.action_for(CaseStatus.VENDOR_CONTACTING_USER) is Action.VENDOR_NEEDS_INFO
    assert needs.action_for(CaseStatus.VENDOR_NEEDS_INFO) is None


def test_uploads_are_capped_per_file_in_all_and_in_number():
    plan = plan_uploads(
        [
            _file("a.png", 4),
            _file("huge.zip", 50, too_large=True),
            _file("b.pdf", 5),
            _file("c.txt", 3),
            _file("empty.txt", 0),
            _file("d.txt", 1),
        ],
        max_files=3,
        max_file=10,
        max_total=11,
    )
    assert [f.filename for f in plan.upload] == ["a.png", "b.pdf", "d.txt"]
    assert [(f.filename, why) for f, why in plan.named] == [
        ("huge.zip", "over 0.0 MB"),
        ("c.txt", "over 0.0 MB in all"),
        ("empty.txt", "empty"),
    ]
    many = plan_uploads([_file(f"{n}.txt", 1) for n in range(4)], max_files=3)
    assert len(many.upload) == 3 and many.named[0][1] == "more than 3 files"


def test_unmatched_summaries_hide_addresses_phone_numbers_and_pii_lines():
    text = (
        "Write to robin.placeholder@example.com or call +1 555 555 0199 / 555-555-0198.\n"
        "Date of birth: 01/02/1970\n"
        "Ticket 4455667 and case ABC-123 stay readable."
    )
    hidden = hide_contact_shapes(text)
    assert "robin.placeholder@example.com" not in hidden
    assert "555 0199" not in hidden and "555-555-0198" not in hidden
    assert "01/02/1970" not in hidden and "looks like a date of birth" in hidden
    assert "Ticket 4455667 and case ABC-123 stay readable." in hidden
    # In a case thread the case's own contact values are redacted elsewhere: only PII lines go.
    assert hide_pii_lines("Call 555-555-0198\nSSN 123-45-6789") == (
        "Call 555-555-0198\n••• (hidden: looks like a social security number)"
    )


def test_summary_keeps_the_sender_and_first_lines():
    summary = summarise(
        _mail(
            "Question about pat@clinic.example.com",
            "First line.\n\nSecond.\nThird.\nFourth.\nFifth.",
        )
    )
    assert summary.sender == "Vendor <support@vendor.example.com>"
    assert summary.subject == "Question about •••"
    assert summary.lines == "First line.\nSecond.\nThird.\nFourth."


def test_ticket_candidates_are_words_with_digits():
    mail = _mail("Re: Ticket #4455667", "Your case IDV-12345 (see 12, 2026-11-18).")
    found = ticket_candidates(mail)
    assert "4455667" in found and "IDV-12345" in found and "2026-11-18" in found
    assert "12" not in found and "Your" not in found


def test_backoff_grows_with_the_outage_within_bounds():
    assert retry_delay(None, NOW) == MIN_RETRY
    assert retry_delay(NOW - timedelta(minutes=2), NOW) == timedelta(minutes=2)
    assert retry_delay(NOW - timedelta(hours=3), NOW) == MAX_RETRY
