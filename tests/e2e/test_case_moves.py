"""Working a case through the signed HTTP endpoint against the recording fake Slack: reactions,
undo, retries and duplicates, concurrency, authorisation, tiers, buttons, updates and replies."""

from __future__ import annotations

import queue
import threading
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from commands import move as move_command
from commands import ticket as ticket_command
from slackbot.devtools.signed import block_actions, view_submission
from slackbot.devtools.slack_api import Failure
from slackbot.listeners.actions import case_buttons
from slackbot.listeners.events import messages, reactions
from slackbot.listeners.views import add_update as add_update_view
from slackbot.listeners.views import vendor_modals
from slackbot.usecases.case_change import Outcome, claim_event, prune_processed_events
from storage.db import write_session
from storage.models import Case, CaseEvent, InboxRequest, OutboxItem, ProcessedEvent
from tests.support.closing import note_form, note_values
from tests.support.forms import idv_values

AGENT = "U0AGENT01"
DANA = "U0DANA001"
STRANGER = "U0STRANGE1"
TIER2 = "U0TIER2001"


@pytest.fixture
def outcomes(monkeypatch):
    """Every use-case result the listeners produce, in order (NEEDS_MEMBERS rounds left out)."""
    results: queue.Queue = queue.Queue()
    listeners = (
        reactions,
        messages,
        case_buttons,
        add_update_view,
        vendor_modals,
        move_command,
        ticket_command,
    )
    for module in listeners:
        for name in ("move_case", "undo_reaction", "add_update", "record_reply"):
            if not hasattr(module, name):
                continue
            original = getattr(module, name)

            def wrapper(*args, _original=original, _name=name, **kwargs):
                result = _original(*args, **kwargs)
                if result.outcome is not Outcome.NEEDS_MEMBERS:
                    results.put((_name, result))
                return result

            monkeypatch.setattr(module, name, wrapper)

    def next_result(timeout: float = 5.0):
        return results.get(timeout=timeout)[1]

    next_result.queue = results
    return next_result


@pytest.fixture
def case(bot, fake_slack):
    """A case opened with /escalate, its root message posted; returns (case id, channel, root ts)."""
    bot.sender.command("/escalate", "idv")
    view = fake_slack.wait_for("views.open")[0].body["view"]
    bot.sender.interactive(view_submission(view, idv_values()))
    root = fake_slack.wait_for("chat.postMessage", 2)[0]
    channel = fake_slack.channel_ids["#escalations-idv"]
    fake_slack.channel_members[channel] = [AGENT, DANA]
    fake_slack.usergroups["S0TIER20001"] = [TIER2]
    with Session(bot.services.engine) as session:
        stored = session.exec(select(Case)).one()
        assert stored.root_ts is not None
    fake_slack.wait_for("chat.postEphemeral")  # the opener's confirmation
    fake_slack.wait_for_post("Hand-off email")  # the hand-off preview: the thread is done
    fake_slack.reset()
    assert root.body["channel"] == "#escalations-idv"
    return stored.id, channel, stored.root_ts


def reaction(kind: str, name: str, channel: str, ts: str, user: str = DANA) -> dict:
    return {
        "type": kind,
        "user": user,
        "reaction": name,
        "item_user": "UBOT0001",
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": "1700000100.000100",
    }


def load(bot, case_id: int) -> tuple[Case, list[CaseEvent]]:
    with Session(bot.services.engine) as session:
        stored = session.get(Case, case_id)
        events = session.exec(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        ).all()
        return stored, list(events)


def moves(events: list[CaseEvent]) -> list[tuple[str, str | None, str | None, str]]:
    return [
        (e.kind, e.from_status, e.to_status, e.via)
        for e in events
        if e.kind in ("status_changed", "undo")
    ]


