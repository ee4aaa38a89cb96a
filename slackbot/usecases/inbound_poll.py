"""The mailbox poll, run on every scheduler tick: one poller across replicas.

1. Take the folder's lease: a guarded UPDATE on its `MailboxState` row (nobody holds it, or
   theirs ran out), as the outbox claims its items. Another replica polling, or a mailbox in
   backoff, means there is nothing to do this tick.
2. Open the mailbox, plan the read on UIDVALIDITY (`plan_poll`: continue after the last UID,
   or reread everything when the server's UIDVALIDITY changed: the Message-IDs already recorded
   are skipped, so nothing is posted twice), and process each message after the last UID in
   its own transaction (`inbound_mail.process_message`), which advances the last UID and
   renews the lease.
3. Give the lease back. When the mailbox is unreachable or refuses the login, the outage is
   logged once (`failing_since`, `last_error`) and nobody tries again before a backoff as long
   as the outage (30 s to 15 min); the first good poll logs that it is back. /healthz does not
   look at the mailbox: mail is not the database.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import Session

from slackbot.domain.clock import ensure_utc
from slackbot.domain.inbound import PollAction, plan_poll
from slackbot.domain.inbound_rules import retry_delay
from slackbot.usecases.inbound_mail import Processed, Where, process_message
from storage.db import write_session
from storage.inbound import (
    advance_mailbox,
    claim_mailbox,
    ensure_mailbox_row,
    mailbox_state,
    release_mailbox,
)

if TYPE_CHECKING:
    from slackbot.outbound.imap import ImapClient, ImapMailbox
    from slackbot.services import Services

log = logging.getLogger(__name__)

#: How long one poll may hold the folder without renewing (each message renews it).
LEASE = timedelta(minutes=5)


def _owner() -> str:
    """Who holds the lease: this host and process, and this one poll."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _reason(exc: Exception) -> str:
    """The IMAP adapter's reason (never the password), else the exception's type and text."""
    reason = getattr(exc, "reason", None)
    return str(reason) if reason else f"{type(exc).__name__}: {exc}"


class Poll:
    """One poll of the configured folder."""

    def __init__(self, services: Services, client: ImapClient) -> None:
        self.services = services
        self.client = client
        self.folder = client.folder
        self.owner = _owner()
        self.failing_since: datetime | None = None
        self.stored: tuple[int, int] | None = None

    def now(self) -> datetime:
        """The injected clock's time."""
        return self.services.clock.now()

    def claim(self) -> bool:
        """Take the folder's lease; remember where the last poll stopped."""
        now = self.now()
        with write_session(self.services.engine) as session:
            ensure_mailbox_row(session, folder=self.folder, now=now)
        with write_session(self.services.engine) as session:
            if not claim_mailbox(
                session, folder=self.folder, owner=self.owner, until=now + LEASE, now=now
            ):
                return False
            state = mailbox_state(session, folder=self.folder)
            if state.uidvalidity:
                self.stored = (state.uidvalidity, state.last_uid)
            if state.failing_since is not None:
                self.failing_since = ensure_utc(state.failing_since)
        return True

    def read(self) -> int:
        """Process every message after the last UID; returns how many were recorded."""
        recorded = 0
        with self.client.open() as mailbox:
            plan = plan_poll(self.stored, mailbox.uidvalidity, mailbox.uidnext)
            if plan.action is PollAction.RESCAN:
                log.warning("rereading mail folder %s: %s", self.folder, plan.reason)
            if plan.action is not PollAction.CONTINUE and not self._restart(mailbox):
                return 0
            for fetched in mailbox.fetch_after(plan.after_uid):
                outcome = process_message(
                    self.services,
                    where=Where(
                        folder=self.folder,
                        uidvalidity=mailbox.uidvalidity,
                        uid=fetched.uid,
                        owner=self.owner,
                        lease_until=self.now() + LEASE,
                    ),
                    raw=fetched.raw,
                    truncated=fetched.truncated,
                    first=plan.action is PollAction.FIRST,
                )
                if outcome is Processed.LOST_LEASE:
                    log.warning("mail folder %s: another poller took over", self.folder)
                    break
                recorded += outcome is Processed.RECORDED
        return recorded

    def _restart(self, mailbox: ImapMailbox) -> bool:
        """Store the server's UIDVALIDITY with no UID read yet (a first read or a rescan)."""
        now = self.now()
        with write_session(self.services.engine) as session:
            return advance_mailbox(
                session,
                folder=self.folder,
                owner=self.owner,
                uidvalidity=mailbox.uidvalidity,
                last_uid=0,
                until=now + LEASE,
                now=now,
            )

    def down(self, exc: Exception) -> None:
        """The mailbox failed: log it once per outage, back off, give the lease back."""
        now = self.now()
        reason = _reason(exc)[:2000]
        if self.failing_since is None:
            # Not one of the adapter's errors: ours to fix, so with the traceback.
            detail = exc if not hasattr(exc, "transient") else None
            log.warning(
                "mailbox %s on %s:%s is unreachable, retrying with backoff: %s",
                self.folder,
                self.client.host,
                self.client.port,
                reason,
                exc_info=detail,
            )
            self.failing_since = now
        with write_session(self.services.engine) as session:
            release_mailbox(
                session,
                folder=self.folder,
                owner=self.owner,
                until=now + retry_delay(self.failing_since, now),
                failing_since=self.failing_since,
                last_error=reason,
                updated_at=now,
            )

    def done(self) -> None:
        """The poll went through: say so if the mailbox was down, give the lease back."""
        now = self.now()
        if self.failing_since is not None:
            log.warning(
                "mailbox %s is reachable again after %s",
                self.folder,
                str(now - self.failing_since).split(".")[0],
            )
        with write_session(self.services.engine) as session:
            release_mailbox(
                session,
                folder=self.folder,
                owner=self.owner,
                until=None,
                failing_since=None,
                last_error=None,
                updated_at=now,
            )


def poll_mailbox(services: Services) -> int:
    """Tick job: read new mail once across replicas; returns how many messages were recorded."""
    client = services.mailbox
    if client is None:
        return 0
    poll = Poll(services, client)
    if not poll.claim():
        return 0
    try:
        recorded = poll.read()
    except Exception as exc:  # the mailbox: unreachable, login refused, dropped mid-read
        poll.down(exc)
        recorded = 0
    else:
        poll.done()
    finally:
        services.outbox.kick()
    return recorded


def mailbox_status(services: Services) -> tuple[datetime | None, str | None]:
    """(failing since, last error) of the configured folder, for people and tests."""
    client = services.mailbox
    if client is None:
        return None, None
    with Session(services.engine) as session:
        state = mailbox_state(session, folder=client.folder)
    if state is None or state.failing_since is None:
        return None, None
    return ensure_utc(state.failing_since), state.last_error
