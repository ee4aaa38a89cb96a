"""Any message → case (issue 13): the message shortcut *Escalate this message* and an intake
reaction (🎫 in the channels a playbook lists) open the intake form prefilled with the message;
the case links the message and the message gets a reply pointing to the case.

A reaction carries no trigger_id, so it cannot open a form: it gets a prompt, only the reactor
sees, with a button that does. Reading the message and its link are reads; every post goes
through the outbox.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from slackbot.domain.intake_sources import (
    MessageSource,
    carried,
    intake_channel_ids,
    prefill_from_message,
)
from slackbot.domain.playbooks import Playbook
from slackbot.domain.vocabulary import OutboxKind
from slackbot.effects import PermanentFailure, RetryLater
from slackbot.render import blocks
from slackbot.render.intake_sources import (
    build_already_escalated,
    build_escalate_offer,
    build_source_reply,
)
from slackbot.usecases import slack_posts
from slackbot.usecases.outbox import enqueue, may_have_happened
from storage.db import write_session
from storage.models import Case, OutboxItem
from storage.repositories import case_for_source, get_case

if TYPE_CHECKING:
    from slackbot.services import Services

log = logging.getLogger(__name__)


def read_message(services: Services, channel: str, ts: str) -> dict[str, Any] | None:
    """The message at (channel, ts), top-level or in a thread; None if Slack won't show it."""
    try:
        history = services.slack.conversations_history(
            channel=channel, latest=ts, oldest=ts, inclusive=True, limit=1
        )
        found = next((m for m in history.get("messages") or [] if m.get("ts") == ts), None)
        if found is not None:
            return found
        replies = services.slack.conversations_replies(channel=channel, ts=ts, limit=50)
        return next((m for m in replies.get("messages") or [] if m.get("ts") == ts), None)
    except SlackApiError as exc:
        log.warning("could not read a message to escalate: %s", exc.response.get("error"))
        return None


def source_of(services: Services, channel: str, message: dict[str, Any]) -> MessageSource:
    """Where a message is and a link to it (for the form and the case)."""
    ts = str(message.get("ts") or "")
    thread = message.get("thread_ts")
    return MessageSource(channel, ts, thread, services.poster.permalink(channel, ts))


def case_made_from(services: Services, source: MessageSource) -> Case | None:
    """The case already made from this message, if any (one message, one case)."""
    with Session(services.engine) as session:
        return case_for_source(session, channel_id=source.channel, ts=source.ts)


def intake_playbook(
    services: Services, channel: str, *, reaction: str | None = None
) -> Playbook | None:
    """The playbook that lists `channel` as one of its intake channels (the first one); with
    `reaction`, only among playbooks whose intake emoji it is (checked before any channel
    name is looked up, so other reactions cost nothing)."""
    for playbook in services.playbooks:
        if not playbook.intake_channels:
            continue
        if reaction is not None and reaction != playbook.intake_reaction:
            continue
        if channel in intake_channel_ids(playbook, services.poster.channel_id):
            return playbook
    return None


def offer_from_reaction(
    services: Services, *, user: str, channel: str, ts: str, reaction: str, event_id: str | None
) -> bool:
    """An intake reaction in an intake channel: prompt the reactor (a button opens the form),
    or say which case the message already is. False when the reaction is no intake reaction."""
    playbook = intake_playbook(services, channel, reaction=reaction)
    if playbook is None:
        return False
    source = MessageSource(channel, ts)
    existing = case_made_from(services, source)
    now = services.clock.now()
    with write_session(services.engine) as session:
        if existing is not None:
            link = slack_posts.permalink(services, existing)
            slack_posts.post_ephemeral(
                session,
                user=user,
                channel=channel,
                now=now,
                text=build_already_escalated(existing, link),
                dedup_key=f"intake-offer:{event_id}" if event_id else None,
            )
        else:
            text, blocks = build_escalate_offer(source, playbook)
            item = slack_posts.post_ephemeral(
                session,
                user=user,
                channel=channel,
                now=now,
                text=text,
                dedup_key=f"intake-offer:{event_id}" if event_id else None,
            )
            item.payload = {**item.payload, "blocks": blocks}
            session.add(item)
    services.outbox.kick()
    return True


def reply_under_source(session: Session, *, case: Case, source: MessageSource, now) -> None:
    """Queue the reply under the original message that points to its new case."""
    enqueue(
        session,
        kind=OutboxKind.SLACK_SOURCE_REPLY,
        case_id=case.id,
        payload={"case_id": case.id, "channel": source.channel, "thread_ts": source.reply_thread},
        now=now,
        dedup_key=f"source-reply:{case.id}",
    )


class SourceReplies:
    """The outbox performer of `SLACK_SOURCE_REPLY` (waits for the case's root message)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def perform(self, item: OutboxItem) -> dict[str, Any]:
        """Reply under the original message with a link to the case's thread."""
        payload = item.payload
        with Session(self.services.engine) as session:
            case = get_case(session, case_id=payload["case_id"])
        if case is None:
            raise PermanentFailure("the case is gone")
        if case.root_ts is None:
            raise RetryLater("waiting for the root message", slack_posts.WAIT_FOR_ROOT, count=False)
        poster = self.services.poster
        key = slack_posts.post_key(item)
        if may_have_happened(item):
            found = poster.find_post(payload["channel"], key, thread_ts=payload["thread_ts"])
            if found is not None:
                return {**found, "adopted": True}
        text = build_source_reply(case, poster.permalink(case.channel_id, case.root_ts))
        return poster.post(payload["channel"], key=key, text=text, thread_ts=payload["thread_ts"])


def form_for_message(
    services: Services,
    *,
    channel: str,
    message: dict[str, Any],
    origin_channel: str,
    playbook: Playbook | None = None,
) -> dict[str, Any] | str:
    """The intake form (or the playbook picker first) prefilled from `message`; or, when the
    message already is a case, what to tell the person."""
    source = source_of(services, channel, message)
    existing = case_made_from(services, source)
    if existing is not None:
        return build_already_escalated(existing, slack_posts.permalink(services, existing))
    playbook = playbook or intake_playbook(services, channel)
    if playbook is None and len(services.playbooks) == 1:
        playbook = next(iter(services.playbooks))
    text = str(message.get("text") or "")
    if playbook is None:
        return blocks.build_playbook_picker(
            services.playbooks,
            origin_channel=origin_channel,
            extra={"source": source.as_metadata(), "text": carried(text)},
        )
    return blocks.build_intake_modal(
        playbook,
        origin_channel=origin_channel,
        prefill=prefill_from_message(playbook, text),
        source=source,
    )