def test_done_when_eyes_hourglass_check_resolve_and_redelivery_changes_nothing(
    bot, fake_slack, case, outcomes
):
    case_id, channel, root_ts = case
    sent = []
    for index, name in enumerate(("eyes", "hourglass_flowing_sand", "white_check_mark")):
        event_id = f"EvDONE{index}"
        response = bot.sender.event(
            reaction("reaction_added", name, channel, root_ts), event_id=event_id
        )
        assert response.status == 200
        # ✅ resolves only with its note (issue 13): the reactor gets the form's button.
        expected = Outcome.NEEDS_NOTE if name == "white_check_mark" else Outcome.APPLIED
        assert outcomes().outcome is expected
        sent.append((name, event_id))
    prompt = fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and "case_write_resolution" in str(c.body),
        "the resolution note prompt",
    )[-1]
    assert prompt.body["user"] == DANA
    write = block_actions("case_write_resolution", str(case_id), user=DANA, channel=channel)
    assert bot.sender.interactive(write).status == 200
    submitted = view_submission(note_form(fake_slack), note_values(), user=DANA)
    assert bot.sender.interactive(submitted).status == 200
    fake_slack.wait_until(
        lambda c: c.method == "chat.update" and "[resolved]" in str(c.body.get("text")),
        "the root message showing the resolve",
    )
    fake_slack.wait_until(  # the opener's one "how did it go" question, in their DM
        lambda c: (
            c.method == "chat.postMessage"
            and c.body.get("channel") == AGENT
            and "How did it go?" in str(c.body.get("text"))
        ),
        "the opener's rating question",
    )
    fake_slack.wait_until(  # and the opener's DM that it closed
        lambda c: (
            c.method == "chat.postMessage"
            and c.body.get("channel") == AGENT
            and "is closed (resolved)" in str(c.body.get("text"))
        ),
        "the opener's DM that the case closed",
    )
    note = fake_slack.wait_for_post(f":white_check_mark: <@{DANA}> resolved ESC-{case_id}")[-1]
    assert note.body["thread_ts"] == root_ts
    assert "The vendor reset the check" in str(note.body["blocks"])

    stored, events = load(bot, case_id)
    assert stored.status == "resolved"
    assert stored.owner_id == DANA
    assert stored.closed_at is not None
    assert moves(events) == [
        ("status_changed", "open", "acknowledged", "reaction"),
        ("status_changed", "acknowledged", "with_vendor", "reaction"),
        ("status_changed", "with_vendor", "resolved", "modal"),
    ]
    assert all(e.actor == DANA for e in events if e.kind == "status_changed")
    updates = fake_slack.calls_to("chat.update")
    assert updates and updates[-1].body["ts"] == root_ts
    assert "[resolved]" in updates[-1].body["text"]
    notes = [c.body["text"] for c in fake_slack.calls_to("chat.postMessage")]
    assert f"<@{DANA}> moved ESC-{case_id} to waiting on vendor :hourglass_flowing_sand:" in notes
    # Every post is in the thread but the opener's DMs (issue 13): one per move, none to Dana,
    # and one rating question once it closed.
    posts = fake_slack.calls_to("chat.postMessage")
    dms = [c.body["text"] for c in posts if c.body["channel"] == AGENT]
    ratings = [text for text in dms if "How did it go?" in text]
    moved = [text for text in dms if "How did it go?" not in text]
    assert len(ratings) == 1 and f"ESC-{case_id}" in ratings[0]
    assert len(moved) == 3 and "is closed (resolved)" in moved[-1]
    assert all("notify off" in text for text in moved)
    assert all(c.body.get("thread_ts") == root_ts for c in posts if c.body["channel"] != AGENT)

    version = stored.version
    calls_before = len(fake_slack.calls)
    for name, event_id in sent:
        bot.sender.event(reaction("reaction_added", name, channel, root_ts), event_id=event_id)
        assert outcomes().outcome is Outcome.DUPLICATE
    again, events_again = load(bot, case_id)
    assert (again.status, again.version) == ("resolved", version)
    assert len(events_again) == len(events)
    assert len(fake_slack.calls) == calls_before, fake_slack.calls[calls_before:]


@pytest.mark.parametrize("retry_num", [1, None])
def test_retries_and_duplicate_event_ids_apply_once(bot, fake_slack, case, outcomes, retry_num):
    case_id, channel, root_ts = case
    event = reaction("reaction_added", "eyes", channel, root_ts)
    assert bot.sender.event(event, event_id="EvSAME").status == 200
    assert outcomes().outcome is Outcome.APPLIED
    response = bot.sender.event(event, event_id="EvSAME", retry_num=retry_num)
    assert response.status == 200
    assert outcomes().outcome is Outcome.DUPLICATE
    stored, events = load(bot, case_id)
    assert stored.version == 2
    assert len(moves(events)) == 1
    with Session(bot.services.engine) as session:  # the claim is the request's done mark
        claimed = session.get(InboxRequest, "EvSAME")
        assert claimed.applied_at is not None and claimed.state == "done"
        assert session.get(ProcessedEvent, "EvSAME") is None


