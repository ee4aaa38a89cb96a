"""Follow-up emails to the receiving side, once the hand-off went: pure functions.

A reopen request and a request for an update reply on the hand-off's email thread when there
is one (else they go as new emails citing the vendor's ticket); an escalation to the vendor's
leadership or technical contacts starts a new conversation with other people, citing the
original and the case's history. Once a hand-off or a reopen request reached the vendor, the
case moves to them (`moves_when_sent`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from slackbot.domain.clock import ensure_utc
from slackbot.domain.handoff import (
    CaseFacts,
    Draft,
    Missing,
    Purpose,
    Sender,
    ThreadRef,
    missing_basics,
    private_values,
    references_line,
    render_subject,
    signature,
)
from slackbot.domain.playbooks import Contact, Playbook
from slackbot.domain.status_machine import Action

#: What an email that reached the vendor does to the case's status, move by move.
MOVES_WHEN_SENT: Mapping[Purpose, tuple[Action, ...]] = {
    Purpose.HANDOFF: (Action.HAND_TO_VENDOR,),
    Purpose.REOPEN: (Action.REOPEN, Action.WAIT_ON_VENDOR),
    # The details the vendor asked for went: the case is theirs again (issue 13).
    Purpose.DETAILS: (Action.WAIT_ON_VENDOR,),
}


def moves_when_sent(purpose: Purpose) -> tuple[Action, ...]:
    """The moves a sent email of `purpose` makes (none for requests and escalations)."""
    return MOVES_WHEN_SENT.get(purpose, ())


def reply_subject(subject: str) -> str:
    """ "Re: <subject>", without stacking Re:s."""
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def _threading(thread: ThreadRef | None) -> dict[str, Any]:
    if thread is None:
        return {}
    return {
        "in_reply_to": thread.message_id,
        "references": (*thread.references, thread.message_id),
    }


def _fallback_subject(playbook: Playbook, case: CaseFacts) -> str:
    subject, _ = render_subject(playbook.receiver.subject_template, case)
    return subject or f"{case.key}: {case.summary}"


def compose_reopen(
    playbook: Playbook, case: CaseFacts, sender: Sender, thread: ThreadRef | None, note: str = ""
) -> Draft:
    """A reply on the hand-off's thread asking the vendor to reopen their ticket."""
    receiver = playbook.receiver
    subject = reply_subject(thread.subject) if thread else _fallback_subject(playbook, case)
    ticket = f" {case.vendor_ticket}" if case.vendor_ticket else ""
    body = [
        f"Hello {receiver.name},",
        "",
        f"The {receiver.end_user_label.lower()} still needs help with this issue: please reopen "
        f"ticket{ticket}.",
        references_line(case),
    ]
    if note.strip():
        body += ["", note.strip()]
    body += signature(sender)
    # Without a hand-off sent from here it goes as a new email citing their ticket number.
    missing = missing_basics(playbook, sender, to=receiver.email)
    return Draft(
        purpose=Purpose.REOPEN,
        to=(receiver.email,) if receiver.email else (),
        cc=(sender.email,) if sender.email else (),
        reply_to=sender.email or None,
        subject=subject,
        text="\n".join(body) + "\n",
        missing=missing,
        private_values=private_values(playbook, case.fields),
        **_threading(thread),
    )


def compose_details(
    playbook: Playbook, case: CaseFacts, sender: Sender, thread: ThreadRef | None, note: str
) -> Draft:
    """A reply on the hand-off's thread with the details the vendor asked us for."""
    receiver = playbook.receiver
    subject = reply_subject(thread.subject) if thread else _fallback_subject(playbook, case)
    body = [
        f"Hello {receiver.name},",
        "",
        "Here are the details you asked for:",
        "",
        note.strip(),
        "",
        references_line(case),
        *signature(sender),
    ]
    return Draft(
        purpose=Purpose.DETAILS,
        to=(receiver.email,) if receiver.email else (),
        cc=(sender.email,) if sender.email else (),
        reply_to=sender.email or None,
        subject=subject,
        text="\n".join(body) + "\n",
        missing=missing_basics(playbook, sender, to=receiver.email),
        private_values=private_values(playbook, case.fields),
        **_threading(thread),
    )


def compose_update_request(
    playbook: Playbook, case: CaseFacts, sender: Sender, thread: ThreadRef | None, now: datetime
) -> Draft:
    """A reply on the hand-off's thread asking the vendor for the update they promised."""
    receiver = playbook.receiver
    subject = reply_subject(thread.subject) if thread else _fallback_subject(playbook, case)
    since = ensure_utc(case.handed_off_at) if case.handed_off_at else None
    waited = ""
    if since is not None:
        hours = int((ensure_utc(now) - since).total_seconds() // 3600)
        waited = f" We handed it to you on {since:%Y-%m-%d} ({hours} hours ago)."
    body = [
        f"Hello {receiver.name},",
        "",
        f"Could you send us a progress update on this ticket?{waited}",
        references_line(case),
        *signature(sender),
    ]
    return Draft(
        purpose=Purpose.UPDATE_REQUEST,
        to=(receiver.email,) if receiver.email else (),
        cc=(sender.email,) if sender.email else (),
        reply_to=sender.email or None,
        subject=subject,
        text="\n".join(body) + "\n",
        missing=missing_basics(playbook, sender, to=receiver.email),
        private_values=private_values(playbook, case.fields),
        **_threading(thread),
    )


def compose_contact_escalation(
    playbook: Playbook,
    case: CaseFacts,
    sender: Sender,
    *,
    purpose: Purpose,
    history: Sequence[str],
    thread: ThreadRef | None,
) -> Draft:
    """An email to the vendor's leadership or technical contacts citing their ticket and history."""
    contacts: tuple[Contact, ...] = (
        playbook.leadership_contacts
        if purpose is Purpose.LEADERSHIP
        else playbook.technical_contacts
    )
    receiver = playbook.receiver
    level = "leadership" if purpose is Purpose.LEADERSHIP else "technical"
    ticket = case.vendor_ticket or "(no ticket number received yet)"
    base = thread.subject if thread else _fallback_subject(playbook, case)
    subject = f"Escalation ({level}): {base}"
    names = ", ".join(contact.name for contact in contacts) or "team"
    body = [
        f"Hello {names},",
        "",
        f"We are escalating a ticket with {receiver.name} to you: it needs your attention.",
        f"Your ticket number: {ticket}",
        references_line(case),
        f"Summary: {case.summary}",
    ]
    if case.vendor_status:
        body.append(f"Last status from your team: {case.vendor_status}")
    if history:
        body += ["", "HISTORY", *(f"  {line}" for line in history)]
    body += signature(sender)
    # The contacts are the recipients here: only the sender's own address can be missing.
    missing = missing_basics(playbook, sender, to="contacts")
    if not contacts:
        missing = (
            Missing(
                f"{receiver.name}'s {level} escalation contacts",
                f"add `{level}_contacts` to playbook `{playbook.id}` in the playbooks file",
            ),
            *missing,
        )
    cc = tuple(address for address in (receiver.email, sender.email) if address)
    return Draft(
        purpose=purpose,
        to=tuple(contact.email for contact in contacts),
        cc=cc,
        reply_to=sender.email or None,
        subject=subject,
        text="\n".join(body) + "\n",
        missing=missing,
        private_values=private_values(playbook, case.fields),
        # Not a reply: a new conversation with other people, that cites the original.
        references=(thread.message_id,) if thread else (),
    )
