"""Crash-proof Slack posts: a post whose answer never came (a timeout) is looked for before it
is made again, and the message already in Slack is adopted: one root message, one note."""

from __future__ import annotations

from datetime import timedelta

from slack_sdk import WebClient
from sqlmodel import Session, select

from slackbot.devtools.signed import view_submission
from slackbot.devtools.slack_api import Delay
from slackbot.outbound.slack import SlackPoster
from slackbot.scheduler import run_tick
from storage.models import Case, OutboxItem
from tests.support.flows import IDV_CHANNEL, open_idv_case, reaction
from tests.support.forms import idv_values


def _slow_answers(bot, fake_slack) -> None:
    """Answers after 1 s are too late for the bot's client: it times out, Slack has the post."""
    bot.services.poster = SlackPoster(
        WebClient(token="xoxb-test-token", base_url=fake_slack.url, timeout=1)
    )


def _settle(bot, clock, rounds: int = 3) -> None:
    """Let backoffs pass and the scheduler retry."""
    for _ in range(rounds):
        clock.advance(timedelta(minutes=2))
        run_tick(bot.services)


def _unfinished(bot) -> list[OutboxItem]:
    with Session(bot.services.engine) as session:
        return list(
            session.exec(
                select(OutboxItem).where(OutboxItem.state.in_(["pending", "in_flight"]))
            ).all()
        )


def test_a_root_post_that_timed_out_is_adopted_not_posted_again(bot, fake_slack, clock):
    _slow_answers(bot, fake_slack)
    fake_slack.delay(
        "chat.postMessage", Delay(1.5, match=lambda body: body.get("channel") == IDV_CHANNEL)
    )
    bot.sender.command("/escalate", "idv")
    view = fake_slack.wait_for("views.open")[0].body["view"]
    bot.sender.interactive(view_submission(view, idv_values()))
    fake_slack.wait_for("chat.postMessage")
    _settle(bot, clock)
    channel = fake_slack.channel_ids[IDV_CHANNEL]
    [root] = fake_slack.posts_in(channel)
    with Session(bot.services.engine) as session:
        case = session.exec(select(Case)).one()
    assert (case.channel_id, case.root_ts) == (channel, root["ts"])
    assert fake_slack.calls_to("conversations.history")
    assert fake_slack.posts_in(channel, thread_ts=root["ts"])  # the thread went on
    assert _unfinished(bot) == []


def test_a_thread_note_that_timed_out_is_adopted_not_posted_again(bot, fake_slack, clock):
    channel, root_ts = open_idv_case(bot.sender, fake_slack)
    _slow_answers(bot, fake_slack)
    fake_slack.delay("chat.postMessage", Delay(1.5, match=lambda body: body.get("thread_ts")))
    assert bot.sender.event(reaction("eyes", channel, root_ts)).status == 200
    fake_slack.wait_until(
        lambda c: c.method == "chat.postMessage" and "moved" in str(c.body.get("text")),
        "the move's note",
    )
    _settle(bot, clock)
    notes = [m for m in fake_slack.posts_in(channel, thread_ts=root_ts) if "moved" in m["text"]]
    assert len(notes) == 1
    assert fake_slack.calls_to("conversations.replies")
    assert _unfinished(bot) == []
