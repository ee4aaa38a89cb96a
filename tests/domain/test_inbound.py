"""Inbound mail, pure: parsing raw messages (good, odd and broken), trimming the new text,
loop markers, and how the poller moves along a folder. Every sample is a placeholder."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import pytest

from slackbot.domain.inbound import (
    AutoKind,
    InboundStatus,
    PollAction,
    parse_mail,
    plan_poll,
)
from slackbot.domain.inbound_text import first_lines, html_to_text, new_text

NOW = datetime(2026, 11, 18, 17, 0, tzinfo=UTC)
OURS = "escalations@example.com"
HANDOFF_ID = "<handoff-42.1@example.com>"


def raw(headers: str, body: str = "Hello.\n", *, extra: bytes = b"") -> bytes:
    """A message from header lines and a body, with CRLF line ends as on the wire."""
    text = headers.strip("\n") + "\n\n" + body
    return text.replace("\n", "\r\n").encode("utf-8") + extra


BASE = f"""\
From: Vendor Support <Support@Vendor.example.com>
To: {OURS}
Cc: Agent One <agent.one@example.com>
Subject: Re: AcmeEHR; XQ123; user@example.com
Date: Wed, 18 Nov 2026 08:30:00 -0800
Message-ID: <reply-1@vendor.example.com>
In-Reply-To: {HANDOFF_ID}
References: <older@example.com> {HANDOFF_ID}
Content-Type: text/plain; charset=utf-8
"""


def parse(message: bytes, **options):
    return parse_mail(message, now=NOW, own_address=OURS, **options)


def test_a_plain_reply_with_quoted_history():
    body = """\
Thanks, we have opened ticket 48213 for this.
We will call the prescriber today.

On Tue, Nov 17, 2026 at 9:00 AM Escalations <
escalations@example.com> wrote:
> Please open a support ticket on behalf of the prescriber below.
> Phone: 555-0100
"""
    mail = parse(raw(BASE, body))
    assert mail.message_id == "<reply-1@vendor.example.com>"
    assert mail.in_reply_to == HANDOFF_ID
    assert mail.references == ("<older@example.com>", HANDOFF_ID)
    assert (mail.sender.address, mail.sender.name) == (
        "support@vendor.example.com",
        "Vendor Support",
    )
    assert [a.address for a in mail.to] == [OURS]
    assert mail.cc[0].name == "Agent One"
    assert mail.subject == "Re: AcmeEHR; XQ123; user@example.com"
    assert mail.sent_at == datetime(2026, 11, 18, 16, 30, tzinfo=UTC)
    assert mail.received_at == NOW
    assert mail.new_text == (
        "Thanks, we have opened ticket 48213 for this.\nWe will call the prescriber today."
    )
    assert "555-0100" in mail.text and "555-0100" not in mail.new_text
    assert mail.problems == () and mail.markers == () and mail.skip_reason is None
    assert mail.dedup_key == mail.message_id


def test_outlook_style_reply_cuts_at_the_header_block():
    body = """\
Hello, the end user was verified successfully. Closing the ticket.

Regards,
Vendor Support

________________________________
From: Escalations <escalations@example.com>
Sent: Tuesday, November 17, 2026 9:00 AM
To: Vendor Support <support@vendor.example.com>
Subject: AcmeEHR; XQ123; user@example.com

Please open a support ticket on behalf of the prescriber below.
"""
    mail = parse(raw(BASE, body))
    assert mail.new_text == (
        "Hello, the end user was verified successfully. Closing the ticket.\n\n"
        "Regards,\nVendor Support"
    )


def test_original_message_separator_signature_and_disclaimer_are_trimmed():
    text = """\
We need more details: the sign-up email does not match.

