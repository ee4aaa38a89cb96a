"""What every use case that changes a case shares: its outcome, who acts, and the three guards.

The guards, in the order a use case applies them inside its one transaction: the Slack event id
is claimed (so a redelivery is a no-op), the actor is authorised for the tier that decides (the
membership lists come from the edge, by tier; when the one that decides is missing the result
asks for it), and the row is written with a compare-and-set on the case's version.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session

from slackbot.domain.cases import case_key
from slackbot.domain.playbooks import Playbook
from slackbot.domain.status_machine import (
    Responders,
    Transition,
    Via,
    authorise,
    denial,
    responders_for,
)
from slackbot.domain.vocabulary import EventKind
from slackbot.render import case_blocks
from slackbot.services import Services
from slackbot.usecases import inbox, slack_posts
from slackbot.usecases.events import record_event
from storage.db import write_session
from storage.models import Case, ProcessedEvent

#: Slack retries for a few minutes at most; a day of ids is plenty.
PROCESSED_EVENT_TTL = timedelta(days=1)


class Outcome(StrEnum):
    """What became of a request."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    DENIED = "denied"
    REFUSED = "refused"
    IGNORED = "ignored"
    NEEDS_MEMBERS = "needs_members"
    #: A resolve asked for without its resolution note: the person was prompted for it.
    NEEDS_NOTE = "needs_note"


@dataclass(frozen=True)
class Result:
    """The outcome, and what the edge needs to act on it."""

    outcome: Outcome
    reason: str = ""
    case_id: int | None = None
    #: With NEEDS_MEMBERS: whose membership the edge must fetch before trying again.
    needs: Responders | None = None
    transition: Transition | None = None


class LostUpdate(Exception):
    """The case changed under us between read and write (never expected: rows are locked)."""


@dataclass(frozen=True)
class Actor:
    """Who asks, and the membership lists the edge fetched for them, by tier.

    `cached` answers from lists the edge already holds (no Slack call, safe inside a
    transaction), so a use case whose tier's list is fresh in the cache runs once instead of
    asking for it (NEEDS_MEMBERS), rolling back and running again.
    """

    user_id: str
    members: Mapping[int, frozenset[str]] = field(default_factory=dict)
    cached: Callable[[Responders], frozenset[str] | None] | None = field(
        default=None, compare=False, repr=False
    )

    def members_of(self, responders: Responders) -> frozenset[str] | None:
        """The tier's responders as fetched for this request, or fresh from the cache."""
        members = self.members.get(responders.tier)
        if members is None and self.cached is not None:
            members = self.cached(responders)
        return members

    @classmethod
    def trusted(cls, user_id: str, playbook: Playbook) -> Actor:
        """An actor the bot vouches for at every tier of the playbook (its own clocks)."""
        return cls(user_id, {tier.tier: frozenset({user_id}) for tier in playbook.tiers})


def claim_event(session: Session, event_id: str | None, now: datetime) -> bool:
    """Record `event_id` as processed; False if it already was (`slackbot.usecases.inbox`:
    one UPDATE of the event's recorded request, which also marks it handled)."""
    return inbox.claim_event(session, event_id, now)


def cas(session: Session, case: Case, values: dict[str, Any]) -> None:
    """Write `values` to the case only if nobody changed it since we read it; `case` is
    refreshed from the UPDATE's RETURNING (one statement, no SELECT after it)."""
    updated = session.scalars(
        update(Case)
        .where(Case.id == case.id, Case.version == case.version)
        .values(**values, version=case.version + 1)
        .returning(Case)
    ).first()
    if updated is None:
        raise LostUpdate(f"{case_key(case.id)} changed concurrently")
    if updated is not case:  # `case` was not this session's: take what was written
        session.refresh(case)


def check_actor(
    case: Case, playbook: Playbook, actor: Actor, tier: int
) -> tuple[Outcome, str, Responders | None]:
    """May `actor` act on the case at `tier`: APPLIED, DENIED (why), or NEEDS_MEMBERS (whose)."""
    responders = responders_for(playbook, tier, channel_id=case.channel_id)
    members = actor.members_of(responders)
    if members is None:
        return Outcome.NEEDS_MEMBERS, "", responders
    decision = authorise(actor.user_id, responders, members)
    if not decision.allowed:
        return Outcome.DENIED, decision.reason, None
    return Outcome.APPLIED, "", None


def deny(
    session: Session,
    case: Case,
    *,
    actor: str,
    via: Via,
    what: str,
    reason: str,
    now: datetime,
    reply_to: str | None,
) -> None:
    """Record a refused attempt and tell the person why (nothing else changes)."""
    record_event(
        session,
        case_id=case.id,
        kind=EventKind.DENIED,
        at=now,
        actor=actor,
        via=via,
        action=what,
        reason=reason,
    )
    slack_posts.post_ephemeral(
        session,
        user=actor,
        channel=reply_to or case.channel_id,
        now=now,
        text=case_blocks.build_denial(case.id, reason),
    )


def guard(
    session: Session,
    case: Case,
    playbook: Playbook,
    actor: Actor,
    *,
    tier: int,
    via: Via,
    what: str,
    now: datetime,
    reply_to: str | None,
    besides: tuple[str, ...] = (),
) -> Result | None:
    """None when `actor` may act at `tier`; else NEEDS_MEMBERS, or DENIED (recorded and told,
    in words that name who may: `besides` the tier's responders, e.g. "the opener")."""
    outcome, _why, needs = check_actor(case, playbook, actor, tier)
    if outcome is Outcome.NEEDS_MEMBERS:
        return Result(outcome, case_id=case.id, needs=needs)
    if outcome is Outcome.DENIED:
        responders = responders_for(playbook, tier, channel_id=case.channel_id)
        why = denial(responders, what=what, case=case_key(case.id), besides=besides)
        deny(
            session,
            case,
            actor=actor.user_id,
            via=via,
            what=what,
            reason=why,
            now=now,
            reply_to=reply_to,
        )
        return Result(Outcome.DENIED, why, case_id=case.id)
    return None


def guard_case(
    session: Session,
    case: Case,
    playbook: Playbook,
    actor: Actor,
    *,
    via: Via,
    what: str,
    now: datetime,
    reply_to: str | None,
) -> Result | None:
    """None when `actor` is the case's opener, its owner or a responder of its current tier;
    else as `guard` (NEEDS_MEMBERS, or DENIED, recorded and told)."""
    if actor.user_id in (case.opened_by, case.owner_id):
        return None
    return guard(
        session,
        case,
        playbook,
        actor,
        tier=case.tier,
        via=via,
        what=what,
        now=now,
        reply_to=reply_to,
        besides=("the opener", "the owner"),
    )


def prune_processed_events(
    services: Services, *, older_than: timedelta = PROCESSED_EVENT_TTL
) -> int:
    """Forget processed event ids older than a day (the scheduler calls this every tick)."""
    cutoff = services.clock.now() - older_than
    with write_session(services.engine) as session:
        result = session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < cutoff))
        return result.rowcount or 0
