"""The demo's sample answers fill every shipped playbook's form so that the bot's own checks
accept them, and come back from Slack's `state.values` as typed."""

from __future__ import annotations

import pytest

from slackbot.devtools.demo_steps import RESOLUTION_NOTE, note_answers
from slackbot.devtools.samples import filled_view, intake_answers, view_state
from slackbot.domain.intake import validate_intake
from slackbot.render.blocks import build_intake_modal, parse_view_state
from tests.support.handoff import NOW, PLAYBOOKS


@pytest.mark.parametrize("playbook", list(PLAYBOOKS), ids=PLAYBOOKS.ids)
def test_sample_answers_pass_the_intake_checks_of_every_shipped_playbook(playbook):
    view = build_intake_modal(playbook, origin_channel="C0SUPPORT1")
    state = view_state(view, intake_answers(playbook))
    inputs = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
    assert sorted(state) == sorted(inputs)
    result = validate_intake(playbook, parse_view_state(state), NOW)
    assert result.errors == {}


def test_answers_round_trip_and_show_in_the_filled_form():
    playbook = PLAYBOOKS.get("idv")
    view = build_intake_modal(playbook, origin_channel="C0SUPPORT1")
    state = view_state(view, intake_answers(playbook))
    values = parse_view_state(state)
    assert values["summary"] == "Prescriber cannot pass identity verification"
    assert values["end_user_email"].endswith("@clinic.example.com")
    assert values["category"] == "access"  # a blocker first
    filled = {b["block_id"]: b for b in filled_view(view, state)["blocks"] if "block_id" in b}
    assert filled["f_summary"]["element"]["initial_value"] == values["summary"]
    assert filled["f_category"]["element"]["initial_option"]["value"] == "access"
    # The original view is left as Slack opened it.
    assert "initial_value" not in view["blocks"][2]["element"]


def test_checkboxes_are_checked_only_when_asked():
    view = {
        "blocks": [
            {
                "type": "input",
                "block_id": "em_criteria",
                "element": {
                    "type": "checkboxes",
                    "action_id": "value",
                    "options": [{"value": "c0", "text": {"type": "plain_text", "text": "Down"}}],
                },
            }
        ]
    }
    assert view_state(view, {"em_criteria": []})["em_criteria"]["value"]["selected_options"] == []
    checked = view_state(view, {"em_criteria": ["c0"]})["em_criteria"]["value"]
    assert [o["value"] for o in checked["selected_options"]] == ["c0"]


def test_a_resolution_note_form_gets_the_note_and_no_action_needed():
    yes_no = [
        {"value": "yes", "text": {"type": "plain_text", "text": "Yes"}},
        {"value": "no", "text": {"type": "plain_text", "text": "No"}},
    ]
    view = {
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "*ESC-1*"}},
            {
                "type": "input",
                "block_id": "f_issue",
                "element": {"type": "plain_text_input", "initial_value": "Cannot sign in"},
            },
            {"type": "input", "block_id": "f_done", "element": {"type": "plain_text_input"}},
            {
                "type": "input",
                "block_id": "f_needed",
                "element": {"type": "radio_buttons", "options": yes_no},
            },
            {
                "type": "input",
                "block_id": "f_by",
                "optional": True,
                "element": {"type": "plain_text_input"},
            },
        ]
    }
    values = parse_view_state(view_state(view, note_answers(view)))
    assert values == {"issue": "Cannot sign in", "done": RESOLUTION_NOTE, "needed": "no", "by": ""}
