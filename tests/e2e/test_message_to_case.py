"""End to end through the signed endpoint (issue 13, item 5): any message becomes a case.

The message shortcut *Escalate this message* opens the intake form prefilled with the message
and a link back; the case thread links the original and the original gets a reply pointing to
the case. A 🎫 reaction in a playbook's intake channel cannot open a form (no trigger_id): the
reactor gets a prompt whose button does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from slackbot.devtools.signed import block_actions, view_submission
from slackbot.devtools.slack_api import TEAM_ID
from slackbot.devtools.slack_rules import trigger_id
from slackbot.render.ids import IntakeShortcut
from storage.models import Case, CaseEvent
from tests.support.flows import reaction
from tests.support.forms import idv_values

AGENT = "U0AGENT01"
COORDINATOR = "U0COORD01"
TEAM_CHANNEL = "C0TEAMCH1"
#: The shipped tier3 playbook lists #portal-coordinators as an intake channel.
COORDINATORS = "C0COORD01"
QUESTION = (
    "Prescriber can't get past the ID check &amp; keeps getting error 42\n"
    "Tried twice this morning from the clinic, see <https://example.com/kb/42|KB 42>."
)


def shortcut(channel: str, ts: str, text: str, *, user: str = AGENT) -> dict[str, Any]:
    """A `message_action` payload, as Slack sends the message shortcut."""
    return {
        "type": "message_action",
        "callback_id": "escalate_message",
        "trigger_id": trigger_id(),
        "team": {"id": TEAM_ID, "domain": "example"},
        "user": {"id": user, "username": "agent", "team_id": TEAM_ID},
        "channel": {"id": channel, "name": "team"},
        "message": {"type": "message", "user": COORDINATOR, "ts": ts, "text": text},
        "message_ts": ts,
        "response_url": "https://hooks.slack.com/app/T0TEAM001/1/abc",
        "token": "legacy-verification-token",
        "api_app_id": "A0APP0001",
    }


def keep_message(fake_slack, channel: str, text: str) -> str:
    """A person's message in a channel, as Slack would return it; its ts."""
    ts = fake_slack.next_ts()
    with fake_slack.lock:
        fake_slack.messages.setdefault(channel, []).append(
            {"type": "message", "ts": ts, "text": text, "user": COORDINATOR}
        )
    return ts


def initial(view: dict[str, Any], block_id: str) -> str | None:
    """The prefilled value of one input of a form."""
    block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
    return block["element"].get("initial_value")


def test_the_shortcut_opens_the_prefilled_form_and_the_case_links_the_message(bot, fake_slack):
    ts = keep_message(fake_slack, TEAM_CHANNEL, QUESTION)
    response = bot.sender.interactive(shortcut(TEAM_CHANNEL, ts, QUESTION))
    assert response.status == 200
    # Three playbooks and no intake channel here: the picker first, carrying the message.
    picker = fake_slack.wait_for("views.open")[0].body["view"]
    assert picker["callback_id"] == "escalate_pick_playbook"
    picked = bot.sender.interactive(
        view_submission(
            picker,
            {"playbook": {"value": {"type": "static_select", "selected_option": {"value": "idv"}}}},
        )
    ).json()
    assert picked["response_action"] == "update"
    form = picked["view"]
    assert form["callback_id"] == "escalate_intake"
    summary = initial(form, "f_summary")
    description = initial(form, "f_description")
    assert summary == "Prescriber can't get past the ID check & keeps getting error 42"
    assert "Tried twice this morning" in description
    assert "KB 42 (https://example.com/kb/42)" in description
    link = f"https://example.slack.com/archives/{TEAM_CHANNEL}/p{ts.replace('.', '')}"
    assert link in json.dumps(form["blocks"])

    values = idv_values(
        f_summary={"value": {"type": "plain_text_input", "value": summary}},
        f_description={"value": {"type": "plain_text_input", "value": description}},
    )
    assert bot.sender.interactive(view_submission(form, values)).status == 200

    reply = fake_slack.wait_until(
        lambda c: c.method == "chat.postMessage" and c.body.get("channel") == TEAM_CHANNEL,
        "the reply under the original message",
        10,
    )[0]
    assert reply.body["thread_ts"] == ts
    assert "Escalated as <https://example.slack.com/archives/" in reply.body["text"]
    assert "|ESC-1>" in reply.body["text"]
    details = fake_slack.wait_until(
        lambda c: c.method == "chat.postMessage" and c.body.get("text") == "Details of ESC-1",
        "the details reply",
    )[0]
    assert link in json.dumps(details.body["blocks"])
    with Session(bot.services.engine) as session:
        case = session.exec(select(Case)).one()
        assert (case.source_channel, case.source_ts, case.source_link) == (TEAM_CHANNEL, ts, link)
        assert case.triage == "receiver"
        opened = session.exec(select(CaseEvent)).first()
        assert opened.detail["source"] == link

    shown = bot.sender.command("/escalate", "show ESC-1").body
    assert f"Made from <{link}|this message>" in shown

    # The same message again: it already is ESC-1, said to the person, no second case.
    bot.sender.interactive(shortcut(TEAM_CHANNEL, ts, QUESTION))
    told = fake_slack.wait_for("chat.postEphemeral", 2)[-1].body
    assert told["user"] == AGENT and "already *ESC-1*" in told["text"]
    assert len(fake_slack.calls_to("views.open")) == 1
    # …and a form still open on it is refused under its summary.
    again = bot.sender.interactive(view_submission(form, values)).json()
    assert again["response_action"] == "errors"
    assert "already ESC-1" in again["errors"]["f_summary"]
    with Session(bot.services.engine) as session:
        assert len(session.exec(select(Case)).all()) == 1


