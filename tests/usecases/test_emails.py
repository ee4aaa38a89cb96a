"""The email outbox kind against a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from slackbot.domain.email import EmailRejected
from slackbot.usecases.emails import queue_email
from storage.models import OutboxItem
from tests.support.env import services_with_smtp


def test_email_is_sent_once_and_retried_after_a_refusal(fake_slack, database, clock, smtp):
    services = services_with_smtp(fake_slack, database, clock, smtp)
    smtp.refuse_next("451 4.3.0 Try again later")
    with Session(services.engine) as session:
        item_id = queue_email(
            session,
            to=["vendor@example.com"],
            subject="Hello",
            text="Body",
            now=clock.now(),
            email_from="escalations@example.com",
        ).id
        session.commit()
    services.outbox.deliver_due()
    assert smtp.messages == []
    services.outbox.deliver_due()  # not due yet: backoff
    assert smtp.messages == []
    clock.advance(timedelta(minutes=1))
    services.outbox.deliver_due()
    services.outbox.deliver_due()
    [received] = smtp.messages
    assert received.rcpt_tos == ["vendor@example.com"]
    assert received.message["Subject"] == "Hello"
    with Session(services.engine) as session:
        row = session.get(OutboxItem, item_id)
        assert row.state == "done"
        assert received.message["Message-ID"] == row.payload["message_id"]


def test_header_injection_is_refused():
    with pytest.raises(EmailRejected):
        queue_email(
            None,
            to=["a@example.com"],
            subject="Hi\r\nBcc: evil@example.com",
            text="x",
            now=None,
            email_from="x@example.com",
        )
