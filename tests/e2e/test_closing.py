"""Issue 13 end to end through the signed endpoint, on a playbook whose clocks run in seconds:
one notion of hand-off (👀 → ⏳ starts the vendor's clocks, a reminder fires, Send goes once,
no second hand-off is offered), the resolution note a case closes with, and the opener's one
rating question."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from slackbot.devtools.signed import block_actions, view_submission
from slackbot.render.ids import EmailAction, ResolutionAction, VendorAction
from slackbot.usecases import deadlines
from storage.models import Case, CaseEvent, EmailDraft
from tests.support.closing import note_form, note_values
from tests.support.env import smtp_env
from tests.support.fast_vendor import FAST, open_fast_case

AGENT = "U0AGENT01"
RESPONDER = "U0TIER1001"
STRANGER = "U0STRANGE1"


@pytest.fixture
def fast_bot(make_bot, tmp_path, fake_slack, smtp):
    path = tmp_path / "playbooks.toml"
    path.write_text(FAST, encoding="utf-8")
    fake_slack.usergroups["S0TIER10009"] = [RESPONDER]
    return make_bot(ESCALATION_PLAYBOOKS=str(path), **smtp_env(smtp))


def blocks_of(call) -> list[dict]:
    blocks = call.body.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def action_ids(call) -> list[str]:
    return [
        e["action_id"] for b in blocks_of(call) if b["type"] == "actions" for e in b["elements"]
    ]


def stored(bot, case_id: int) -> Case:
    with Session(bot.services.engine) as session:
        return session.get(Case, case_id)


def kinds(bot, case_id: int) -> list[str]:
    with Session(bot.services.engine) as session:
        rows = session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id))
        return [row.kind for row in rows]


def wait_until(check, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def react(bot, case: Case, name: str, user: str = RESPONDER):
    event = {
        "type": "reaction_added",
        "user": user,
        "reaction": name,
        "item_user": "UBOT0001",
        "item": {"type": "message", "channel": case.channel_id, "ts": case.root_ts},
        "event_ts": "1700000100.000100",
    }
    assert bot.sender.event(event).status == 200


def press(bot, action_id: str, value: str, *, user: str = RESPONDER, channel: str = "C0FAST001"):
    return bot.sender.interactive(block_actions(action_id, value, user=user, channel=channel))


def open_posted_case(bot, fake_slack) -> tuple[Case, object]:
    """A fast case whose root and hand-off preview are posted; returns it and the preview."""
    case_id = open_fast_case(bot.services, user=AGENT)
    preview = fake_slack.wait_for_post("Hand-off email")[-1]
    case = wait_until(lambda: (c := stored(bot, case_id)).root_ts and c)
    return case, preview


def root_update(fake_slack, case: Case, predicate, what: str):
    return fake_slack.wait_until(
        lambda c: c.method == "chat.update" and c.body.get("ts") == case.root_ts and predicate(c),
        what,
    )[-1]


def test_done_when_eyes_hourglass_reminder_send_and_no_second_hand_off(
    fast_bot, fake_slack, clock, smtp
):
    case, preview = open_posted_case(fast_bot, fake_slack)
    react(fast_bot, case, "eyes")
    wait_until(lambda: stored(fast_bot, case.id).status == "acknowledged")
    handed = clock.now()
    react(fast_bot, case, "hourglass_flowing_sand")
    waiting = wait_until(lambda: (c := stored(fast_bot, case.id)).status == "with_vendor" and c)
    # ⏳ is a hand-off: the vendor's clocks start now, though no email went yet.
    assert waiting.handed_off_at is not None and waiting.handoff_emailed_at is None
    assert abs(waiting.handed_off_at.replace(tzinfo=None) - handed.replace(tzinfo=None)) < (
        timedelta(seconds=1)
    )
    offered = root_update(
        fake_slack,
        case,
        lambda c: VendorAction.LEADERSHIP in action_ids(c),
        "the escalation buttons once the case waits on the vendor",
    )
    assert VendorAction.PREVIEW_HANDOFF in action_ids(offered)  # the email is still to go

    clock.advance(timedelta(seconds=10))  # the playbook's 10 s progress-update clock
    assert deadlines.sweep(fast_bot.services) >= 1
    reminder = fake_slack.wait_until(
        lambda c: c.method == "chat.postMessage" and ":alarm_clock:" in str(c.body),
        "a reminder in the thread",
    )[-1]
    assert reminder.body["thread_ts"] == case.root_ts
    assert f"<@{RESPONDER}>" in str(reminder.body)  # the owner is mentioned

    send = next(
        e
        for b in blocks_of(preview)
        for e in b.get("elements", [])
        if e.get("action_id") == "email_send"
    )
    assert press(fast_bot, EmailAction.SEND, send["value"], user=AGENT).status == 200
    [mail] = smtp.wait_for(1)
    assert mail.rcpt_tos[0] == "support@vendor.example.com"
    sent = wait_until(lambda: (c := stored(fast_bot, case.id)).handoff_emailed_at and c)
    assert sent.status == "with_vendor" and sent.handed_off_at == waiting.handed_off_at
    after = root_update(
        fake_slack,
        case,
        lambda c: (
            VendorAction.PREVIEW_HANDOFF not in action_ids(c)
            and VendorAction.LEADERSHIP in action_ids(c)
        ),
        "the root message without Preview hand-off",
    )
    assert VendorAction.REOPEN not in action_ids(after)

    # An old Preview button and a second draft are refused, pointing to Reopen with vendor.
    fake_slack.reset()
    press(fast_bot, VendorAction.PREVIEW_HANDOFF, str(case.id), user=AGENT)
    refusal = fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and "Reopen with vendor" in c.body["text"],
        "the refusal of a second hand-off",
    )[-1]
    assert refusal.body["user"] == AGENT and "a second one is not sent" in refusal.body["text"]
    with Session(fast_bot.services.engine) as session:
        drafts = session.exec(select(EmailDraft).where(EmailDraft.case_id == case.id)).all()
    assert [(d.purpose, d.state) for d in drafts] == [("handoff", "sent")]
    press(fast_bot, EmailAction.SEND, send["value"], user=AGENT)
    fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and "already sent" in c.body["text"],
        "the answer to a second Send",
    )
    fast_bot.services.outbox.deliver_due()
    assert len(smtp.messages) == 1


def resolve_with_note(bot, fake_slack, case: Case, values: dict, *, user: str = RESPONDER):
    """✅ on the root, the prompt's button, the form: returns the HTTP answer to the submit."""
    react(bot, case, "white_check_mark", user=user)
    prompt = fake_slack.wait_until(
        lambda c: (
            c.method == "chat.postEphemeral" and ResolutionAction.WRITE_NOTE in json.dumps(c.body)
        ),
        "the resolution note prompt",
    )[-1]
    assert prompt.body["user"] == user
    assert stored(bot, case.id).status != "resolved"  # the reaction alone closes nothing
    press(bot, ResolutionAction.WRITE_NOTE, str(case.id), user=user, channel=case.channel_id)
    form = note_form(fake_slack)
    return bot.sender.interactive(view_submission(form, values, user=user))


