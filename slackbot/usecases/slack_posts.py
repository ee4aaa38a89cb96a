"""What the bot says in Slack, recorded by use cases and performed by the outbox.

Use cases never call Slack. They record what should be said (`post_root`, `refresh_root`,
`post_in_thread`, `post_ephemeral`, `post_to_channel`) inside their transaction; the performers
here render it from the case as it is at delivery time and hand it to the Slack adapter, and
the outbox retries them until Slack has it.

Every post carries its outbox key (`post_key`) in its metadata. When an earlier attempt may
have posted it (its lease ran out mid-way, or it timed out), the performer first looks for the
post and adopts it: a crash or a slow answer never leaves two root messages or two notes.
Ephemeral messages cannot be looked for; they are the one kind that may, rarely, come twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import inspect
from sqlmodel import Session

from slackbot.domain.clock import ensure_utc
from slackbot.domain.playbooks import Playbook
from slackbot.domain.vocabulary import OutboxKind
from slackbot.effects import NotInvited, PermanentFailure, RetryLater
from slackbot.render import blocks
from slackbot.usecases.outbox import enqueue, enqueue_unless_waiting, may_have_happened
from storage.db import write_session
from storage.models import Case, OutboxItem
from storage.repositories import get_case, record_message

if TYPE_CHECKING:
    from slackbot.services import Services

log = logging.getLogger(__name__)

WAIT_FOR_ROOT = timedelta(seconds=2)

Renderer = Callable[[Case, Playbook | None], tuple[str, list[dict[str, Any]]]]

#: Named renderers for messages whose content is built at delivery time, from the newest state.
RENDERERS: dict[str, Renderer] = {
    "case_details": lambda case, playbook: blocks.build_case_details(case, playbook),
}


# --- recording, for use cases ----------------------------------------------------------------


def post_root(
    session: Session, *, case_id: int, now: datetime, origin_channel: str | None = None
) -> None:
    """Queue the first posting of a case's root message (`origin_channel`: where its opener
    asked, to tell them there if the playbook's channel has not invited the bot)."""
    payload: dict[str, Any] = {"case_id": case_id, "post": True}
    if origin_channel:
        payload["origin_channel"] = origin_channel
    enqueue(
        session,
        kind=OutboxKind.SLACK_ROOT,
        case_id=case_id,
        payload=payload,
        now=now,
        dedup_key=f"root-post:{case_id}",
    )


def refresh_root(session: Session, *, case_id: int, now: datetime) -> None:
    """Queue an edit of the root message to show the case as it is when delivered.

    The message is rendered at delivery time, so one pending refresh covers any number of
    changes: another is queued only if none is waiting (one statement). The waiting one is
    locked until this transaction ends (PostgreSQL; SQLite's writers are serial already), so it
    cannot be claimed and rendered from the case as it was before this change commits.
    """
    enqueue_unless_waiting(
        session, kind=OutboxKind.SLACK_ROOT, case_id=case_id, payload={"case_id": case_id}, now=now
    )


def post_in_thread(
    session: Session,
    *,
    case_id: int,
    now: datetime,
    text: str = "",
    blocks_: list[dict[str, Any]] | None = None,
    render: str | None = None,
    dedup_key: str | None = None,
    not_before: datetime | None = None,
) -> OutboxItem:
    """Queue a reply in the case's thread: fixed text/blocks, or a named renderer.

    When the case is loaded in `session` with its root message known (a move), the thread's
    place goes into the payload, so a fixed reply is posted without reading the case again."""
    payload: dict[str, Any] = {"case_id": case_id, "text": text}
    if blocks_:
        payload["blocks"] = blocks_
    if render:
        payload["render"] = render
    thread = _loaded_thread(session, case_id)
    if thread is not None:
        payload["thread"] = thread
    return enqueue(
        session,
        kind=OutboxKind.SLACK_POST,
        case_id=case_id,
        payload=payload,
        now=now,
        dedup_key=dedup_key,
        not_before=not_before,
    )


