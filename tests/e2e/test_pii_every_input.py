"""The PII/PHI guard on every free-text input (issue 11), through the signed endpoint: a social
security number and a date of birth typed into each are refused, under the field they were typed
in (or in the command's answer), and nothing is stored, sent or paged."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import Session, func, select

from slackbot.devtools.pagerduty import start_fake_pagerduty
from slackbot.devtools.signed import block_actions, view_submission
from slackbot.render.case_blocks import build_add_update_modal
from slackbot.render.email_blocks import build_edit_modal, build_not_vendor_modal
from storage.models import Case, CaseEvent, EmailDraft, OutboxItem, Page
from tests.support.env import smtp_env
from tests.support.forms import idv_values

AGENT = "U0AGENT01"
DANA = "U0DANA001"
SSN = "Caller read out 123-45-6789 twice"
DOB = "End user DOB 04/12/1961, still locked out"
TYPED = [(SSN, "social security number"), (DOB, "date of birth")]


@pytest.fixture
def fake_pd():
    state = start_fake_pagerduty()
    yield state
    state.stop()


@pytest.fixture
def world(make_bot, smtp, fake_pd, fake_slack):
    """An idv case opened through the form, its hand-off draft previewed; PagerDuty configured."""
    bot = make_bot(
        **smtp_env(smtp),
        PAGERDUTY_ROUTING_KEY="R0UTINGKEY0123456789abcdef012345",
        PAGERDUTY_EVENTS_URL=fake_pd.events_url,
        PAGERDUTY_API_URL=fake_pd.url,
    )
    bot.sender.command("/escalate", "idv")
    intake = fake_slack.wait_for("views.open")[-1].body["view"]
    assert bot.sender.interactive(view_submission(intake, idv_values())).status == 200
    fake_slack.wait_for_post("Hand-off email")
    fake_slack.channel_members[fake_slack.channel_ids["#escalations-idv"]] = [AGENT, DANA]
    bot.services.outbox.deliver_due()
    return bot


def plain(value: str) -> dict[str, Any]:
    return {"value": {"type": "plain_text_input", "value": value}}


def _counts(bot) -> tuple[int, ...]:
    """How many rows of what a refused input must not add to."""
    with Session(bot.services.engine) as session:
        return tuple(
            session.exec(select(func.count()).select_from(model)).one()
            for model in (Case, CaseEvent, OutboxItem, EmailDraft, Page)
        )


def _case_and_draft(bot):
    with Session(bot.services.engine) as session:
        case = session.exec(select(Case)).one()
        draft = session.exec(select(EmailDraft)).one()
        return case, draft, bot.services.playbooks.get(case.playbook_id)


def _intake(bot, fake_slack, field: str, typed: str) -> dict[str, Any]:
    bot.sender.command("/escalate", "idv")
    view = fake_slack.wait_for("views.open", 2)[-1].body["view"]
    return view_submission(view, idv_values(**{field: plain(typed)}))


def _add_update(bot, _fake_slack, field: str, typed: str) -> dict[str, Any]:
    case, _, _ = _case_and_draft(bot)
    values = {"f_vendor_ticket": plain("V-1"), "f_vendor_status": plain(""), "f_note": plain("")}
    values[field] = plain(typed)
    return view_submission(build_add_update_modal(case), values, user=DANA)


def _not_theirs(bot, _fake_slack, field: str, typed: str) -> dict[str, Any]:
    case, _, _ = _case_and_draft(bot)
    view = build_not_vendor_modal(case)
    view["private_metadata"] = json.dumps({"case_id": case.id})
    return view_submission(view, {field: plain(typed)}, user=DANA)


def _edit(bot, _fake_slack, field: str, typed: str) -> dict[str, Any]:
    case, draft, playbook = _case_and_draft(bot)
    view = build_edit_modal(draft, case, playbook)
    view["private_metadata"] = json.dumps({"draft_id": draft.id})
    return view_submission(view, idv_values(**{field: plain(typed)}), user=DANA)


def _emergency(bot, fake_slack, field: str, typed: str) -> dict[str, Any]:
    bot.sender.command("/emergency", "ESC-1")
    view = fake_slack.wait_for("views.open", 2)[-1].body["view"]
    values = {
        "em_system": plain("Identity verification API"),
        "em_what_is_down": plain("Every verification returns 503"),
        "em_since": plain("05:40 UTC"),
        "em_impact": plain("No prescriber can verify"),
        "em_case": plain("ESC-1"),
        "em_criteria": {"value": {"type": "checkboxes", "selected_options": [{"value": "c0"}]}},
        "em_page_again": {"value": {"type": "checkboxes", "selected_options": []}},
    }
    values[field] = plain(typed)
    return view_submission(view, values)


@pytest.mark.parametrize(
    ("build", "block"),
    [
        (_intake, "f_summary"),
        (_intake, "f_description"),
        (_intake, "f_additional_info"),
        (_intake, "f_agent_availability"),
        (_add_update, "f_note"),
        (_add_update, "f_vendor_status"),
        (_not_theirs, "f_notes"),
        (_edit, "f_description"),
        (_edit, "f_additional_info"),
        (_emergency, "em_system"),
        (_emergency, "em_what_is_down"),
        (_emergency, "em_since"),
        (_emergency, "em_impact"),
    ],
)
def test_pii_in_a_form_is_refused_under_its_field_and_nothing_is_stored(
    world, fake_slack, fake_pd, smtp, build, block
):
    bot = world
    for typed, kind in TYPED:
        submission = build(bot, fake_slack, block, typed)
        before, emails = _counts(bot), len(smtp.messages)
        answer = bot.sender.interactive(submission).json()
        assert answer["response_action"] == "errors", answer
        assert kind in answer["errors"][block], answer["errors"]
        bot.services.outbox.deliver_due()
        assert _counts(bot) == before
        assert len(smtp.messages) == emails and fake_pd.events() == []


@pytest.mark.parametrize("typed", [SSN, DOB])
@pytest.mark.parametrize("move", ["resolve", "escalate", "acknowledge"])
def test_pii_in_a_move_reason_is_refused_in_the_answer_and_nothing_moves(world, typed, move):
    bot = world
    before = _counts(bot)
    answer = bot.sender.command("/escalate", f"move ESC-1 {move} {typed}", user=DANA).body
    assert answer.startswith(":no_entry: Not moved") and "Hand-offs must not carry" in answer
    bot.services.outbox.deliver_due()
    assert _counts(bot) == before
    with Session(bot.services.engine) as session:
        assert session.exec(select(Case)).one().status == "open"


def test_a_failed_sends_notes_carry_no_contact_value(world, fake_slack, smtp):
    bot = world
    _, draft, _ = _case_and_draft(bot)
    channel = fake_slack.channel_ids["#escalations-idv"]
    # A server that quotes the addresses back, the end user's among them.
    smtp.refuse_next("550 5.1.1 <pat@clinic.example.com> and <u0agent01@support.example.com> no")
    calls = len(fake_slack.calls)
    pressed = block_actions("email_send", str(draft.id), user=AGENT, channel=channel)
    assert bot.sender.interactive(pressed).status == 200
    note = fake_slack.wait_for_post(":x: An email for ESC-1 could not be sent")[-1].body["text"]
    assert "550 5.1.1" in note
    fake_slack.wait_until(
        lambda c: c.method == "chat.update" and "Not delivered" in json.dumps(c.body), "preview"
    )
    seen = json.dumps([c.body for c in fake_slack.calls[calls:]], ensure_ascii=False)
    assert "pat@clinic.example.com" not in seen and draft.subject not in seen
    assert "u0agent01@support.example.com" not in note  # the agent's own is in the preview