def test_done_when_check_mark_asks_for_the_note_and_closes_with_it(fast_bot, fake_slack, clock):
    case, _ = open_posted_case(fast_bot, fake_slack)
    # A note that carries PII is refused under its field, and nothing closes.
    refused = resolve_with_note(
        fast_bot,
        fake_slack,
        case,
        note_values(done="The user was diagnosed with diabetes, so we waited"),
    )
    assert refused.status == 200 and "f_done" in refused.body
    assert "response_action" in refused.body and stored(fast_bot, case.id).status == "open"
    # Action needed without by whom is refused too.
    form = note_form(fake_slack)
    missing = fast_bot.sender.interactive(
        view_submission(form, note_values(needed="yes"), user=RESPONDER)
    )
    assert "f_action_by" in missing.body

    values = note_values(
        issue="Checks fail & retry <loops>", needed="yes", by="Tier 1 agent", done="Reset it"
    )
    answer = fast_bot.sender.interactive(view_submission(form, values, user=RESPONDER))
    assert answer.status == 200 and "errors" not in answer.body
    closed = wait_until(lambda: (c := stored(fast_bot, case.id)).status == "resolved" and c)
    assert closed.resolution["issue"] == "Checks fail & retry <loops>"
    assert closed.action_needed is True and closed.resolution["action_by"] == "Tier 1 agent"
    note = fake_slack.wait_for_post(f":white_check_mark: <@{RESPONDER}> resolved ESC-{case.id}")
    rendered = json.dumps(blocks_of(note[-1]))
    assert note[-1].body["thread_ts"] == case.root_ts
    assert "Checks fail &amp; retry &lt;loops&gt;" in rendered  # escaped, whole
    assert "*yes*, by Tier 1 agent" in rendered

    shown = fast_bot.sender.command("/escalate", f"show ESC-{case.id}", user=AGENT).body
    assert "*Resolution note*" in shown and "Reset it" in shown and "Tier 1 agent" in shown

    # A stranger's ✅ is denied before any form is offered.
    fake_slack.reset()
    react(fast_bot, case, "repeat")
    wait_until(lambda: stored(fast_bot, case.id).status == "reopened")
    react(fast_bot, case, "white_check_mark", user=STRANGER)
    denial = fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and c.body.get("user") == STRANGER,
        "the stranger's denial",
    )[-1]
    assert ResolutionAction.WRITE_NOTE not in json.dumps(denial.body)
    assert stored(fast_bot, case.id).status == "reopened"


