"""The email outbox kind against a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from slackbot.config import load_settings
from slackbot.domain.email import EmailRejected
from slackbot.usecases.emails import queue_email
from slackbot.wiring import build_services
from storage.models import OutboxItem
from tests.conftest import base_env, smtp_env


def _services(fake_slack, database, clock, smtp):
    url, engine = database
    env = base_env(fake_slack, url, **smtp_env(smtp))
    return build_services(load_settings(env, dotenv=False), clock=clock, engine=engine)


def test_email_is_sent_once_and_retried_after_a_refusal(fake_slack, database, clock, smtp):
    services = _services(fake_slack, database, clock, smtp)
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
