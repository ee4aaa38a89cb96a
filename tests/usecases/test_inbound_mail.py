"""The inbound-mail use cases below the scheduler: which case an email is matched to, in the
order the keys are trusted, and the folder's lease between two pollers. Placeholders only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from slackbot.config import load_settings
from slackbot.domain.inbound import parse_mail
from slackbot.domain.vocabulary import OutboxKind
from slackbot.outbound.imap import ImapClient
from slackbot.usecases.inbound_mail import Processed, Where, match_case, process_message
from slackbot.usecases.inbound_poll import LEASE, Poll
from slackbot.wiring import build_services
from storage.db import write_session
from storage.models import Case, EmailDraft, InboundMessage, MailboxState, OutboxItem
from tests.support.env import START, base_env


@pytest.fixture
def services(database, fake_slack, clock):
    url, engine = database
    env = base_env(fake_slack, url, EMAIL_FROM="escalations@example.com")
    built = build_services(load_settings(env, dotenv=False), clock=clock, engine=engine)
    # A client that is never opened here: the poll's lease only needs the folder's name.
    built.mailbox = ImapClient("127.0.0.1", 9, "user", "password", security="none")
    return built


def _case(session, now, **values) -> Case:
    case = Case(
        playbook_id="idv",
        summary="Cannot verify",
        status="with_vendor",
        priority="high",
        category="access",
        requester_type="Clinician",
        internal_ticket=values.pop("internal_ticket", "XQ1"),
        fields={},
        opened_by="U1",
        opened_at=now,
        updated_at=now,
        channel_id="C1",
        root_ts=None,
        **values,
    )
    session.add(case)
    session.flush()
    return case


def _mail(subject: str, body: str = "Update.", **headers: str):
    lines = [
        "From: Vendor <support@vendor.example.com>",
        f"Subject: {subject}",
        "Message-ID: <m@vendor.example.com>",
        *(f"{name.replace('_', '-')}: {value}" for name, value in headers.items()),
    ]
    raw = "\r\n".join(lines) + "\r\n\r\n" + body
    return parse_mail(raw.encode(), now=START)


def test_matching_tries_the_keys_in_the_order_they_are_trusted(services, clock):
    now = clock.now()
    with write_session(services.engine) as session:
        drafted = _case(session, now)
        session.add(
            EmailDraft(
                case_id=drafted.id, purpose="handoff", state="sent", subject="s", body="b",
                created_by="U1", created_at=now, message_id="<draft@example.com>",
            )
        )  # fmt: skip
        queued = _case(session, now)
        session.add(
            OutboxItem(
                kind=OutboxKind.EMAIL.value, case_id=queued.id, next_attempt_at=now,
                created_at=now, payload={"message_id": "<queued@example.com>"},
            )
        )  # fmt: skip
        ours = _case(session, now, internal_ticket="XQ777")
        theirs = _case(session, now, vendor_ticket="VT-98765")
        ids = {name: case.id for name, case in locals().items() if isinstance(case, Case)}

    def matched(mail):
        with Session(services.engine) as session:
            return match_case(services, session, mail)

    both = _mail(
        f"Re: ESC-{ids['ours']}",
        In_Reply_To="<queued@example.com>",
        References="<draft@example.com> <queued@example.com>",
    )
    assert matched(both).case_id == ids["queued"]  # the reply beats the subject
    assert matched(_mail("Fwd: hello", References="<draft@example.com>")).case_id == ids["drafted"]
    assert matched(_mail(f"Re: ESC-99999 and ESC-{ids['theirs']}")).case_id == ids["theirs"]
    by_ticket = matched(_mail("RE: AcmeEHR; XQ777; •••"))
    assert by_ticket.case_id == ids["ours"] and "XQ777" in by_ticket.how
    vendor = matched(_mail("Ticket update", "Regarding vt-98765: we called today."))
    assert vendor.case_id == ids["theirs"] and "VT-98765" in vendor.how
    assert matched(_mail("Ticket update", "Regarding VT-987650.")).case_id is None
    assert matched(_mail("Hello")).case_id is None


def test_one_poller_holds_the_folder_and_a_lost_lease_records_nothing(services, clock):
    first, second = Poll(services, services.mailbox), Poll(services, services.mailbox)
    assert first.claim() and not second.claim()
    clock.advance(LEASE + timedelta(seconds=1))  # the first poller stalled past its lease
    assert second.claim()
    raw = b"From: v@vendor.example.com\r\nSubject: Hello\r\nMessage-ID: <x@vendor.example.com>\r\n\r\nHi"

    def where(poll, uid):
        return Where("INBOX", 7, uid, poll.owner, clock.now() + LEASE)

    assert process_message(services, where=where(first, 1), raw=raw) is Processed.LOST_LEASE
    with Session(services.engine) as session:
        assert session.exec(select(InboundMessage)).all() == []
    assert process_message(services, where=where(second, 1), raw=raw) is Processed.RECORDED
    assert process_message(services, where=where(second, 2), raw=raw) is Processed.SEEN
    with Session(services.engine) as session:
        [row] = session.exec(select(InboundMessage)).all()
        state = session.exec(select(MailboxState)).one()
    assert (row.status, row.uid) == ("unmatched", 1)
    assert (state.uidvalidity, state.last_uid, state.claimed_by) == (7, 2, second.owner)
