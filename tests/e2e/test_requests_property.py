"""Property-based tests (hypothesis) of what the signed endpoint takes (issue 11): slash-command
text, modal values, button values and event envelopes, made up at random, around a real case.
Every request ends in a clear answer (200) or a 4xx, never a 500; nothing is logged as an error
or with a traceback; and the database stays whole: every case has its opening in the log and the
status its latest move says, every event, draft and page belongs to a case.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from slackbot.devtools.signed import block_actions, view_submission
from slackbot.render.ids import CaseAction, CaseView, EmailAction, EmergencyAction, VendorAction
from slackbot.render.reminders import ReminderAction
from storage.models import Case, CaseEvent, EmailDraft, Page
from tests.support.forms import idv_values

AGENT = "U0AGENT01"
EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
#: Text as Slack could carry it (no lone surrogates: they are not valid UTF-8).
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
WORDS = st.sampled_from(
    ["", "idv", "help", "list", "all", "show", "move", "ticket", "ESC-1", "ESC-99999", "ESC-0",
     "ESC-" + "9" * 30, "resolve", "acknowledge", "eyes", "contacts", "stats", "overdue", "week"]
)  # fmt: skip
#: Any JSON value, as a forged payload may hold where a string or an object belongs.
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3),
    max_leaves=6,
)
IDS = st.one_of(
    st.sampled_from(["1", "2", "0", "-1", "abc", "1" * 30, "", " 1 ", "1.0", "١"]),
    st.integers().map(str),
    TEXT,
)
OUR_ACTIONS = [
    action.value
    for actions in (CaseAction, VendorAction, EmailAction, EmergencyAction, ReminderAction)
    for action in actions
]


@pytest.fixture
def world(bot, fake_slack, caplog):
    """A running bot with one idv case (id 1, with its hand-off draft), and a log to read."""
    caplog.set_level(logging.INFO)
    bot.sender.command("/escalate", "idv")
    intake = fake_slack.wait_for("views.open")[-1].body["view"]
    assert bot.sender.interactive(view_submission(intake, idv_values())).status == 200
    fake_slack.wait_for_post("Hand-off email")
    fake_slack.channel_members[fake_slack.channel_ids["#escalations-idv"]] = [AGENT]
    return bot


def _answered(response) -> None:
    assert response.status == 200 or 400 <= response.status < 500, (response.status, response.body)


def _whole(bot, caplog) -> None:
    """No error logged, no traceback, and the database whole (see the module's docstring)."""
    time.sleep(0.3)  # listeners work after the ack: let them finish what they started
    bot.services.outbox.deliver_due()
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [(r.name, r.getMessage()) for r in bad]
    with Session(bot.services.engine) as session:
        cases = {case.id: case for case in session.exec(select(Case)).all()}
        events = session.exec(select(CaseEvent).order_by(CaseEvent.id)).all()
        drafts = session.exec(select(EmailDraft)).all()
        pages = session.exec(select(Page)).all()
    assert {e.case_id for e in events} | {d.case_id for d in drafts} <= set(cases)
    assert {p.case_id for p in pages} <= set(cases)
    for case in cases.values():
        mine = [e for e in events if e.case_id == case.id]
        assert mine and mine[0].kind == "opened"
        moves = [e for e in mine if e.to_status]
        assert moves[-1].to_status == case.status, (case.id, case.status, moves[-1].kind)


def test_slash_command_text(world, caplog):
    @EXAMPLES
    @given(command=st.sampled_from(["/escalate", "/emergency"]), words=st.lists(WORDS | TEXT))
    def check(command: str, words: list[str]) -> None:
        _answered(world.sender.command(command, " ".join(words), user=AGENT))

    check()
    _whole(world, caplog)


def _element(kind: str, value: Any) -> dict[str, Any]:
    key = {
        "static_select": "selected_option",
        "checkboxes": "selected_options",
        "datetimepicker": "selected_date_time",
        "multi_users_select": "selected_users",
        "file_input": "files",
    }.get(kind, "value")
    return {"value": {"type": kind, key: value}}


ELEMENTS = st.builds(
    _element,
    st.sampled_from(
        ["plain_text_input", "email_text_input", "static_select", "checkboxes", "datetimepicker",
         "multi_users_select", "file_input", "number_input", "something_new"]
    ),
    JSON,
)  # fmt: skip
BLOCKS = st.sampled_from(
    ["f_summary", "f_description", "f_end_user_email", "f_category", "f_tier", "f_occurred_at",
     "f_screenshots", "f_note", "f_vendor_status", "f_vendor_ticket", "f_notes", "em_system",
     "em_case", "em_criteria", "em_page_again", "f_playbook", "nonsense"]
)  # fmt: skip


def test_modal_values(world, caplog):
    callbacks = ["escalate_intake", "escalate_pick_playbook", *CaseView, "emergency_page", "x"]

    @EXAMPLES
    @given(
        callback=st.sampled_from([str(c) for c in callbacks]),
        metadata=st.one_of(
            st.just(json.dumps({"playbook": "idv", "channel": "C0SUPPORT1"})),
            st.builds(lambda n: json.dumps({"case_id": n, "draft_id": n}), JSON),
            TEXT,
        ),
        values=st.dictionaries(BLOCKS, ELEMENTS, max_size=6),
        valid=st.booleans(),
    )
    def check(callback: str, metadata: str, values: dict, valid: bool) -> None:
        state = {**idv_values(), **values} if valid else values
        view = {"callback_id": callback, "private_metadata": metadata}
        _answered(world.sender.interactive(view_submission(view, state, user=AGENT)))

    check()
    _whole(world, caplog)


def test_block_action_values(world, caplog):
    @EXAMPLES
    @given(
        action_id=st.sampled_from(OUR_ACTIONS) | TEXT,
        value=IDS | st.builds(json.dumps, JSON),
        user=st.sampled_from([AGENT, "U0STRANGE1"]),
        extra=st.dictionaries(st.sampled_from(["channel", "user", "message", "actions"]), JSON),
    )
    def check(action_id: str, value: str, user: str, extra: dict) -> None:
        payload = block_actions(action_id, value, user=user, extra=extra or None)
        _answered(world.sender.interactive(payload))

    check()
    _whole(world, caplog)


def test_event_envelopes(world, caplog):
    with Session(world.services.engine) as session:
        case = session.exec(select(Case)).one()
    item = {"type": "message", "channel": case.channel_id, "ts": case.root_ts}

    @EXAMPLES
    @given(
        kind=st.sampled_from(["reaction_added", "reaction_removed", "message", "app_home_opened"]),
        reaction=st.sampled_from(["eyes", "white_check_mark", "repeat", "x"]) | JSON,
        fields=st.dictionaries(
            st.sampled_from(["user", "item", "channel", "ts", "thread_ts", "text", "subtype"]),
            JSON,
            max_size=3,
        ),
    )
    def check(kind: str, reaction: Any, fields: dict) -> None:
        event = {"type": kind, "user": AGENT, "reaction": reaction, "item": item, **fields}
        event.setdefault("channel", case.channel_id)
        _answered(world.sender.event(event))

    check()
    _whole(world, caplog)
