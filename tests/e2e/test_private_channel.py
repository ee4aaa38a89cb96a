"""A playbook whose channel is private and has not invited the bot: the case is kept, its opener
is told (ephemerally, where they asked) to `/invite` the bot, and the thread is posted once
someone does; the channel is posted to by id, never joined (Slack refuses that for private
channels)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from slackbot.devtools.signed import view_submission
from slackbot.domain.vocabulary import OutboxKind, OutboxState
from storage.models import Case, OutboxItem
from tests.support.forms import idv_values

CHANNEL = "#escalations-idv"


def test_a_private_channel_without_the_bot_keeps_the_case_and_asks_the_opener_to_invite_it(
    bot, fake_slack, clock
):
    channel = fake_slack.add_channel(CHANNEL, private=True)
    bot.sender.command("/escalate", "idv", channel="C0SUPPORT1")
    view = fake_slack.wait_for("views.open")[0].body["view"]
    assert bot.sender.interactive(view_submission(view, idv_values())).status == 200

    told = fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and "/invite @" in str(c.body.get("text")),
        "the opener told to invite the bot",
    )[0]
    assert told.body["user"] == "U0AGENT01"
    assert told.body["channel"] == "C0SUPPORT1"
    assert "ESC-1" in told.body["text"] and CHANNEL in told.body["text"]
    assert fake_slack.posts_in(channel) == []
    assert fake_slack.calls_to("conversations.join") == []  # a private channel is not joined
    with Session(bot.services.engine) as session:
        case = session.exec(select(Case)).one()
        assert case.root_ts is None
        waiting = session.exec(
            select(OutboxItem).where(OutboxItem.kind == OutboxKind.SLACK_ROOT)
        ).one()
        assert waiting.state in (OutboxState.PENDING, OutboxState.IN_FLIGHT)  # not given up

    # Still not invited a minute later: tried again, nothing posted, the opener not told twice.
    clock.advance(timedelta(minutes=1, seconds=1))
    bot.services.outbox.deliver_due()
    assert fake_slack.posts_in(channel) == []
    invites = [c for c in fake_slack.calls_to("chat.postEphemeral") if "/invite" in c.body["text"]]
    assert len(invites) == 1

    fake_slack.invite(CHANNEL)
    clock.advance(timedelta(minutes=1, seconds=1))
    bot.services.outbox.deliver_due()
    [root] = fake_slack.wait_until(
        lambda c: (
            c.method == "chat.postMessage" and c.error is None and not c.body.get("thread_ts")
        ),
        "the root message, once invited",
    )
    assert root.body["channel"] == channel  # by id, resolved from conversations.list
    fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and "Opened" in str(c.body.get("text")),
        "the opener's confirmation",
    )
    with Session(bot.services.engine) as session:
        case = session.exec(select(Case)).one()
        assert case.channel_id == channel and case.root_ts is not None
