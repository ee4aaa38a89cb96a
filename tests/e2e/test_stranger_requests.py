"""Forged and malformed requests through the signed endpoint (issue 11): each gets a 4xx (a bad
timestamp 401), or for a modal's wrongly typed value an error under its field, never a 500;
nothing is logged with a traceback and nothing is written."""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import urlencode

import pytest
from sqlmodel import Session, func, select

from slackbot.devtools.signed import block_actions, view_submission
from slackbot.domain.cases import MAX_ID, parse_id
from slackbot.listeners.shape import refusal
from storage.models import Case, CaseEvent, InboxRequest, OutboxItem
from tests.support.forms import idv_values

FORM = "application/x-www-form-urlencoded"


def _rows(bot) -> tuple[int, ...]:
    with Session(bot.services.engine) as session:
        return tuple(
            session.exec(select(func.count()).select_from(model)).one()
            for model in (Case, CaseEvent, OutboxItem, InboxRequest)
        )


def _no_traceback(caplog) -> None:
    time.sleep(0.2)  # what a listener does after its ack
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [(r.name, r.getMessage()) for r in bad]


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (urlencode({"payload": "{not json"}), FORM, 400),
        (urlencode({"payload": json.dumps([1, 2])}), FORM, 400),
        (urlencode({"payload": json.dumps("block_actions")}), FORM, 400),
        (urlencode({"payload": json.dumps({"no": "type"})}), FORM, 400),
        ("payload=%7B%7D&payload=%7B%7D", FORM, 400),
        ("[1, 2]", "application/json", 400),
        ("{broken", "application/json", 400),
        ('{"type": "event_callback", "event": "reaction_added"}', "application/json", 400),
        (urlencode({"command": "/escalate", "text": "help"}), FORM, 400),  # nobody sent it
    ],
)
def test_a_body_slack_never_sends_is_a_400(bot, caplog, body, content_type, status):
    before = _rows(bot)
    assert bot.sender.post(body, content_type).status == status
    assert _rows(bot) == before
    _no_traceback(caplog)


def test_a_non_numeric_or_missing_timestamp_is_a_401(bot, caplog):
    body = urlencode({"payload": json.dumps(block_actions("case_resolve", "1"))})
    assert bot.sender.post(body, FORM, timestamp="abc").status == 401
    assert bot.sender.post(body, FORM, timestamp="").status == 401
    assert bot.sender.post(body, FORM, timestamp="12.5").status == 401
    assert bot.sender.post(body, FORM, signature="v0=0000").status == 401
    _no_traceback(caplog)


FORGED_IDS = ["1" * 30, "abc", "", "-1", "0", str(MAX_ID + 1), "1e3"]
ID_BUTTONS = [
    "case_resolve", "case_add_update", "vendor_preview_handoff", "vendor_not_their_issue",
    "email_send", "email_edit", "emergency_acknowledged", "inbound_view", "deadline_ask_vendor",
]  # fmt: skip


def test_a_button_whose_value_is_no_id_is_a_400(bot, caplog):
    before = _rows(bot)
    for action_id in ID_BUTTONS:
        for value in FORGED_IDS:
            pressed = block_actions(action_id, value)
            assert bot.sender.interactive(pressed).status == 400, (action_id, value)
    assert _rows(bot) == before
    _no_traceback(caplog)


def test_a_wrongly_typed_modal_value_is_a_field_error_and_nothing_is_stored(
    bot, fake_slack, caplog
):
    bot.sender.command("/escalate", "idv")
    view = fake_slack.wait_for("views.open")[-1].body["view"]
    forged = idv_values(f_summary={"value": {"type": "plain_text_input", "value": ["a", "b"]}})
    answer = bot.sender.interactive(view_submission(view, forged))
    assert answer.status == 200
    assert answer.json() == {
        "response_action": "errors",
        "errors": {"f_summary": "This value is not one this form sends; enter it again."},
    }
    time.sleep(0.2)
    with Session(bot.services.engine) as session:
        assert session.exec(select(Case)).all() == []
    _no_traceback(caplog)


def test_an_unknown_case_in_range_is_a_clear_answer(bot, fake_slack, caplog):
    assert "There is no case ESC-999999" in bot.sender.command("/escalate", "show ESC-999999").body
    assert "Say which case" in bot.sender.command("/escalate", "show ESC-" + "9" * 30).body
    assert bot.sender.interactive(block_actions("case_resolve", "999999")).status == 200
    _no_traceback(caplog)


def test_ids_are_parsed_strictly():
    assert [parse_id(v) for v in ("1", " 42 ", 7, str(MAX_ID))] == [1, 42, 7, MAX_ID]
    forged = ("abc", "1" * 30, "", "0", "-3", "1.5", "١", True, None, [1], 1.0, MAX_ID + 1)
    assert [parse_id(v) for v in forged] == [None] * len(forged)


def test_shapes_slack_sends_pass_and_others_are_refused():
    pressed = block_actions("case_resolve", "1")
    assert refusal(pressed) is None
    assert refusal({**pressed, "user": "U1"}) is not None
    assert refusal({**pressed, "actions": None}) is not None
    assert refusal({**pressed, "channel": "C1"}) is not None
    event = {"type": "event_callback", "event": {"type": "reaction_added", "user": "U1"}}
    assert refusal(event) is None
    assert refusal({**event, "event": {"type": "reaction_added", "user": False}}) is not None
    assert refusal({**event, "event": {"type": "reaction_added", "item": "x"}}) is not None
    assert refusal({"command": "/escalate", "user_id": "U1", "text": "help"}) is None
    assert refusal({"command": "/escalate", "text": "help"}) is not None
