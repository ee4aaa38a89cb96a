"""Email through the outbox: queued in the use case's transaction, sent over SMTP afterwards.

The Message-ID is fixed when the email is queued, so a retry after a crash re-sends the same
message (receiving systems can recognise it) and threading replies can cite it before it is sent.
What an accepted or refused email means is up to the feature that queued it, by `purpose`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from slackbot.domain.cases import case_key
from slackbot.domain.email import EmailRejected, check_header, new_message_id
from slackbot.domain.handoff import private_values
from slackbot.domain.mrkdwn import escape
from slackbot.domain.privacy import scrub_contacts
from slackbot.domain.vocabulary import OutboxKind
from slackbot.usecases import slack_posts
from slackbot.usecases.outbox import enqueue
from storage.models import OutboxItem
from storage.repositories import get_case

if TYPE_CHECKING:
    from slackbot.services import Services

OnSent = Callable[[Session, OutboxItem, dict[str, Any]], None]
OnGivenUp = Callable[[Session, OutboxItem, str], None]


def queue_email(
    session: Session,
    *,
    to: Sequence[str],
    subject: str,
    text: str,
    now: datetime,
    email_from: str | None,
    case_id: int | None = None,
    cc: Sequence[str] = (),
    reply_to: str | None = None,
    html: str | None = None,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    attachments: Sequence[dict[str, Any]] = (),
    dedup_key: str | None = None,
    message_id: str | None = None,
    purpose: str = "",
    context: dict[str, Any] | None = None,
) -> OutboxItem:
    """Record an email to send; raises EmailRejected for unsafe headers or no recipients."""
    if not to:
        raise EmailRejected("the email has no recipient")
    for address in [*to, *cc, *([reply_to] if reply_to else [])]:
        check_header("an address", address)
    check_header("the subject", subject)
    for ref in [in_reply_to or "", *references]:
        check_header("a threading header", ref)
    payload: dict[str, Any] = {
        "to": list(to),
        "cc": list(cc),
        "reply_to": reply_to,
        "subject": subject,
        "text": text,
        "message_id": message_id or new_message_id(email_from),
        "in_reply_to": in_reply_to,
        "references": list(references),
        "attachments": list(attachments),
        "purpose": purpose,
    }
    if html:
        payload["html"] = html
    if context:
        # What the feature that queued it needs back when it is sent (e.g. its draft id).
        payload.update({key: value for key, value in context.items() if key not in payload})
    return enqueue(
        session,
        kind=OutboxKind.EMAIL,
        case_id=case_id,
        payload=payload,
        now=now,
        dedup_key=dedup_key,
    )


class EmailOutcomes:
    """What to record once an email is accepted or given up, by the purpose it was queued for."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.on_sent: dict[str, OnSent] = {}
        self.on_given_up: dict[str, OnGivenUp] = {}

    def sent(self, session: Session, item: OutboxItem, result: dict[str, Any]) -> None:
        """Let the feature that queued the email record that the server accepted it."""
        hook = self.on_sent.get(item.payload.get("purpose") or "")
        if hook is not None:
            hook(session, item, result)

    def failed(self, session: Session, item: OutboxItem, reason: str) -> None:
        """Say in the case thread that an email could not be sent, with the server's reason.

        Never its subject nor its addresses: a hand-off's subject carries the end user's sign-up
        email, and a server's reason may quote a recipient (contact values and addresses are
        taken out of it)."""
        hook = self.on_given_up.get(item.payload.get("purpose") or "")
        if hook is not None:
            hook(session, item, reason)
        if item.case_id is None:
            return
        case = get_case(session, case_id=item.case_id)
        playbook = self.services.playbooks.get(case.playbook_id) if case else None
        secrets = private_values(playbook, case.fields or {}) if case and playbook else ()
        slack_posts.post_in_thread(
            session,
            case_id=item.case_id,
            now=self.services.clock.now(),
            text=(
                f":x: An email for {case_key(item.case_id)} could not be sent: "
                f"{escape(scrub_contacts(reason, secrets))}"
            ),
        )