def survey_calls(fake_slack) -> list:
    return [
        c
        for c in fake_slack.calls_to("chat.postMessage")
        if c.body.get("channel") == AGENT and "How did it go?" in str(c.body.get("text"))
    ]


def test_done_when_the_close_asks_the_opener_for_a_rating_once(fast_bot, fake_slack, clock):
    case, _ = open_posted_case(fast_bot, fake_slack)
    resolve_with_note(fast_bot, fake_slack, case, note_values())
    wait_until(lambda: stored(fast_bot, case.id).status == "resolved")
    wait_until(lambda: survey_calls(fake_slack))
    [survey] = survey_calls(fake_slack)
    assert [a.removeprefix("case_rate_") for a in action_ids(survey)] == ["1", "2", "3", "4", "5"]

    # Only the opener may answer.
    press(fast_bot, "case_rate_4", f"{case.id}:4", user=STRANGER)
    fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and c.body.get("user") == STRANGER,
        "the stranger's denial",
    )
    press(fast_bot, "case_rate_4", f"{case.id}:4", user=AGENT)
    view = fake_slack.wait_until(
        lambda c: c.method == "views.open" and "case_rating" in json.dumps(c.body),
        "the rating form",
    )[-1].body["view"]
    view = json.loads(view) if isinstance(view, str) else view
    chosen = view["blocks"][0]["element"]["initial_option"]["value"]
    assert chosen == "4"
    values = {
        "f_score": {"value": {"type": "radio_buttons", "selected_option": {"value": "4"}}},
        "f_comment": {"value": {"type": "plain_text_input", "value": "Quick, thanks"}},
    }
    assert fast_bot.sender.interactive(view_submission(view, values, user=AGENT)).status == 200
    rated = wait_until(lambda: (c := stored(fast_bot, case.id)).rating and c)
    assert (rated.rating, rated.rating_comment) == (4, "Quick, thanks")
    assert "rated" in kinds(fast_bot, case.id)
    fake_slack.wait_until(
        lambda c: c.method == "chat.postMessage" and "rated 4/5" in str(c.body.get("text")),
        "the thanks",
    )

    # Reopened and resolved again: no second question; a second answer is refused.
    react(fast_bot, case, "repeat")
    wait_until(lambda: stored(fast_bot, case.id).status == "reopened")
    resolve_with_note(fast_bot, fake_slack, case, note_values())
    wait_until(lambda: stored(fast_bot, case.id).status == "resolved")
    fast_bot.services.outbox.deliver_due()
    assert len(survey_calls(fake_slack)) == 1
    fake_slack.reset()
    press(fast_bot, "case_rate_2", f"{case.id}:2", user=AGENT)
    fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and "already rated" in str(c.body),
        "the refusal of a second rating",
    )
    assert stored(fast_bot, case.id).rating == 4


def test_the_move_command_opens_the_note_form_and_strangers_get_none(fast_bot, fake_slack):
    case, _ = open_posted_case(fast_bot, fake_slack)
    denied = fast_bot.sender.command("/escalate", f"move ESC-{case.id} resolve", user=STRANGER)
    assert "resolution note" in denied.body
    fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and c.body.get("user") == STRANGER,
        "the stranger's denial",
    )
    assert not [
        c for c in fake_slack.calls_to("views.open") if "case_resolution_note" in str(c.body)
    ]
    assert "denied" in kinds(fast_bot, case.id)

    fast_bot.sender.command("/escalate", f"move ESC-{case.id} resolve", user=RESPONDER)
    form = note_form(fake_slack)
    assert stored(fast_bot, case.id).status == "open"
    fast_bot.sender.interactive(view_submission(form, note_values(), user=RESPONDER))
    closed = wait_until(lambda: (c := stored(fast_bot, case.id)).status == "resolved" and c)
    assert closed.resolution["done"].startswith("The vendor reset the check")