def test_two_people_reacting_at_once_leave_one_consistent_result(bot, fake_slack, case, outcomes):
    case_id, channel, root_ts = case
    fake_slack.channel_members[channel] = [AGENT, DANA, "U0SAM0001"]
    barrier = threading.Barrier(2)

    def react(user: str, event_id: str) -> None:
        barrier.wait()
        bot.sender.event(
            reaction("reaction_added", "eyes", channel, root_ts, user), event_id=event_id
        )

    threads = [
        threading.Thread(target=react, args=(DANA, "EvRACE1")),
        threading.Thread(target=react, args=("U0SAM0001", "EvRACE2")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results = sorted([outcomes().outcome, outcomes().outcome])
    assert results == sorted([Outcome.APPLIED, Outcome.REFUSED])
    stored, events = load(bot, case_id)
    changes = [e for e in events if e.kind == "status_changed"]
    assert len(changes) == 1
    assert stored.owner_id == changes[0].actor
    assert stored.version == 2
    loser = {DANA, "U0SAM0001"} - {stored.owner_id}
    refusal = fake_slack.wait_for("chat.postEphemeral")[0]
    assert refusal.body["user"] in loser
    assert "already acknowledged" in refusal.body["text"]


def test_concurrent_different_moves_chain_consistently(bot, fake_slack, case, outcomes):
    case_id, channel, root_ts = case
    barrier = threading.Barrier(3)

    def react(name: str, event_id: str) -> None:
        barrier.wait()
        bot.sender.event(reaction("reaction_added", name, channel, root_ts), event_id=event_id)

    names = ("eyes", "hourglass_flowing_sand", "white_check_mark")
    threads = [threading.Thread(target=react, args=(n, f"EvC{i}")) for i, n in enumerate(names)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results = [outcomes().outcome for _ in names]
    stored, events = load(bot, case_id)
    changes = [e for e in events if e.kind == "status_changed"]
    assert len(changes) == results.count(Outcome.APPLIED) >= 1
    chain = ["open"] + [e.to_status for e in changes]
    assert [e.from_status for e in changes] == chain[:-1]
    assert stored.status == chain[-1]
    assert stored.version == 1 + len(changes)


def test_an_unauthorised_reactor_is_told_and_recorded_and_nothing_changes(
    bot, fake_slack, case, outcomes
):
    case_id, channel, root_ts = case
    bot.sender.event(reaction("reaction_added", "white_check_mark", channel, root_ts, STRANGER))
    result = outcomes()
    assert result.outcome is Outcome.DENIED
    stored, events = load(bot, case_id)
    assert stored.status == "open" and stored.version == 1
    denied = [e for e in events if e.kind == "denied"]
    assert len(denied) == 1 and denied[0].actor == STRANGER
    assert denied[0].detail["action"] == "resolve"
    ephemeral = fake_slack.wait_for("chat.postEphemeral")[0]
    assert ephemeral.body["user"] == STRANGER
    assert "Nothing changed" in ephemeral.body["text"]
    assert fake_slack.calls_to("chat.update") == []


def test_removing_the_reaction_behind_the_latest_change_undoes_it(bot, fake_slack, case, outcomes):
    case_id, channel, root_ts = case
    bot.sender.event(reaction("reaction_added", "eyes", channel, root_ts))
    assert outcomes().outcome is Outcome.APPLIED
    bot.sender.event(reaction("reaction_added", "hourglass_flowing_sand", channel, root_ts))
    assert outcomes().outcome is Outcome.APPLIED

    # Not the latest change: removing eyes now means nothing.
    bot.sender.event(reaction("reaction_removed", "eyes", channel, root_ts))
    assert outcomes().outcome is Outcome.IGNORED

    bot.sender.event(
        reaction("reaction_removed", "hourglass_flowing_sand", channel, root_ts), event_id="EvUNDO"
    )
    assert outcomes().outcome is Outcome.APPLIED
    stored, events = load(bot, case_id)
    assert (stored.status, stored.owner_id, stored.handed_off_at) == ("acknowledged", DANA, None)
    assert moves(events)[-1] == ("undo", "with_vendor", "acknowledged", "reaction")
    assert "undid the move" in fake_slack.calls_to("chat.postMessage")[-1].body["text"]
    assert "[acknowledged]" in fake_slack.calls_to("chat.update")[-1].body["text"]

    # The undo is the latest change now; redelivering the removal changes nothing.
    bot.sender.event(
        reaction("reaction_removed", "hourglass_flowing_sand", channel, root_ts), event_id="EvUNDO"
    )
    assert outcomes().outcome in (Outcome.DUPLICATE, Outcome.IGNORED)
    assert load(bot, case_id)[0].version == stored.version


def test_escalating_pings_the_next_tier_and_changes_who_may_act(bot, fake_slack, case, outcomes):
    case_id, channel, root_ts = case
    bot.sender.event(reaction("reaction_added", "eyes", channel, root_ts))
    assert outcomes().outcome is Outcome.APPLIED
    bot.sender.event(reaction("reaction_added", "arrow_up", channel, root_ts))
    assert outcomes().outcome is Outcome.APPLIED
    stored, _ = load(bot, case_id)
    assert (stored.status, stored.tier, stored.owner_id) == ("escalated", 2, None)
    handoff = [c.body["text"] for c in fake_slack.calls_to("chat.postMessage")]
    assert any(text.startswith("<!subteam^S0TIER20001>") for text in handoff)

    # Tier 1 (the channel) may no longer act; the tier 2 group may.
    bot.sender.event(reaction("reaction_added", "eyes", channel, root_ts, AGENT))
    assert outcomes().outcome is Outcome.DENIED
    bot.sender.event(reaction("reaction_added", "eyes", channel, root_ts, TIER2))
    assert outcomes().outcome is Outcome.APPLIED
    stored, _ = load(bot, case_id)
    assert (stored.status, stored.owner_id) == ("acknowledged", TIER2)
    listed = [c.body.get("usergroup") for c in fake_slack.calls_to("usergroups.users.list")]
    assert "S0TIER20001" in listed


def test_reactions_on_thread_replies_move_the_case_and_strangers_messages_do_not(
    bot, fake_slack, case, outcomes
):
    case_id, channel, root_ts = case
    reply = {
        "type": "message",
        "channel": channel,
        "user": AGENT,
        "text": "Vendor says <!channel> they are on it",
        "ts": "1700000200.000001",
        "thread_ts": root_ts,
    }
    bot.sender.event(reply)
    assert outcomes().outcome is Outcome.APPLIED
    bot.sender.event(reaction("reaction_added", "eyes", channel, "1700000200.000001"))
    assert outcomes().outcome is Outcome.APPLIED
    stored, events = load(bot, case_id)
    assert stored.status == "acknowledged"
    replies = [e for e in events if e.kind == "reply"]
    assert len(replies) == 1 and replies[0].actor == AGENT
    assert replies[0].detail["text"].startswith("Vendor says")


def test_bot_messages_edits_and_other_threads_are_not_replies(bot, fake_slack, case, outcomes):
    case_id, channel, root_ts = case
    base = {"type": "message", "channel": channel, "ts": "1700000300.000001"}
    bot.sender.event({**base, "bot_id": "B0OTHER", "text": "beep", "thread_ts": root_ts})
    bot.sender.event({**base, "subtype": "message_changed", "thread_ts": root_ts, "user": AGENT})
    bot.sender.event({**base, "user": AGENT, "text": "hi", "thread_ts": "1699999999.000001"})
    assert outcomes().outcome is Outcome.IGNORED  # only the last one reaches the use case
    with pytest.raises(queue.Empty):
        outcomes(timeout=0.3)
    _, events = load(bot, case_id)
    assert [e.kind for e in events] == ["opened", "email_drafted"]


def test_buttons_do_what_reactions_do(bot, fake_slack, case, outcomes):
    case_id, channel, root_ts = case
    payload = block_actions(
        "case_resolve", str(case_id), user=DANA, channel=channel, message_ts=root_ts
    )
    assert bot.sender.interactive(payload).status == 200
    # Resolve opens the note form first (issue 13); nothing changes until it is submitted.
    form = note_form(fake_slack)
    assert load(bot, case_id)[0].status == "open"
    assert bot.sender.interactive(view_submission(form, note_values(), user=DANA)).status == 200
    update = fake_slack.wait_until(
        lambda c: c.method == "chat.update" and "[resolved]" in str(c.body.get("text")),
        "the root message showing the resolve",
    )[-1]
    stored, events = load(bot, case_id)
    assert stored.status == "resolved"
    assert moves(events)[-1] == ("status_changed", "open", "resolved", "modal")
    buttons = [e["action_id"] for e in update.body["blocks"][-1]["elements"]]
    assert buttons == ["case_reopen", "case_add_update"]

    stale = block_actions(
        "case_resolve", str(case_id), user=DANA, channel=channel, message_ts=root_ts
    )
    bot.sender.interactive(stale)
    refusal = fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and "reopen it first" in c.body["text"],
        "the refusal of a second resolve",
    )[-1]
    assert refusal.body["user"] == DANA and "reopen it first" in refusal.body["text"]


def test_add_update_records_the_vendor_ticket_and_counts_as_an_update(
    bot, fake_slack, case, outcomes, clock
):
    case_id, channel, root_ts = case
    payload = block_actions(
        "case_add_update", str(case_id), user=DANA, channel=channel, message_ts=root_ts
    )
    bot.sender.interactive(payload)
    view = fake_slack.wait_for("views.open")[0].body["view"]
    assert view["callback_id"] == "case_add_update"

    empty = bot.sender.interactive(view_submission(view, {}, user=DANA))
    assert empty.json()["response_action"] == "errors"
    assert "f_note" in empty.json()["errors"]

    clock.advance(timedelta(hours=2))
    values = {
        "f_vendor_ticket": {"value": {"type": "plain_text_input", "value": "IDV-555"}},
        "f_vendor_status": {"value": {"type": "plain_text_input", "value": "Contacting user"}},
        "f_note": {"value": {"type": "plain_text_input", "value": "They call at 10:00 <!here>"}},
    }
    response = bot.sender.interactive(view_submission(view, values, user=DANA))
    assert response.status == 200 and response.body in ("", "{}")
    assert outcomes().outcome is Outcome.APPLIED
    stored, events = load(bot, case_id)
    assert (stored.vendor_ticket, stored.vendor_status) == ("IDV-555", "Contacting user")
    assert stored.last_update_at is not None
    assert events[-1].kind == "update" and events[-1].detail["vendor_ticket"] == "IDV-555"
    note = fake_slack.calls_to("chat.postMessage")[-1].body["text"]
    assert "IDV-555" in note and "&lt;!here&gt;" in note and "<!here>" not in note
    assert "IDV-555" in str(fake_slack.calls_to("chat.update")[-1].body["blocks"])


def test_rate_limited_root_edit_is_retried_not_surfaced(bot, fake_slack, case, outcomes):
    case_id, channel, root_ts = case
    fake_slack.fail("chat.update", Failure(status=429, error="ratelimited", retry_after=0))
    bot.sender.event(reaction("reaction_added", "eyes", channel, root_ts))
    assert outcomes().outcome is Outcome.APPLIED
    updates = fake_slack.wait_for("chat.update", 2)
    assert "[acknowledged]" in updates[-1].body["text"]
    with Session(bot.services.engine) as session:
        items = session.exec(select(OutboxItem).where(OutboxItem.kind == "slack.root")).all()
        assert [(i.state, i.last_error) for i in items] == [("done", None)] * len(items)


def test_event_claims_are_pruned_after_a_day(bot, fake_slack, case, outcomes, clock):
    case_id, channel, root_ts = case
    bot.sender.event(reaction("reaction_added", "eyes", channel, root_ts), event_id="EvOLD")
    assert outcomes().outcome is Outcome.APPLIED
    # A claim without a recorded request (a use case called directly) is a processed event id.
    with write_session(bot.services.engine) as session:
        assert claim_event(session, "EvDIRECT", clock.now()) is True
    assert prune_processed_events(bot.services) == 0
    clock.advance(timedelta(days=1, seconds=1))
    assert prune_processed_events(bot.services) == 1
    assert bot.services.inbox.prune() >= 1  # the recorded request, claimed in the move
    with Session(bot.services.engine) as session:
        assert session.exec(select(ProcessedEvent)).all() == []
        assert session.get(InboxRequest, "EvOLD") is None
    assert "processed_events" in bot.services.tick_jobs


def test_the_move_command_escalates_with_a_reason(bot, fake_slack, case, outcomes):
    case_id, channel, root_ts = case
    response = bot.sender.command(
        "/escalate", f"move ESC-{case_id} escalate needs <!channel> engineering", user=DANA
    )
    assert response.status == 200 and "escalate" in response.body
    assert outcomes().outcome is Outcome.APPLIED
    stored, events = load(bot, case_id)
    assert (stored.status, stored.tier) == ("escalated", 2)
    change = events[-1]
    assert (change.via, change.actor) == ("command", DANA)
    assert change.detail["note"] == "needs <!channel> engineering"
    handoff = fake_slack.calls_to("chat.postMessage")[-1].body["text"]
    assert "*Why:* needs &lt;!channel&gt; engineering" in handoff

    usage = bot.sender.command("/escalate", "move ESC-1 dance")
    assert "Usage" in usage.body


def test_unknown_reactions_and_messages_of_no_case_are_ignored_silently(
    bot, fake_slack, case, outcomes
):
    case_id, channel, root_ts = case
    bot.sender.event(reaction("reaction_added", "tada", channel, root_ts))
    bot.sender.event(reaction("reaction_added", "eyes", channel, "1699999999.000009"))
    bot.sender.event(reaction("reaction_removed", "eyes", channel, "1699999999.000009"))
    with pytest.raises(queue.Empty):
        outcomes(timeout=0.5)
    stored, events = load(bot, case_id)
    assert (stored.status, stored.version, [e.kind for e in events]) == (
        "open",
        1,
        ["opened", "email_drafted"],
    )
    assert fake_slack.calls_to("chat.postEphemeral") == []
    assert fake_slack.calls_to("conversations.members") == []


def test_membership_lists_are_fetched_once_a_minute(bot, fake_slack, case, outcomes, clock):
    case_id, channel, root_ts = case
    bot.sender.event(reaction("reaction_added", "eyes", channel, root_ts))
    assert outcomes().outcome is Outcome.APPLIED
    bot.sender.event(reaction("reaction_added", "hourglass_flowing_sand", channel, root_ts))
    assert outcomes().outcome is Outcome.APPLIED
    assert len(fake_slack.calls_to("conversations.members")) == 1
    clock.advance(timedelta(minutes=2))
    bot.sender.event(reaction("reaction_added", "white_check_mark", channel, root_ts))
    assert outcomes().outcome is Outcome.NEEDS_NOTE  # checked as a move, then the note is asked
    assert len(fake_slack.calls_to("conversations.members")) == 2


def test_whoever_handed_a_case_up_may_take_it_back_by_removing_the_arrow(
    bot, fake_slack, case, outcomes
):
    case_id, channel, root_ts = case
    bot.sender.event(reaction("reaction_added", "eyes", channel, root_ts))
    assert outcomes().outcome is Outcome.APPLIED
    bot.sender.event(reaction("reaction_added", "arrow_up", channel, root_ts))
    assert outcomes().outcome is Outcome.APPLIED
    # Dana is tier 1 (a channel member), not in the tier 2 group: the undo is still hers.
    bot.sender.event(reaction("reaction_removed", "arrow_up", channel, root_ts))
    assert outcomes().outcome is Outcome.APPLIED
    stored, events = load(bot, case_id)
    assert (stored.status, stored.tier, stored.owner_id) == ("acknowledged", 1, DANA)
    assert moves(events)[-1] == ("undo", "escalated", "acknowledged", "reaction")
    assert "at tier 1" in fake_slack.calls_to("chat.postMessage")[-1].body["text"]


@pytest.mark.parametrize(
    ("field", "typed"),
    [
        ("f_note", "Their SSN is 123-45-6789"),
        ("f_note", "Patient DOB 04/12/1961, call back"),
        ("f_vendor_status", "Checking SSN 123-45-6789"),
        ("f_vendor_status", "date of birth 1961-04-12 mismatch"),
    ],
)
def test_add_update_refuses_pii_under_its_field_and_changes_nothing(
    bot, fake_slack, case, field, typed
):
    case_id, channel, root_ts = case
    payload = block_actions(
        "case_add_update", str(case_id), user=DANA, channel=channel, message_ts=root_ts
    )
    bot.sender.interactive(payload)
    view = fake_slack.wait_for("views.open")[0].body["view"]
    values = {field: {"value": {"type": "plain_text_input", "value": typed}}}
    answer = bot.sender.interactive(view_submission(view, values, user=DANA)).json()
    assert answer["response_action"] == "errors" and "PII" in answer["errors"][field]
    _, events = load(bot, case_id)
    assert "update" not in [e.kind for e in events]


@pytest.mark.parametrize("why", ["SSN 123-45-6789 does not match", "DOB 04/12/1961 is wrong"])
def test_the_move_command_refuses_a_reason_with_pii_and_moves_nothing(bot, fake_slack, case, why):
    case_id, _, _ = case
    response = bot.sender.command("/escalate", f"move ESC-{case_id} escalate {why}", user=DANA)
    assert "Not moved" in response.body and "PII" in response.body
    stored, events = load(bot, case_id)
    assert stored.tier == 1 and "status_changed" not in [e.kind for e in events]
