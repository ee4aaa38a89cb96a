"""Alembic owns the schema: migrations build exactly what the models describe."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

from slackbot.domain.clock import ensure_utc
from slackbot.domain.inbound import InboundStatus
from storage.migrate import alembic_config, upgrade
from storage.models import InboundMessage, MailboxState


def test_migrations_match_the_models_and_are_idempotent(database):
    _, engine = database
    upgrade(engine)
    upgrade(engine)  # a second start-up changes nothing
    tables = set(inspect(engine).get_table_names())
    assert {"escalation_case", "case_event", "case_message", "processed_event", "outbox"} <= tables
    assert {"mailbox_state", "inbound_message"} <= tables
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []


#: The largest UIDVALIDITY and UID IMAP allows (32-bit unsigned): more than an INTEGER holds.
MAX_UID = 2**32 - 1


def test_inbound_mail_tables_round_trip_and_downgrade(database):
    _, engine = database
    upgrade(engine)
    at = datetime(2026, 11, 18, 17, 0, tzinfo=UTC)
    with Session(engine) as session:
        session.add(
            MailboxState(folder="INBOX", uidvalidity=MAX_UID, last_uid=MAX_UID - 1, updated_at=at)
        )
        session.add(
            InboundMessage(
                message_id="<reply-1@vendor.example.com>",
                folder="INBOX",
                uidvalidity=MAX_UID,
                uid=MAX_UID - 1,
                status=InboundStatus.UNMATCHED,
                reason="no case matches",
                received_at=at,
                created_at=at,
            )
        )
        session.commit()
    with Session(engine) as session:
        state = session.exec(select(MailboxState)).one()
        message = session.exec(select(InboundMessage)).one()
        assert (state.uidvalidity, state.last_uid) == (MAX_UID, MAX_UID - 1)
        assert (message.uid, message.status, message.case_id) == (MAX_UID - 1, "unmatched", None)
        assert ensure_utc(message.received_at) == at
        session.add(
            InboundMessage(
                message_id="<reply-1@vendor.example.com>",
                folder="INBOX",
                uidvalidity=1,
                uid=1,
                status=InboundStatus.POSTED,
                received_at=at,
                created_at=at,
            )
        )
        with pytest.raises(IntegrityError):
            session.commit()

    with engine.begin() as connection:
        config = alembic_config(engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")
    tables = set(inspect(engine).get_table_names())
    assert "inbound_message" not in tables and "mailbox_state" not in tables
    assert "email_draft" in tables
    upgrade(engine)
    assert {"inbound_message", "mailbox_state"} <= set(inspect(engine).get_table_names())