def test_pii_in_the_message_is_flagged_on_the_form_and_refused_on_submit(bot, fake_slack):
    text = "User's SSN is 123-45-6789 and they cannot sign in"
    ts = keep_message(fake_slack, TEAM_CHANNEL, text)
    bot.sender.interactive(shortcut(TEAM_CHANNEL, ts, text))
    picker = fake_slack.wait_for("views.open")[0].body["view"]
    form = bot.sender.interactive(
        view_submission(
            picker,
            {"playbook": {"value": {"type": "static_select", "selected_option": {"value": "idv"}}}},
        )
    ).json()["view"]
    assert "social security number" in json.dumps(form["blocks"])
    values = idv_values(
        f_summary={"value": {"type": "plain_text_input", "value": initial(form, "f_summary")}},
        f_description={
            "value": {"type": "plain_text_input", "value": initial(form, "f_description")}
        },
    )
    answer = bot.sender.interactive(view_submission(form, values)).json()
    assert answer["response_action"] == "errors"
    assert "social security number" in answer["errors"]["f_summary"]
    assert "social security number" in answer["errors"]["f_description"]
    with Session(bot.services.engine) as session:
        assert session.exec(select(Case)).all() == []


def test_the_intake_reaction_prompts_and_its_button_opens_the_form(bot, fake_slack):
    fake_slack.channel_ids["#portal-coordinators"] = COORDINATORS
    ts = keep_message(fake_slack, COORDINATORS, "Coordinator cannot see the referral list")
    # The same emoji outside an intake channel, and another emoji inside one: nothing.
    bot.sender.event(reaction("ticket", TEAM_CHANNEL, ts, user=AGENT))
    bot.sender.event(reaction("thumbsup", COORDINATORS, ts, user=AGENT))
    bot.sender.event(reaction("ticket", COORDINATORS, ts, user=AGENT))
    prompt = fake_slack.wait_for("chat.postEphemeral")[0].body
    assert prompt["user"] == AGENT and prompt["channel"] == COORDINATORS
    blocks = json.loads(prompt["blocks"]) if isinstance(prompt["blocks"], str) else prompt["blocks"]
    button = blocks[1]["elements"][0]
    assert button["action_id"] == "escalate_from_reaction"
    assert len(fake_slack.calls_to("chat.postEphemeral")) == 1

    # Reading the message back needs the bot in the channel: until then, the person is told.
    press = block_actions("escalate_from_reaction", button["value"], channel=COORDINATORS)
    bot.sender.interactive(press)
    told = fake_slack.wait_for("chat.postEphemeral", 2)[-1].body["text"]
    assert "invite me to the channel" in told and fake_slack.calls_to("views.open") == []
    fake_slack.invite(COORDINATORS)
    bot.sender.interactive(
        block_actions("escalate_from_reaction", button["value"], channel=COORDINATORS)
    )
    form = fake_slack.wait_for("views.open")[0].body["view"]
    assert form["callback_id"] == "escalate_intake"
    assert json.loads(form["private_metadata"])["playbook"] == "tier3"
    assert initial(form, "f_summary") == "Coordinator cannot see the referral list"
    assert initial(form, "f_description") == "Coordinator cannot see the referral list"
    assert json.loads(form["private_metadata"])["source"]["ts"] == ts


