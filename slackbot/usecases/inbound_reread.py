"""Reading a recorded email again from the mailbox, and View full email.

The bytes of an email are never stored: its row says where it is (folder, UIDVALIDITY, UID),
and it is fetched again when someone attaches it to a case or asks to see it whole. The whole
email goes only to the case's opener or its tier's responders, in a message only they see, and
every viewing (and every refusal) is logged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session

from slackbot.domain.inbound import InboundMail
from slackbot.domain.status_machine import Via
from slackbot.domain.vocabulary import EventKind
from slackbot.render.inbound_blocks import build_full_email
from slackbot.usecases.events import record_event
from slackbot.usecases.inbound_decisions import InboundError, Pressed, tell
from slackbot.usecases.inbound_mail import read_mail
from slackbot.usecases.inbound_unmatched import unmatched_row
from slackbot.usecases.move_case import Outcome, Result, guard
from storage.db import write_session
from storage.inbound import get_inbound
from storage.repositories import get_case

if TYPE_CHECKING:
    from slackbot.services import Services


def fetch_mail(services: Services, *, inbound_id: int, unmatched: bool = False) -> InboundMail:
    """Read a recorded email again from the mailbox (where its row says it is)."""
    with Session(services.engine) as session:
        row = (
            unmatched_row(session, inbound_id)
            if unmatched
            else get_inbound(session, inbound_id=inbound_id)
        )
    if row is None:
        raise InboundError("This email is no longer known.")
    client = services.mailbox
    if client is None or client.folder != row.folder:
        raise InboundError("The mailbox this email came from is not configured here.")
    try:
        with client.open() as mailbox:
            if mailbox.uidvalidity != row.uidvalidity:
                raise InboundError(
                    "The mail folder was rebuilt since this email came (its UIDVALIDITY "
                    "changed): forward the email to the mailbox again to post it."
                )
            fetched = mailbox.fetch([row.uid])
    except InboundError:
        raise
    except Exception as exc:  # the mailbox is down or refuses us: nothing changed
        reason = getattr(exc, "reason", None) or type(exc).__name__
        raise InboundError(
            f"Could not read the mailbox just now ({reason}); nothing changed. Try again soon."
        ) from None
    mail = (
        read_mail(services, fetched[0].raw, services.clock.now(), truncated=fetched[0].truncated)
        if fetched
        else None
    )
    if mail is None or mail.dedup_key != row.message_id:
        raise InboundError("This email is no longer in the mailbox; nothing changed.")
    return mail


def may_view(services: Services, *, inbound_id: int, pressed: Pressed) -> Result:
    """Whether the presser may read the whole email (the case's opener or its tier's
    responders); every viewing is logged, every refusal too."""
    now = services.clock.now()
    with write_session(services.engine) as session:
        row = get_inbound(session, inbound_id=inbound_id)
        case = get_case(session, case_id=row.case_id) if row and row.case_id else None
        playbook = services.playbooks.get(case.playbook_id) if case else None
        if case is None or playbook is None:
            raise InboundError("This email's case no longer exists.")
        refused = None
        if pressed.actor.user_id != case.opened_by:
            refused = guard(
                session,
                case,
                playbook,
                pressed.actor,
                tier=case.tier,
                via=Via.BUTTON,
                what="view an email",
                now=now,
                reply_to=pressed.channel,
            )
        if refused is not None and refused.outcome is Outcome.NEEDS_MEMBERS:
            session.rollback()  # the edge fetches the members and asks again
            return refused
        if refused is None:
            record_event(
                session,
                case_id=case.id,
                kind=EventKind.EMAIL_VIEWED,
                at=now,
                actor=pressed.actor.user_id,
                via=Via.BUTTON,
                inbound_id=row.id,
            )
    services.outbox.kick()
    return refused or Result(Outcome.APPLIED, case_id=case.id)


def show_full_email(services: Services, *, inbound_id: int, pressed: Pressed) -> None:
    """Read the email again and show it whole, to the presser only (after `may_view`)."""
    mail = fetch_mail(services, inbound_id=inbound_id)
    with Session(services.engine) as session:
        row = get_inbound(session, inbound_id=inbound_id)
    sent = f"{mail.sent_at:%Y-%m-%d %H:%M} UTC" if mail.sent_at else "(no date)"
    text = build_full_email(
        case_id=row.case_id,
        sender=str(mail.sender) if mail.sender else "(no sender)",
        subject=mail.subject,
        sent_at=sent,
        text=mail.new_text or mail.text,
        files=[item.filename for item in mail.attachments],
    )
    with write_session(services.engine) as session:
        tell(session, pressed, text, services.clock.now(), row.case_id)
    services.outbox.kick()
