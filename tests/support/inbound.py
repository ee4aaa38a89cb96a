"""Inbound mail for tests: the bot's IMAP settings for the test Dovecot, vendor replies built as
a mail client would, and the steps to a sent hand-off. Placeholders only (example.com, 555)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlmodel import Session, select

from slackbot.devtools.signed import block_actions, view_submission
from storage.models import Case, CaseEvent, Deadline, EmailDraft, InboundMessage
from tests.support.env import START
from tests.support.forms import idv_values
from tests.support.waiting import wait_until  # noqa: F401 - importers take it from here

AGENT = "U0AGENT01"
DANA = "U0DANA001"
STRANGER = "U0STRANGE1"
VENDOR = "IDV Vendor Support <ehr-support@idv-vendor.example.com>"
UNMATCHED_CHANNEL = "#escalations-inbox"
SUBJECT = "AcmeEHR; XQ123; pat@clinic.example.com"


def imap_env(dovecot) -> dict[str, str]:
    """Settings that read the test Dovecot's INBOX over plain IMAP."""
    return {
        "IMAP_HOST": dovecot.host,
        "IMAP_PORT": str(dovecot.port),
        "IMAP_SECURITY": "none",
        "IMAP_USERNAME": dovecot.user,
        "IMAP_PASSWORD": dovecot.password,
        "INBOUND_UNMATCHED_CHANNEL": UNMATCHED_CHANNEL,
    }


def reply(
    body: str,
    *,
    subject: str = f"Re: {SUBJECT}",
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    sender: str = VENDOR,
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
    html: str | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
) -> bytes:
    """A vendor's email as their mail system sends it."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "Sam Agent <u0agent01@support.example.com>"
    message["Cc"] = "escalations@example.com"
    message["Subject"] = subject
    message["Date"] = format_datetime(START)
    message["Message-ID"] = message_id or make_msgid(domain="idv-vendor.example.com")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = " ".join([*references, in_reply_to])
    for name, value in (headers or {}).items():
        message[name] = value
    if html is not None and not body:
        message.set_content(html, subtype="html")
    else:
        message.set_content(body)
    for filename, content_type, data in attachments:
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(message)


def blocks_of(call) -> list[dict]:
    """A recorded call's blocks, parsed."""
    blocks = call.body.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def button(blocks: list[dict], action_id: str) -> dict:
    """The button with this action id."""
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} button")


def open_case(bot, fake_slack) -> tuple[int, str, str]:
    """Open an idv case through the signed endpoint; (case id, channel, root ts)."""
    bot.sender.command("/escalate", "idv")
    view = fake_slack.wait_for("views.open")[-1].body["view"]
    assert bot.sender.interactive(view_submission(view, idv_values())).status == 200
    fake_slack.wait_for_post("Hand-off email")
    channel = fake_slack.channel_ids["#escalations-idv"]
    fake_slack.channel_members[channel] = [AGENT, DANA]
    with Session(bot.services.engine) as session:
        case = session.exec(select(Case).order_by(Case.id.desc())).first()
    return case.id, channel, case.root_ts


def send_handoff(bot, fake_slack, smtp) -> tuple[int, str, str, str]:
    """Open a case and send its hand-off; (case id, channel, root ts, the email's Message-ID)."""
    case_id, channel, root_ts = open_case(bot, fake_slack)
    preview = fake_slack.wait_for_post("Hand-off email")[-1]
    send = button(blocks_of(preview), "email_send")
    bot.sender.interactive(block_actions("email_send", send["value"], channel=channel))
    [mail] = smtp.wait_for(1)

    def sent():
        with Session(bot.services.engine) as session:
            draft = session.exec(select(EmailDraft).where(EmailDraft.case_id == case_id)).first()
            return draft.state == "sent" and session.get(Case, case_id).status == "with_vendor"

    wait_until(sent)
    return case_id, channel, root_ts, mail.message["Message-ID"]


def case(bot, case_id: int) -> Case:
    """The case as stored now."""
    with Session(bot.services.engine) as session:
        return session.get(Case, case_id)


def deadlines(bot, case_id: int) -> dict[str, Deadline]:
    """The case's deadline rows by kind."""
    with Session(bot.services.engine) as session:
        rows = session.exec(select(Deadline).where(Deadline.case_id == case_id)).all()
    return {row.kind: row for row in rows}


def inbound_rows(bot) -> list[InboundMessage]:
    """Every inbound message recorded, in order."""
    with Session(bot.services.engine) as session:
        return list(session.exec(select(InboundMessage).order_by(InboundMessage.id)).all())


def events(bot, case_id: int, kind: str | None = None) -> list[CaseEvent]:
    """The case's events (of one kind), in order."""
    with Session(bot.services.engine) as session:
        statement = select(CaseEvent).where(CaseEvent.case_id == case_id)
        if kind:
            statement = statement.where(CaseEvent.kind == kind)
        return list(session.exec(statement.order_by(CaseEvent.id)).all())


def thread_posts(fake_slack, root_ts: str, prefix: str = "") -> list:
    """Posts in a thread whose text starts with `prefix`."""
    return [
        call
        for call in fake_slack.calls_to("chat.postMessage")
        if call.body.get("thread_ts") == root_ts
        and str(call.body.get("text", "")).startswith(prefix)
    ]


def press(bot, action_id: str, value: str, *, user: str = AGENT, channel: str, ts: str = ""):
    """Press a button on a message."""
    return bot.sender.interactive(
        block_actions(action_id, value, user=user, channel=channel, message_ts=ts)
    )