def _loaded_thread(session: Session, case_id: int) -> list[str] | None:
    """[channel, root ts] of a case this session has loaded, without a query (None if it has
    not, or its root message is not posted yet). A root message never moves once posted."""
    case = session.identity_map.get(session.identity_key(Case, case_id))
    if case is None:
        return None
    loaded = inspect(case).dict
    channel, ts = loaded.get("channel_id"), loaded.get("root_ts")
    return [channel, ts] if channel and ts else None


def post_ephemeral(
    session: Session,
    *,
    user: str,
    channel: str | None,
    now: datetime,
    text: str = "",
    case_id: int | None = None,
    render: str | None = None,
    dedup_key: str | None = None,
    blocks_: list[dict[str, Any]] | None = None,
) -> OutboxItem:
    """Queue a message only `user` sees (in `channel`, else in their DM with the bot)."""
    payload: dict[str, Any] = {"user": user, "channel": channel, "text": text}
    if blocks_:
        payload["blocks"] = blocks_
    if case_id is not None:
        payload["case_id"] = case_id
    if render:
        payload["render"] = render
    return enqueue(
        session,
        kind=OutboxKind.SLACK_EPHEMERAL,
        case_id=case_id,
        payload=payload,
        now=now,
        dedup_key=dedup_key,
    )


def post_to_channel(
    session: Session, *, channel: str, text: str, now: datetime, dedup_key: str | None = None
) -> OutboxItem:
    """Queue a message to a channel that belongs to no case (e.g. the weekly numbers)."""
    return enqueue(
        session,
        kind=OutboxKind.SLACK_CHANNEL_POST,
        payload={"channel": channel, "text": text},
        now=now,
        dedup_key=dedup_key,
    )


# --- performing, for the outbox --------------------------------------------------------------


def post_key(item: OutboxItem) -> str:
    """What a post carries in its metadata: its outbox item's id and when it was queued."""
    return f"{item.id}@{int(ensure_utc(item.created_at).timestamp())}"


