"""The email outbox performer: builds the MIME message from a queued payload and sends it."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from slackbot.domain.clock import Clock
from slackbot.domain.email import EmailRejected, build_message
from slackbot.effects import PermanentFailure, RetryLater
from slackbot.outbound.smtp import SmtpError, SmtpTransport
from storage.models import OutboxItem

Preparer = Callable[[EmailMessage, dict[str, Any]], None]


class EmailSender:
    """Sends queued emails over SMTP, after the preparers (attachments) have had their say."""

    def __init__(
        self,
        transport: SmtpTransport | None,
        *,
        email_from: str,
        clock: Clock,
        preparers: list[Preparer] | None = None,
    ) -> None:
        self.transport = transport
        self.email_from = email_from
        self.clock = clock
        #: Hooks that add to a message before it is sent: fn(message, payload).
        self.preparers: list[Preparer] = list(preparers or [])

    def perform(self, item: OutboxItem) -> dict[str, Any]:
        """Send one queued email."""
        if self.transport is None:
            raise PermanentFailure("email is not configured (SMTP_HOST is not set)")
        try:
            message = build_message(
                item.payload,
                email_from=self.email_from,
                date=self.clock.now(),
            )
        except EmailRejected as exc:
            raise PermanentFailure(str(exc)) from None
        for prepare in self.preparers:
            prepare(message, item.payload)
        try:
            self.transport.send(message)
        except SmtpError as exc:
            if exc.transient:
                raise RetryLater(exc.reason) from None
            raise PermanentFailure(exc.reason) from None
        return {"message_id": item.payload["message_id"]}
