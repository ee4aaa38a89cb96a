"""Builders for working a case, tested without fakes."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from slackbot.domain.cases import CaseStatus
from slackbot.domain.playbooks import DEFAULT_PLAYBOOKS_PATH, load_playbooks
from slackbot.domain.status_machine import Action, CaseState, Transition, apply
from slackbot.domain.updates import Update
from slackbot.render.blocks import build_root_message, describe_event, parse_view_state
from slackbot.render.case_blocks import (
    BUTTON_ACTIONS,
    build_add_update_modal,
    build_case_buttons,
    build_denial,
    build_handoff_note,
    build_move_note,
    build_undo_note,
    build_update_note,
)
from slackbot.render.ids import CaseAction, CaseView
from storage.models import Case, CaseEvent

NOW = datetime(2026, 11, 18, 17, 0, tzinfo=UTC)
PLAYBOOKS = load_playbooks(DEFAULT_PLAYBOOKS_PATH)
IDV = PLAYBOOKS.get("idv")


def make_case(**overrides) -> Case:
    values = dict(
        id=42,
        playbook_id="idv",
        summary="Prescriber <!channel> cannot verify",
        status=CaseStatus.OPEN.value,
        tier=1,
        priority="high",
        category="access",
        requester_type="Clinician",
        internal_ticket="XQ123",
        fields={},
        opened_by="U0AGENT01",
        opened_at=NOW,
        updated_at=NOW,
    )
    values.update(overrides)
    return Case(**values)


def button_ids(block):
    return [element["action_id"] for element in block["elements"]]


def test_an_open_case_offers_acknowledge_escalate_resolve_and_update():
    block = build_case_buttons(make_case(), IDV)
    assert button_ids(block) == [
        CaseAction.ACKNOWLEDGE,
        CaseAction.ESCALATE,
        CaseAction.RESOLVE,
        CaseAction.ADD_UPDATE,
    ]
    assert {element["value"] for element in block["elements"]} == {"42"}


def test_a_resolved_case_offers_reopen_and_update_only():
    block = build_case_buttons(make_case(status="resolved"), IDV)
    assert button_ids(block) == [CaseAction.REOPEN, CaseAction.ADD_UPDATE]


def test_no_escalate_button_at_the_top_tier():
    block = build_case_buttons(make_case(status="acknowledged", owner_id="U1", tier=3), IDV)
    assert CaseAction.ESCALATE not in button_ids(block)


def test_buttons_map_to_status_machine_actions():
    assert BUTTON_ACTIONS[CaseAction.RESOLVE] is Action.RESOLVE
    assert CaseAction.ADD_UPDATE not in BUTTON_ACTIONS


def test_the_root_message_carries_the_buttons():
    _, blocks = build_root_message(make_case(), IDV)
    assert blocks[-1]["type"] == "actions"


def test_add_update_modal_prefills_and_round_trips():
    view = build_add_update_modal(make_case(vendor_ticket="T-1"))
    assert view["callback_id"] == CaseView.ADD_UPDATE
    assert json.loads(view["private_metadata"]) == {"case_id": 42}
    ticket = view["blocks"][1]
    assert ticket["block_id"] == "f_vendor_ticket"
    assert ticket["element"]["initial_value"] == "T-1"
    assert "&lt;!channel&gt;" in view["blocks"][0]["text"]["text"]
    state = {
        "f_note": {"value": {"type": "plain_text_input", "value": "called"}},
        "f_vendor_status": {"value": {"type": "plain_text_input", "value": None}},
    }
    assert parse_view_state(state) == {"note": "called", "vendor_status": None}


def test_move_note_reads_like_a_person_said_it():
    moved = apply(
        CaseState(CaseStatus.ACKNOWLEDGED, "U1", 1), Action.WAIT_ON_VENDOR, actor="U1", top_tier=3
    )
    assert build_move_note(moved, 42) == (
        "<@U1> moved ESC-42 to waiting on vendor :hourglass_flowing_sand:"
    )


def test_undo_note_says_where_the_case_is_back_to():
    moved = apply(CaseState(CaseStatus.OPEN, None, 1), Action.ACKNOWLEDGE, actor="U1", top_tier=3)
    assert "back to open" in build_undo_note("U1", 42, moved)


def test_handoff_pings_the_next_tier_group_and_escapes_text():
    moved = Transition(
        action=Action.ESCALATE_TIER,
        actor="U1",
        before=CaseState(CaseStatus.ACKNOWLEDGED, "U1", 1),
        after=CaseState(CaseStatus.ESCALATED, None, 2),
    )
    note = build_handoff_note(make_case(vendor_ticket="V9"), IDV, moved, reason="<@U5> stuck")
    assert note.startswith("<!subteam^S0TIER20001>")
    assert "Tier 2 support" in note and "V9" in note
    assert "<!channel>" not in note and "&lt;@U5&gt;" in note


def test_update_note_quotes_the_escaped_note():
    note = build_update_note("U1", 42, Update("V9", "open", "line <one>\nline two"))
    assert "vendor ticket *V9*" in note
    assert ">line &lt;one&gt;\n>line two" in note


def test_denial_says_nothing_changed():
    assert "Nothing changed" in build_denial(42, "only the members of x may move cases")


def test_history_lines_say_what_was_said():
    def said(kind: str, via: str, **detail) -> str:
        at = datetime(2026, 11, 18, tzinfo=UTC)
        return describe_event(
            CaseEvent(case_id=1, at=at, actor="U1", kind=kind, via=via, detail=detail)
        )

    reply = said("reply", "thread", ts="1.2", text="Vendor <b>called</b> back")
    assert reply == "reply (via thread): Vendor &lt;b&gt;called&lt;/b&gt; back"
    denied = said("denied", "reaction", action="resolve", reason="only tier 2 may act")
    assert denied == "denied (via reaction): only tier 2 may act"
    update = said("update", "modal", vendor_ticket="VT-9", note="called the user")
    assert update == "update (via modal): called the user · VT-9"
    sent = said("email_sent", "email", purpose="handoff", draft=3, message_id="<x@example.com>")
    assert sent == "email sent (via email): hand-off"
    failed = said("email_failed", "email", purpose="update_request", reason="550 no such user")
    assert failed == "email failed (via email): request for an update · 550 no such user"


HOSTILE = "<!channel> <!here> <@U0BOSS01> <#C0SECRET1> & <https://x|y>"


def test_the_root_messages_notification_text_is_escaped_too():
    text, blocks = build_root_message(make_case(summary=f"Fails {HOSTILE}"), IDV)
    everything = text + json.dumps(blocks)
    for raw in ("<!channel>", "<!here>", "<@U0BOSS01>", "<#C0SECRET1>", "<https://x|y>", " & "):
        assert raw not in everything
    assert "&lt;!channel&gt;" in text and "&amp;" in text
