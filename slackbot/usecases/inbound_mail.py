"""One email from the mailbox, processed exactly once: read, deduplicated, matched, posted.

Each message is its own transaction, in which the folder's `last_uid` advances (only while
this poller holds the folder's lease), its `InboundMessage` row is inserted (the Message-ID is
unique: a second poller or a rescan finds it and skips) and everything it says in Slack is
queued. A message that cannot be processed is recorded `failed` with the reason, reported once,
and the poller moves on: bad mail never stops it, and is never lost (it stays in the mailbox).

Matching, in the order the keys are trusted (`slackbot.domain.inbound_match`): the Message-IDs
it replies to against our emails (drafts sent, and every email queued through the outbox); a
case id in the subject; our internal ticket read back through the playbook's subject template;
the vendor's ticket number, once a case knows it.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from slackbot.domain.cases import case_key
from slackbot.domain.inbound import InboundMail, InboundStatus, parse_mail
from slackbot.domain.inbound_match import match_keys, mentions_ticket, subject_ticket_pattern
from slackbot.domain.inbound_rules import hide_contact_shapes, ticket_candidates
from slackbot.usecases.inbound_post import post_matched, post_unmatched, report_failure
from storage.db import write_session
from storage.inbound import (
    advance_mailbox,
    case_for_message_ids,
    cases_by_internal_ticket,
    cases_by_vendor_ticket,
    existing_case_ids,
    inbound_by_key,
)
from storage.models import InboundMessage
from storage.repositories import get_case

if TYPE_CHECKING:
    from slackbot.services import Services

log = logging.getLogger(__name__)

#: On the first read of a folder, mail sent this long before is not posted: it was there
#: before the bot was given the mailbox.
FIRST_READ_CUTOFF = timedelta(days=7)


class Processed(StrEnum):
    """What became of one fetched message, for the poller."""

    RECORDED = "recorded"
    #: Its Message-ID was seen before (a duplicate, or a rescan): skipped, the UID advanced.
    SEEN = "seen"
    #: Another poller holds the folder now: stop.
    LOST_LEASE = "lost_lease"


@dataclass(frozen=True)
class Where:
    """Where a message lives in the mailbox, and who is reading it."""

    folder: str
    uidvalidity: int
    uid: int
    owner: str
    lease_until: datetime


@dataclass(frozen=True)
class Match:
    """The case an email belongs to (None: unmatched), and by which key."""

    case_id: int | None
    how: str


def read_mail(services: Services, raw: bytes, now: datetime, *, truncated: bool) -> InboundMail:
    """Parse raw bytes as the poller does (who we are is EMAIL_FROM)."""
    mail = parse_mail(raw, now=now, own_address=services.settings.email_from)
    if truncated:
        problem = "the message was too large to read whole: its attachments are cut"
        mail = _with_problem(mail, problem)
    return mail


def _with_problem(mail: InboundMail, problem: str) -> InboundMail:
    return replace(mail, problems=(*mail.problems, problem))


def _digest_key(raw: bytes) -> str:
    return f"<{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id.invalid>"


def match_case(services: Services, session: Session, mail: InboundMail) -> Match:
    """The case `mail` belongs to, by the first key that finds one."""
    patterns = []
    for playbook in services.playbooks:
        pattern = subject_ticket_pattern(playbook.receiver.subject_template)
        if pattern is not None:
            patterns.append((playbook.id, pattern))
    keys = match_keys(mail, ticket_patterns=[pattern for _, pattern in patterns])
    found = case_for_message_ids(session, message_ids=keys.message_ids)
    if found is not None:
        return Match(found, "it replies to one of our emails")
    cases = existing_case_ids(session, case_ids=keys.case_ids)
    if cases:
        return Match(cases[0], f"{case_key(cases[0])} in the subject")
    for playbook_id, pattern in patterns:
        tickets = match_keys(mail, ticket_patterns=[pattern]).internal_tickets
        by_ticket = cases_by_internal_ticket(session, playbook_id=playbook_id, tickets=tickets)
        if by_ticket:
            return Match(
                by_ticket[0].id, f"our ticket {by_ticket[0].internal_ticket} in the subject"
            )
    for case in cases_by_vendor_ticket(session, tickets=ticket_candidates(mail)):
        if mentions_ticket(mail, case.vendor_ticket):
            return Match(case.id, f"their ticket {case.vendor_ticket} in the email")
    return Match(None, "no reply to our emails, case id or ticket number")


def _handle(
    services: Services,
    session: Session,
    mail: InboundMail,
    row: InboundMessage,
    *,
    now: datetime,
    first: bool,
) -> None:
    """Skip, post or summarise one recorded message (in a savepoint of the caller's)."""
    reason = mail.skip_reason
    if reason is None and first and mail.sent_at and mail.sent_at < now - FIRST_READ_CUTOFF:
        reason = "in the mailbox before the bot first read it"
    if reason is not None:
        row.status, row.reason = InboundStatus.SKIPPED.value, reason[:2000]
        return
    match = match_case(services, session, mail)
    if match.case_id is None:
        row.status, row.reason = InboundStatus.UNMATCHED.value, match.how
        post_unmatched(services, session, mail=mail, row=row, reason=match.how, now=now)
        return
    case = get_case(session, case_id=match.case_id, lock=True)
    row.case_id, row.status, row.reason = case.id, InboundStatus.POSTED.value, match.how
    classification = post_matched(services, session, case=case, mail=mail, row=row, now=now)
    row.kind = classification.kind.value


def _row(mail: InboundMail, where: Where, now: datetime) -> InboundMessage:
    sender = mail.sender.address if mail.sender else None
    return InboundMessage(
        message_id=mail.dedup_key,
        folder=where.folder,
        uidvalidity=where.uidvalidity,
        uid=where.uid,
        status=InboundStatus.FAILED.value,
        sender=(sender or "")[:254] or None,
        subject=hide_contact_shapes(mail.subject)[:1000] or None,
        received_at=mail.sent_at or now,
        created_at=now,
    )


def _parse_safely(services: Services, raw: bytes, now: datetime, truncated: bool):
    """(mail, None), or (None, why) for the message parsing promises never to throw on."""
    try:
        return read_mail(services, raw, now, truncated=truncated), None
    except Exception as exc:  # parse_mail never raises on bad mail; a bug must not stop us
        log.exception("could not parse an inbound message")
        return None, f"could not be read: {type(exc).__name__}"


def process_message(
    services: Services,
    *,
    where: Where,
    raw: bytes,
    truncated: bool = False,
    first: bool = False,
) -> Processed:
    """Record one fetched message and do what it says, in one transaction with the folder's
    progress; `first` is the folder's first read (old mail is not posted then)."""
    now = services.clock.now()
    mail, broken = _parse_safely(services, raw, now, truncated)
    key = mail.dedup_key if mail is not None else _digest_key(raw)
    try:
        with write_session(services.engine) as session:
            if not advance_mailbox(
                session,
                folder=where.folder,
                owner=where.owner,
                uidvalidity=where.uidvalidity,
                last_uid=where.uid,
                until=where.lease_until,
                now=now,
            ):
                session.rollback()
                return Processed.LOST_LEASE
            if inbound_by_key(session, message_id=key) is not None:
                return Processed.SEEN
            _record(services, session, mail, where, now=now, key=key, broken=broken, first=first)
    except IntegrityError:
        # Another poller recorded the same Message-ID between our check and our insert.
        return Processed.SEEN
    return Processed.RECORDED


def _record(
    services: Services,
    session: Session,
    mail: InboundMail | None,
    where: Where,
    *,
    now: datetime,
    key: str,
    broken: str | None,
    first: bool,
) -> None:
    """Insert the message's row and handle it; a failure is recorded on the row, reported
    once, and rolled back to the savepoint so that nothing half-done is posted."""
    row = _row(mail, where, now) if mail is not None else None
    if row is None:
        row = InboundMessage(
            message_id=key,
            folder=where.folder,
            uidvalidity=where.uidvalidity,
            uid=where.uid,
            status=InboundStatus.FAILED.value,
            reason=broken,
            received_at=now,
            created_at=now,
        )
    session.add(row)
    session.flush()
    failure = broken
    if mail is not None:
        try:
            with session.begin_nested():
                _handle(services, session, mail, row, now=now, first=first)
        except Exception as exc:  # one bad message must not stop the poller
            log.exception("inbound message %s (UID %s) could not be processed", row.id, where.uid)
            failure = f"{type(exc).__name__}: {exc}"[:2000]
    if failure is not None:
        row.status, row.reason = InboundStatus.FAILED.value, failure
        report_failure(services, session, row=row, reason=failure, now=now)
    session.add(row)