def _tier3_values(form: dict[str, Any]) -> dict[str, Any]:
    def text(value):
        return {"value": {"type": "plain_text_input", "value": value}}

    def choose(value):
        return {"value": {"type": "static_select", "selected_option": {"value": value}}}

    return {
        "f_summary": text(initial(form, "f_summary")),
        "f_internal_ticket": text("TK-77"),
        "f_category": choose("access"),
        "f_tier": choose("1"),
        "f_requester_type": choose("Coordinator"),
        "f_channel_in": choose("Team chat"),
        "f_description": text(initial(form, "f_description")),
        "f_occurred_at": {"value": {"type": "datetimepicker", "selected_date_time": 1763400000}},
        "f_triage": {"value": {"type": "radio_buttons", "selected_option": {"value": "ours"}}},
    }


def test_a_thread_reply_escalated_by_reaction_is_answered_in_its_thread_once(bot, fake_slack):
    fake_slack.channel_ids["#portal-coordinators"] = COORDINATORS
    fake_slack.invite(COORDINATORS)
    parent = keep_message(fake_slack, COORDINATORS, "How are you all tracking referrals?")
    ts = fake_slack.next_ts()
    with fake_slack.lock:
        fake_slack.messages[COORDINATORS].append(
            {"type": "message", "ts": ts, "thread_ts": parent, "text": "Referral list is empty"}
        )
    bot.sender.event(reaction("ticket", COORDINATORS, ts, user=AGENT))
    prompt = fake_slack.wait_for("chat.postEphemeral")[0].body
    blocks = json.loads(prompt["blocks"]) if isinstance(prompt["blocks"], str) else prompt["blocks"]
    value = blocks[1]["elements"][0]["value"]
    bot.sender.interactive(block_actions("escalate_from_reaction", value, channel=COORDINATORS))
    form = fake_slack.wait_for("views.open")[0].body["view"]
    assert initial(form, "f_description") == "Referral list is empty"
    assert bot.sender.interactive(view_submission(form, _tier3_values(form))).status == 200

    reply = fake_slack.wait_until(
        lambda c: c.method == "chat.postMessage" and c.body.get("channel") == COORDINATORS,
        "the reply under the original message",
        10,
    )[0]
    assert reply.body["thread_ts"] == parent  # in the message's own thread
    with Session(bot.services.engine) as session:
        case = session.exec(select(Case)).one()
        assert (case.playbook_id, case.source_ts, case.triage) == ("tier3", ts, "ours")
        assert "channel_in" in case.fields and "triage" not in case.fields

    # 🎫 again, by someone else: the message already is a case; no second prompt, no form.
    bot.sender.event(reaction("ticket", COORDINATORS, ts, user=COORDINATOR))
    told = fake_slack.wait_for("chat.postEphemeral", 3)[-1].body
    assert told["user"] == COORDINATOR and "already *ESC-1*" in told["text"]
    bot.services.outbox.deliver_due()
    replies = [
        c for c in fake_slack.calls_to("chat.postMessage") if c.body.get("channel") == COORDINATORS
    ]
    assert len(replies) == 1


def test_the_manifest_declares_the_message_shortcut_the_bot_listens_for():
    manifest = (Path(__file__).resolve().parents[2] / "manifest.yml").read_text()
    shortcuts = manifest.split("  shortcuts:\n", 1)[1].split("\noauth_config:", 1)[0]
    assert "type: message" in shortcuts
    assert f"callback_id: {IntakeShortcut.ESCALATE_MESSAGE.value}" in shortcuts
    assert "name: Escalate this message" in shortcuts
