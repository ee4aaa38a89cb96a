"""Flows through a running bot, whatever carries them (signed HTTP or Socket Mode envelopes),
for tests of whole processes: open a case, react to its root message, read what was stored."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from slackbot.devtools.signed import view_submission
from slackbot.devtools.slack_api import FakeSlack
from storage.models import Case, CaseEvent
from tests.support.forms import idv_values

AGENT = "U0AGENT01"
DANA = "U0DANA001"
IDV_CHANNEL = "#escalations-idv"


def open_idv_case(sender: Any, fake_slack: FakeSlack, timeout: float = 30.0) -> tuple[str, str]:
    """Open an idv case; (channel id, root ts) of its root message, once the bot knows it (the
    opener's confirmation waits for that)."""
    before = len(fake_slack.calls_to("views.open"))
    confirmations = len(fake_slack.calls_to("chat.postEphemeral"))
    sender.command("/escalate", "idv")
    view = fake_slack.wait_for("views.open", before + 1, timeout)[-1].body["view"]
    sender.interactive(view_submission(view, idv_values()))
    fake_slack.wait_until(
        lambda c: (
            c.method == "chat.postMessage"
            and c.body.get("channel") == IDV_CHANNEL
            and not c.body.get("thread_ts")
        ),
        "the root message",
        timeout,
    )
    fake_slack.wait_for("chat.postEphemeral", confirmations + 1, timeout)
    channel = fake_slack.channel_ids[IDV_CHANNEL]
    fake_slack.channel_members[channel] = [AGENT, DANA]
    return channel, fake_slack.posts_in(channel)[0]["ts"]


def reaction(name: str, channel: str, ts: str, user: str = DANA) -> dict[str, Any]:
    """A reaction_added event on a message."""
    return {
        "type": "reaction_added",
        "user": user,
        "reaction": name,
        "item_user": "UBOT0001",
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": "1700000100.000100",
    }


def stored_cases(engine) -> list[tuple[Case, list[CaseEvent]]]:
    """Every case with its events, oldest first."""
    with Session(engine) as session:
        cases = session.exec(select(Case).order_by(Case.id)).all()
        return [
            (
                case,
                list(
                    session.exec(
                        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
                    ).all()
                ),
            )
            for case in cases
        ]