-----Original Message-----
From: Escalations
Please open a ticket.
"""
    assert new_text(text) == "We need more details: the sign-up email does not match."
    signed = "Ticket closed.\n-- \nVendor Support\n555-0100\n"
    assert new_text(signed) == "Ticket closed."
    disclaimer = (
        "Update: still working on it.\n\nCONFIDENTIALITY NOTICE: this message is private.\n"
    )
    assert new_text(disclaimer) == "Update: still working on it."
    assert new_text("Done.\n\nSent from my iPhone\n") == "Done."
    legal = "All set.\nThis e-mail and any attachments are confidential and intended solely for"
    assert new_text(legal) == "All set."


def test_bottom_posted_and_inline_replies_keep_what_was_written_between_quotes():
    text = """\
On Tue, Nov 17, 2026, Escalations wrote:
> Which time zone is the prescriber in?

Pacific time.

> And the best time to call?

Mornings.
##- Please type your reply above this line -##
"""
    assert new_text(text) == "Pacific time.\n\nMornings."


def test_html_only_mail_is_converted_and_its_quote_dropped():
    html = """\
<html><head><style>p {color: red}</style><title>x</title></head><body>
<p>Hello,</p><p>We were <b>unable to reach</b> the end user&nbsp;after three attempts.</p>
<ul><li>Attempt 1</li><li>Attempt 2</li></ul>
<div class="gmail_quote"><div>On Tue, Nov 17, 2026 Escalations wrote:<br></div>
<blockquote>Please open a ticket.<br>Phone: 555-0100</blockquote></div>
<script>alert(1)</script></body></html>"""
    mail = parse(raw(BASE.replace("text/plain", "text/html"), html))
    assert mail.html_only
    assert mail.new_text == (
        "Hello,\nWe were unable to reach the end user after three attempts.\n"
        "- Attempt 1\n- Attempt 2"
    )
    assert "> Please open a ticket." in mail.text
    assert "alert" not in mail.text and "color" not in mail.text


def test_html_outlook_reply_header_is_cut():
    html = (
        "<div>Resolved on our side.</div><hr><div><b>From:</b> Escalations<br>"
        "<b>Sent:</b> Tuesday<br><b>Subject:</b> AcmeEHR</div><p>Please open a ticket.</p>"
    )
    assert new_text(html_to_text(html)) == "Resolved on our side."


def test_text_plain_is_preferred_over_html():
    message = EmailMessage()
    message["From"] = "support@vendor.example.com"
    message["Message-ID"] = "<alt@vendor.example.com>"
    message["Date"] = "Wed, 18 Nov 2026 08:30:00 -0800"
    message.set_content("Plain words.")
    message.add_alternative("<p>HTML words.</p>", subtype="html")
    mail = parse(message.as_bytes())
    assert mail.new_text == "Plain words." and not mail.html_only


def test_8bit_and_encoded_headers():
    headers = (
        "From: =?iso-8859-1?q?Jos=E9_Example?= <jose@vendor.example.com>\n"
        "To: =?utf-8?q?Doe=2C_Jane?= <jane@example.com>, second@example.com\n"
        "Subject: =?utf-8?b?UmU6IHLDqXNvbHU=?= =?utf-8?q?_et_ferm=C3=A9?=\n"
        "Message-ID: <eight@vendor.example.com>\nDate: Wed, 18 Nov 2026 08:30:00 -0800\n"
    )
    mail = parse(raw(headers))
    assert mail.sender.name == "José Example"
    assert [(a.name, a.address) for a in mail.to] == [
        ("Doe, Jane", "jane@example.com"),
        ("", "second@example.com"),
    ]
    assert mail.subject == "Re: résolu et fermé"
    utf8 = parse(raw(BASE.replace("Subject: Re:", "Subject: Réponse:")))
    assert utf8.subject.startswith("Réponse:") and utf8.problems == ()
    latin1 = raw(BASE).replace(b"Subject: Re:", b"Subject: R\xe9ponse:")
    mail = parse(latin1)
    assert mail.subject.startswith("Réponse:")
    assert any("Subject" in problem and "Windows-1252" in problem for problem in mail.problems)


def test_unknown_charset_is_read_as_utf8_and_reported():
    mail = parse(raw(BASE.replace("charset=utf-8", "charset=x-klingon"), "Ticket résolu.\n"))
    assert mail.new_text == "Ticket résolu."
    assert any("unknown charset 'x-klingon'" in problem for problem in mail.problems)
    wrong = raw(BASE).replace(b"Hello.", b"caf\xe9")
    mail = parse(wrong)
    assert "caf" in mail.text
    assert any("not valid utf-8" in problem for problem in mail.problems)


def test_broken_base64_and_quoted_printable_are_best_effort():
    good = base64.b64encode(b"We could not reach the end user.").decode()
    headers = BASE + "Content-Transfer-Encoding: base64\n"
    mail = parse(raw(headers, good[:-3] + "!!\n"))
    assert mail.text.startswith("We could not reach the end us")
    assert any("broken base64" in problem for problem in mail.problems)
    headers = BASE + "Content-Transfer-Encoding: quoted-printable\n"
    mail = parse(raw(headers, "Caf=C3=A9 is =ZZ fine=\n today.\n"))
    assert mail.text.startswith("Café is =ZZ fine today.")
    assert any("broken quoted-printable" in problem for problem in mail.problems)


def test_missing_headers_give_a_result_and_problems():
    mail = parse(b"\r\njust a body\r\n")
    assert mail.message_id is None and mail.sender is None and mail.sent_at is None
    assert mail.new_text == "just a body"
    assert {"no Message-ID header", "no From address", "no Date header"} <= set(mail.problems)
    assert mail.dedup_key.endswith("@no-message-id.invalid>")
    assert parse(b"\r\njust a body\r\n").dedup_key == mail.dedup_key
    assert parse(b"\r\nanother body\r\n").dedup_key != mail.dedup_key


def test_bad_date_and_future_date():
    assert "is not a date" in " ".join(parse(raw(BASE.replace("Wed, 18 Nov", "Someday"))).problems)
    future = (NOW + timedelta(days=3)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    mail = parse(raw(BASE.replace("Wed, 18 Nov 2026 08:30:00 -0800", future)))
    assert any("in the future" in problem for problem in mail.problems)


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        ("Auto-Submitted: auto-replied", AutoKind.AUTO_REPLY),
        ("Auto-Submitted: auto-generated", AutoKind.AUTO_GENERATED),
        ("X-Autoreply: yes", AutoKind.AUTO_REPLY),
        ("X-Autorespond: Out of office", AutoKind.AUTO_REPLY),
        ("Precedence: auto_reply", AutoKind.AUTO_REPLY),
        ("Precedence: bulk", AutoKind.AUTO_GENERATED),
        ("Precedence: junk", AutoKind.AUTO_GENERATED),
    ],
)
def test_automatic_mail_markers(header, kind):
    mail = parse(raw(BASE + header + "\n"))
    assert [marker.kind for marker in mail.markers] == [kind]
    # Ticket systems acknowledge with auto-generated mail: that must still be read.
    assert (mail.skip_reason is None) == (kind is AutoKind.AUTO_GENERATED)


def test_auto_submitted_no_is_a_person():
    assert parse(raw(BASE + "Auto-Submitted: no\n")).markers == ()


def test_bounces_are_recognised():
    report = """\
