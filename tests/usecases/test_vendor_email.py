"""The draft flow's use cases on a real database and the fake Slack, with a fixed clock: what
happens when Send is pressed while the preview itself is still being posted."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from slackbot.config import load_settings
from slackbot.domain.clock import ensure_utc
from slackbot.domain.vocabulary import DraftState, OutboxKind, OutboxState
from slackbot.usecases.move_case import Actor, Outcome
from slackbot.usecases.vendor_email import preview_key, send_draft
from slackbot.wiring import build_services
from storage.models import EmailDraft, OutboxItem
from tests.support.env import base_env
from tests.support.fast_vendor import FAST, open_fast_case

AGENT = "U0AGENT01"


@pytest.fixture
def services(database, fake_slack, clock, tmp_path):
    path = tmp_path / "playbooks.toml"
    path.write_text(FAST, encoding="utf-8")
    url, engine = database
    env = base_env(fake_slack, url, ESCALATION_PLAYBOOKS=str(path))
    return build_services(load_settings(env, dotenv=False), clock=clock, engine=engine)


def _set_state(services, dedup_key: str, state: OutboxState) -> None:
    with Session(services.engine) as session:
        item = session.exec(select(OutboxItem).where(OutboxItem.dedup_key == dedup_key)).one()
        item.state = state.value
        session.add(item)
        session.commit()


def _edits(services) -> list[OutboxItem]:
    with Session(services.engine) as session:
        return list(
            session.exec(
                select(OutboxItem).where(OutboxItem.kind == OutboxKind.EMAIL_PREVIEW.value)
            ).all()
        )


def _preview_edits_in_slack(fake_slack, ts: str) -> list:
    return [c for c in fake_slack.calls_to("chat.update") if c.body.get("ts") == ts]


def test_an_edit_of_a_preview_still_being_posted_waits_without_sleeping_or_counting(
    services, fake_slack, clock
):
    case_id = open_fast_case(services, user=AGENT)
    services.outbox.deliver_due()  # root message, the draft, its preview
    with Session(services.engine) as session:
        draft = session.exec(select(EmailDraft).where(EmailDraft.case_id == case_id)).one()
        key = preview_key(draft.id)
        ts = session.exec(select(OutboxItem).where(OutboxItem.dedup_key == key)).one().result["ts"]
    # Another worker is posting the preview right now: its ts is not recorded yet.
    _set_state(services, key, OutboxState.IN_FLIGHT)

    result = send_draft(services, draft_id=draft.id, actor=Actor(AGENT), channel=None, kick=False)
    assert result.outcome is Outcome.APPLIED  # no SMTP here: handed off by hand
    services.outbox.deliver_due()
    [edit] = _edits(services)
    assert (edit.state, edit.attempts) == (OutboxState.PENDING, 0)  # waiting is no failure
    # Due again at once: the fixed clock never moved, and nothing slept.
    assert ensure_utc(edit.next_attempt_at) <= clock.now()
    assert _preview_edits_in_slack(fake_slack, ts) == []

    _set_state(services, key, OutboxState.DONE)  # the other worker recorded the ts
    services.outbox.deliver_due()
    [edit] = _edits(services)
    assert (edit.state, edit.attempts) == (OutboxState.DONE, 1)
    [update] = _preview_edits_in_slack(fake_slack, ts)
    assert "by hand" in json.dumps(update.body)
    with Session(services.engine) as session:
        assert session.get(EmailDraft, draft.id).state == DraftState.MANUAL
