"""End to end through the signed HTTP endpoint: /escalate → modal → case → root message."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import Session, select

from slackbot.devtools.signed import view_submission
from slackbot.render.blocks import build_intake_modal
from slackbot.usecases.report_delivery import post_weekly_report
from storage.models import Case, CaseEvent, CaseMessage
from tests.support.forms import idv_values


def test_slash_command_opens_the_picker_modal(bot, fake_slack):
    response = bot.sender.command("/escalate")
    assert response.status == 200
    call = fake_slack.wait_for("views.open")[0]
    view = call.body["view"]
    assert call.body["trigger_id"] == bot.sender.last_trigger_id
    assert view["callback_id"] == "escalate_pick_playbook"
    options = [o["value"] for o in view["blocks"][1]["element"]["options"]]
    assert options == ["idv", "tier3", "assister"]


def test_submitting_the_form_stores_a_case_and_posts_its_thread(bot, fake_slack):
    bot.sender.command("/escalate", "idv", channel="C0SUPPORT1")
    view = fake_slack.wait_for("views.open")[0].body["view"]
    assert view["callback_id"] == "escalate_intake"

    response = bot.sender.interactive(view_submission(view, idv_values()))
    assert response.status == 200
    assert response.body in ("", "{}")

    root = fake_slack.wait_for("chat.postMessage", 2)
    assert root[0].body["channel"] == "#escalations-idv"
    assert "ESC-1" in root[0].body["text"]
    assert root[1].body["thread_ts"] == "1700000000.000001"
    confirmation = fake_slack.wait_for("chat.postEphemeral")[0]
    assert confirmation.body["user"] == "U0AGENT01"
    assert confirmation.body["channel"] == "C0SUPPORT1"
    assert "ESC-1" in confirmation.body["text"]

    with Session(bot.services.engine) as session:
        case = session.exec(select(Case)).one()
        assert case.status == "open"
        assert case.priority == "high"
        assert case.internal_ticket == "XQ123"
        assert case.fields["end_user_email"] == "pat@clinic.example.com"
        assert case.root_ts == "1700000000.000001"
        assert case.opened_by == "U0AGENT01"
        events = session.exec(select(CaseEvent)).all()
        assert [e.kind for e in events] == ["opened"]
        messages = session.exec(select(CaseMessage).order_by(CaseMessage.id)).all()
        assert [m.kind for m in messages] == ["root", "bot"]

    # Contact details stay out of the channel: not on the root, not in the details reply.
    posted = json.dumps([call.body for call in root])
    assert "pat@clinic.example.com" not in posted
    assert "555-555-0102" not in posted


def test_validation_errors_answer_on_the_offending_fields(bot, fake_slack):
    view = build_intake_modal(bot.services.playbooks.get("idv"), origin_channel="C1")
    values = idv_values(
        f_end_user_email={"value": {"type": "email_text_input", "value": "not-an-email"}},
        f_end_user_phone={"value": {"type": "plain_text_input", "value": "call me"}},
        f_description={"value": {"type": "plain_text_input", "value": "Her SSN is 123-45-6789"}},
        f_occurred_at={"value": {"type": "datetimepicker", "selected_date_time": 1893456000}},
        f_summary={"value": {"type": "plain_text_input", "value": ""}},
    )
    response = bot.sender.interactive(view_submission(view, values))
    assert response.status == 200
    answer = response.json()
    assert answer["response_action"] == "errors"
    errors = answer["errors"]
    assert set(errors) == {
        "f_end_user_email",
        "f_end_user_phone",
        "f_description",
        "f_occurred_at",
        "f_summary",
    }
    assert "social security number" in errors["f_description"]
    assert "future" in errors["f_occurred_at"]
    with Session(bot.services.engine) as session:
        assert session.exec(select(Case)).all() == []
    assert fake_slack.calls_to("chat.postMessage") == []


def test_bad_signature_and_stale_requests_are_refused(bot, fake_slack):
    forged = bot.sender.command("/escalate", signature="v0=" + "0" * 64)
    stale = bot.sender.command("/escalate", timestamp=1_000_000_000)
    assert forged.status == 401
    assert stale.status == 401
    assert fake_slack.calls_to("views.open") == []


def test_mentions_typed_by_users_cannot_ping(bot, fake_slack):
    bot.sender.command("/escalate", "idv")
    view = fake_slack.wait_for("views.open")[0].body["view"]
    values = idv_values(
        f_summary={"value": {"type": "plain_text_input", "value": "<!channel> urgent <@U999>"}}
    )
    bot.sender.interactive(view_submission(view, values))
    root = fake_slack.wait_for("chat.postMessage", 2)[0]
    fake_slack.wait_for("chat.postEphemeral")
    rendered = json.dumps(root.body["blocks"])
    assert "<!channel>" not in rendered
    assert "&lt;!channel&gt;" in rendered


def test_subcommands_answer_ephemerally(bot, fake_slack):
    # Bolt answers a text-only ack as the plain-text body, which Slack shows ephemerally.
    help_text = bot.sender.command("/escalate", "help").body
    assert "/escalate list" in help_text
    unknown = bot.sender.command("/escalate", "frobnicate").body
    assert "I don't know `frobnicate`" in unknown
    assert bot.sender.command("/escalate", "show ESC-99").body == "There is no case ESC-99."
    assert "none" in bot.sender.command("/escalate", "list").body


def _open_idv_case(bot, fake_slack, user="U0AGENT01"):
    view = build_intake_modal(bot.services.playbooks.get("idv"), origin_channel="C0SUPPORT1")
    assert bot.sender.interactive(view_submission(view, idv_values(), user=user)).status == 200


def test_picker_moves_on_to_the_chosen_playbooks_form(bot, fake_slack):
    bot.sender.command("/escalate")
    picker = fake_slack.wait_for("views.open")[0].body["view"]
    chosen = {
        "playbook": {"value": {"type": "static_select", "selected_option": {"value": "assister"}}}
    }
    answer = bot.sender.interactive(view_submission(picker, chosen)).json()
    assert answer["response_action"] == "update"
    assert answer["view"]["callback_id"] == "escalate_intake"
    assert json.loads(answer["view"]["private_metadata"]) == {
        "playbook": "assister",
        "channel": "C0SUPPORT1",
    }
    labels = [b["label"]["text"] for b in answer["view"]["blocks"] if b["type"] == "input"]
    assert "Best call-back number" in labels


def test_list_and_show_find_the_case(bot, fake_slack):
    _open_idv_case(bot, fake_slack)
    fake_slack.wait_for("chat.postMessage", 2)
    mine = bot.sender.command("/escalate", "list").body
    assert "ESC-1" in mine and "Prescriber cannot pass" in mine
    others = bot.sender.command("/escalate", "list", user="U0OTHER01").body
    assert "none" in others
    # Everyone's open cases, but only those whose channel the asker is in (or may act on).
    channel = fake_slack.channel_ids["#escalations-idv"]
    fake_slack.channel_members[channel] = ["U0AGENT01", "U0MEMBER1"]
    outside = bot.sender.command("/escalate", "list all", user="U0OTHER01").body
    assert "ESC-1" not in outside and "Prescriber cannot pass" not in outside
    assert "1 more open case" in outside
    everyone = bot.sender.command("/escalate", "list all", user="U0MEMBER1").body
    assert "ESC-1" in everyone and "more open" not in everyone
    shown = bot.sender.command("/escalate", "show esc-1").body
    assert "ESC-1" in shown
    assert "opened" in shown
    assert "archives/" in shown  # a link to the thread
    assert "pat@clinic.example.com" not in shown


def test_show_answers_only_the_channel_the_opener_the_owner_and_the_tiers_responders(
    bot, fake_slack
):
    _open_idv_case(bot, fake_slack)
    fake_slack.wait_for("chat.postMessage", 2)
    with Session(bot.services.engine) as session:
        channel = session.get(Case, 1).channel_id
    fake_slack.channel_members[channel] = ["U0AGENT01", "U0DANA001"]
    hidden = bot.sender.command("/escalate", "show ESC-1", user="U0STRANGE1").body
    assert "ESC-1 exists, but you can't see it" in hidden and f"<#{channel}>" in hidden
    assert "Prescriber cannot pass" not in hidden and "opened" not in hidden
    shown = bot.sender.command("/escalate", "show ESC-1", user="U0DANA001").body
    assert "Prescriber cannot pass" in shown and "History" in shown


def test_stats_count_the_week_and_the_weekly_post_goes_out_once(make_bot, fake_slack, clock):
    bot = make_bot(WEEKLY_REPORT_CHANNEL="#support-leads")
    _open_idv_case(bot, fake_slack)
    fake_slack.wait_for("chat.postMessage", 2)
    this_week = bot.sender.command("/escalate", "stats").body
    assert "Opened 1 · closed 0" in this_week
    assert "Identity verification vendor: Tier 1 support: 1" in this_week
    assert "Cannot pass identity verification: 1" in this_week
    assert "Use `/escalate stats" in bot.sender.command("/escalate", "stats year").body

    clock.advance(timedelta(days=7))
    post_weekly_report(bot.services)
    post_weekly_report(bot.services)  # a second run the same week posts nothing new
    posts = [
        c for c in fake_slack.calls_to("chat.postMessage") if c.body["channel"] == "#support-leads"
    ]
    assert len(posts) == 1
    assert "Opened 1" in posts[0].body["text"]