From: Mail Delivery System <MAILER-DAEMON@mx.example.com>
To: escalations@example.com
Subject: Undelivered Mail Returned to Sender
Message-ID: <bounce-1@mx.example.com>
Date: Wed, 18 Nov 2026 08:30:00 -0800
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"
"""
    body = """\
--b1
Content-Type: text/plain

The mail could not be delivered.
--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com
Final-Recipient: rfc822; nobody@vendor.example.com
Action: failed
Status: 5.1.1
--b1--
"""
    mail = parse(raw(report, body))
    assert [marker.kind for marker in mail.markers] == [AutoKind.BOUNCE, AutoKind.BOUNCE]
    assert mail.skip_reason.startswith("bounce")
    assert mail.new_text == "The mail could not be delivered."


def test_our_own_mail_is_recognised_by_from_or_message_id():
    by_from = parse(raw(BASE.replace("Vendor Support <Support@Vendor.example.com>", OURS.upper())))
    assert by_from.has_marker(AutoKind.OWN_MAIL)
    assert by_from.skip_reason.startswith("own mail")
    by_id = parse(raw(BASE.replace("<reply-1@vendor.example.com>", "<123.456@example.com>")))
    assert by_id.has_marker(AutoKind.OWN_MAIL)
    assert not parse(raw(BASE)).has_marker(AutoKind.OWN_MAIL)
    assert parse_mail(raw(BASE), now=NOW).markers == ()  # no EMAIL_FROM: nothing is ours


def _with_attachments(*files: tuple[str, str, bytes]) -> bytes:
    message = EmailMessage()
    message["From"] = "support@vendor.example.com"
    message["Message-ID"] = "<files@vendor.example.com>"
    message["Date"] = "Wed, 18 Nov 2026 08:30:00 -0800"
    message["Subject"] = "Screenshots"
    message.set_content("See the screenshots attached.")
    for name, content_type, data in files:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def test_attachments_are_kept_with_name_type_and_size():
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    mail = parse(
        _with_attachments(
            ("error screen.png", "image/png", png), ("../log.txt", "text/plain", b"x")
        )
    )
    assert mail.new_text == "See the screenshots attached."
    first, second = mail.attachments
    assert (first.filename, first.content_type, first.size, first.data) == (
        "error screen.png",
        "image/png",
        len(png),
        png,
    )
    assert not first.too_large
    # A text attachment is an attachment, not body text; a path in its name is defused.
    assert second.filename == "log.txt" and second.data == b"x"


def test_a_huge_attachment_is_flagged_not_kept():
    big = b"\0" * 5000
    mail = parse(_with_attachments(("scan.pdf", "application/pdf", big)), attachment_limit=1000)
    [attachment] = mail.attachments
    assert attachment.too_large and attachment.size == 5000 and attachment.data == b""


def test_a_forwarded_message_is_one_attachment():
    inner = raw(BASE, "The end user's own words.\n")
    message = EmailMessage()
    message["From"] = "support@vendor.example.com"
    message["Message-ID"] = "<fwd@vendor.example.com>"
    message.set_content("Forwarding what the user sent us.")
    message.add_attachment(message_from_bytes(inner, policy=default), filename="user.eml")
    mail = parse(message.as_bytes())
    assert mail.new_text == "Forwarding what the user sent us."
    [attachment] = mail.attachments
    assert attachment.content_type == "message/rfc822"
    assert b"The end user's own words." in attachment.data


def test_no_input_makes_it_raise():
    """Truncations and byte flips of every sample still give a result (the poller's promise)."""
    samples = [raw(BASE, "Hi.\n"), _with_attachments(("a.png", "image/png", b"12345" * 50))]
    for sample in samples:
        for cut in range(0, len(sample), 37):
            assert parse(sample[:cut]).size == cut
        for index in range(0, len(sample), 53):
            flipped = sample[:index] + bytes([sample[index] ^ 0xFF]) + sample[index + 1 :]
            assert parse(flipped).received_at == NOW


def test_first_lines_for_summaries():
    assert first_lines("\n a \n\n b \n c \n d \n") == "a\nb\nc"
    assert first_lines("x" * 400, limit=10) == "x" * 9 + "…"


def test_poll_plan_continue_first_and_rescan():
    assert plan_poll(None, 7).action is PollAction.FIRST
    plan = plan_poll((7, 120), 7, uidnext=125)
    assert (plan.action, plan.after_uid) == (PollAction.CONTINUE, 120)
    changed = plan_poll((7, 120), 8, uidnext=3)
    assert (changed.action, changed.after_uid) == (PollAction.RESCAN, 0)
    assert "7 to 8" in changed.reason
    assert plan_poll((7, 120), 7, uidnext=100).action is PollAction.RESCAN
    assert plan_poll((7, 120), 7).action is PollAction.CONTINUE


def test_statuses_are_the_stored_vocabulary():
    assert {status.value for status in InboundStatus} == {
        "posted",
        "unmatched",
        "ignored",
        "skipped",
        "failed",
    }