class SlackPosts:
    """Outbox performers for the Slack kinds: render from the newest state, then post."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def _case(self, case_id: int) -> tuple[Case, Playbook | None]:
        with Session(self.services.engine) as session:
            case = get_case(session, case_id=case_id)
        if case is None:
            raise PermanentFailure(f"case {case_id} does not exist")
        return case, self.services.playbooks.get(case.playbook_id)

    def perform_root(self, item: OutboxItem) -> dict[str, Any]:
        """Post the root message, or edit it in place once it exists."""
        case, playbook = self._case(item.payload["case_id"])
        text, body = blocks.build_root_message(case, playbook)
        poster = self.services.poster
        if case.root_ts is None:
            if not item.payload.get("post"):
                raise RetryLater("root message not posted yet", WAIT_FOR_ROOT, count=False)
            if playbook is None:
                raise PermanentFailure(f"playbook {case.playbook_id!r} no longer exists")
            try:
                posted = self._posted_before(item, playbook.channel) or poster.post(
                    playbook.channel, text=text, blocks=body, key=post_key(item)
                )
            except NotInvited as exc:
                self._ask_for_invite(case, item, exc.channel)
                raise
            return {**posted, "posted": True}
        poster.update(channel=case.channel_id, ts=case.root_ts, text=text, blocks=body)
        return {"channel": case.channel_id, "ts": case.root_ts, "posted": False}

    def _ask_for_invite(self, case: Case, item: OutboxItem, channel: str) -> None:
        """Tell the opener, once, that the case waits for the bot's invitation to `channel`."""
        text = blocks.build_invite_needed(case, channel, self.services.poster.bot_name())
        with write_session(self.services.engine) as session:
            post_ephemeral(
                session,
                user=case.opened_by,
                channel=item.payload.get("origin_channel"),
                now=self.services.clock.now(),
                text=text,
                dedup_key=f"invite-needed:{case.id}",
            )
        self.services.outbox.kick()

    def _posted_before(
        self, item: OutboxItem, channel: str, thread_ts: str | None = None
    ) -> dict[str, Any] | None:
        """The post an earlier attempt at `item` left in Slack, if it may have left one."""
        if not may_have_happened(item):
            return None
        found = self.services.poster.find_post(channel, post_key(item), thread_ts=thread_ts)
        if found is not None:
            log.info("outbox item %s: adopting the message an earlier attempt posted", item.id)
            return {**found, "adopted": True}
        return None

    def root_done(self, session: Session, item: OutboxItem, result: dict[str, Any]) -> None:
        """Remember where the root message lives so reactions and replies find the case."""
        if not result.get("posted"):
            return
        case = get_case(session, case_id=item.payload["case_id"])
        if case.root_ts is None:
            case.channel_id, case.root_ts = result["channel"], result["ts"]
            session.add(case)
        record_message(
            session,
            case_id=case.id,
            channel_id=result["channel"],
            ts=result["ts"],
            kind="root",
            now=self.services.clock.now(),
        )

    def _render(self, item: OutboxItem, case: Case | None, playbook: Playbook | None):
        name = item.payload.get("render")
        if name is None:
            return item.payload.get("text") or "", item.payload.get("blocks")
        renderer = RENDERERS.get(name)
        if renderer is None:
            raise PermanentFailure(f"no renderer named {name!r}")
        return renderer(case, playbook)

    def perform_post(self, item: OutboxItem) -> dict[str, Any]:
        """Reply in the case's thread (waits until the root message exists). A fixed reply
        whose payload says where the thread is reads nothing (`post_in_thread`)."""
        thread = item.payload.get("thread")
        case = playbook = None
        if thread is None or item.payload.get("render") is not None:
            case, playbook = self._case(item.payload["case_id"])
            if case.root_ts is None:
                raise RetryLater("waiting for the root message", WAIT_FOR_ROOT, count=False)
            thread = [case.channel_id, case.root_ts]
        channel, root_ts = thread
        found = self._posted_before(item, channel, root_ts)
        if found is not None:
            return found
        text, body = self._render(item, case, playbook)
        return self.services.poster.reply(channel, root_ts, text, body, key=post_key(item))

    def post_done(self, session: Session, item: OutboxItem, result: dict[str, Any]) -> None:
        """Thread replies belong to the case too: reactions on them move it."""
        record_message(
            session,
            case_id=item.payload["case_id"],
            channel_id=result["channel"],
            ts=result["ts"],
            kind="bot",
            now=self.services.clock.now(),
        )

    def perform_ephemeral(self, item: OutboxItem) -> dict[str, Any]:
        """Tell one person something; fall back to a DM where an ephemeral can't reach them."""
        payload = item.payload
        case = playbook = None
        if payload.get("case_id") is not None and payload.get("render") is not None:
            case, playbook = self._case(payload["case_id"])  # fixed text needs no case
        if payload.get("render") == "opened_confirmation":
            if case.root_ts is None:
                raise RetryLater("waiting for the root message", WAIT_FOR_ROOT, count=False)
            permalink = self.services.poster.permalink(case.channel_id, case.root_ts)
            text, body = blocks.build_opened_confirmation(case, permalink), None
        else:
            text, body = self._render(item, case, playbook)
        via = self.services.poster.tell(
            user=payload["user"], channel=payload.get("channel"), text=text, blocks=body
        )
        return {"via": via}

    def perform_channel_post(self, item: OutboxItem) -> dict[str, Any]:
        """Post a message to a channel, outside any case thread."""
        payload = item.payload
        found = self._posted_before(item, payload["channel"])
        if found is not None:
            return found
        extra = {"blocks": payload["blocks"]} if payload.get("blocks") else {}
        return self.services.poster.post(
            payload["channel"], text=payload["text"], key=post_key(item), **extra
        )


def permalink(services: Services, case: Case) -> str | None:
    """A link to the case's root message (None if Slack won't say)."""
    return services.poster.permalink(case.channel_id, case.root_ts)
