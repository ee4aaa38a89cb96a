"""The stranger, end to end (issue 11's *done when*): a workspace member who is not in the case's
channel, did not open it, does not own it and is no responder of its tier, tries every button,
reaction, modal submission and command on a case and on its page, through the signed endpoint.

Each attempt is refused (a denial logged and told to them alone, or a command's answer), and in
the end: no row changed but those denials (a snapshot of every table, before and after), no
outbox item but the denials to them, no email at the SMTP server, no PagerDuty call, no modal
opened, and nothing sent to the stranger holds a contact value. The reminders' buttons of a
fast-clock playbook are in test_strangers.py.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from sqlmodel import Session, SQLModel, select

from slackbot.devtools.pagerduty import start_fake_pagerduty
from slackbot.devtools.signed import block_actions, view_submission
from slackbot.domain.playbooks import DEFAULT_PLAYBOOKS_PATH
from slackbot.render.case_blocks import build_add_update_modal
from slackbot.render.email_blocks import build_edit_modal, build_not_vendor_modal
from slackbot.render.reminders import ReminderAction, button_value
from storage.db import write_session
from storage.models import Case, CaseEvent, Deadline, EmailDraft, OutboxItem, Page
from tests.support.env import smtp_env
from tests.support.forms import idv_values

AGENT = "U0AGENT01"
DANA = "U0DANA001"
STRANGER = "U0STRANGE1"
ROUTING_KEY = "R0UTINGKEY0123456789abcdef012345"
#: The contact values the idv form was filled with (tests/support/forms.py).
CONTACT_VALUES = ("pat@clinic.example.com", "555-555-0102", "+1 555 555 0101")
#: Request bookkeeping, not the case's state: a request is recorded whoever sends it.
BOOKKEEPING = {"inbox", "processed_event", "alembic_version"}
REACTIONS = [
    "eyes",
    "outbox_tray",
    "hourglass_flowing_sand",
    "telephone_receiver",
    "arrow_up",
    "no_entry_sign",
    "white_check_mark",
    "repeat",
]
MOVES = ["acknowledge", "hand_to_vendor", "escalate", "resolve", "reopen", "close_unreachable"]


@pytest.fixture
def fake_pd():
    state = start_fake_pagerduty()
    yield state
    state.stop()


@pytest.fixture
def world(make_bot, smtp, fake_pd, fake_slack):
    """A case opened by the agent through the form, its hand-off previewed, and a page for it."""
    return _world(make_bot, smtp, fake_pd, fake_slack)


def _world(make_bot, smtp, fake_pd, fake_slack, **env: str):
    bot = make_bot(
        **smtp_env(smtp),
        PAGERDUTY_ROUTING_KEY=ROUTING_KEY,
        PAGERDUTY_EVENTS_URL=fake_pd.events_url,
        PAGERDUTY_API_URL=fake_pd.url,
        **env,
    )
    bot.sender.command("/escalate", "idv")
    intake = fake_slack.wait_for("views.open")[-1].body["view"]
    assert bot.sender.interactive(view_submission(intake, idv_values())).status == 200
    fake_slack.wait_for_post("Hand-off email")
    channel = fake_slack.channel_ids["#escalations-idv"]
    fake_slack.channel_members[channel] = [AGENT, DANA]
    bot.sender.command("/emergency", "ESC-1")
    emergency = fake_slack.wait_for("views.open", 2)[-1].body["view"]
    assert bot.sender.interactive(view_submission(emergency, _emergency_values())).status == 200
    fake_pd.wait_for_events(1)
    _wait(lambda: _one(bot, Page) is not None and _one(bot, Case).root_ts is not None)
    _settle(bot)
    return bot, channel


def _emergency_values() -> dict[str, Any]:
    def plain(value: str) -> dict[str, Any]:
        return {"value": {"type": "plain_text_input", "value": value}}

    def boxes(chosen: list[str]) -> dict[str, Any]:
        return {"value": {"type": "checkboxes", "selected_options": [{"value": v} for v in chosen]}}

    return {
        "em_system": plain("Identity verification API"),
        "em_what_is_down": plain("Every verification returns 503"),
        "em_since": plain("05:40 UTC"),
        "em_impact": plain("No prescriber can verify"),
        "em_case": plain("ESC-1"),
        "em_criteria": boxes(["c0"]),
        "em_page_again": boxes([]),
    }


def _wait(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def _one(bot, model):
    with Session(bot.services.engine) as session:
        return session.exec(select(model).order_by(model.id)).first()


def _settle(bot) -> None:
    """Deliver everything due until nothing is pending (so states are stable to compare)."""
    for _ in range(50):
        bot.services.outbox.deliver_due()
        with Session(bot.services.engine) as session:
            pending = session.exec(
                select(OutboxItem).where(OutboxItem.state.in_(("pending", "in_flight")))
            ).all()
        if not pending:
            return
        time.sleep(0.05)
    raise AssertionError("the outbox did not settle")


def _snapshot(bot) -> dict[str, set[tuple]]:
    """Every row of every table (request bookkeeping aside), as comparable tuples."""
    rows: dict[str, set[tuple]] = {}
    with Session(bot.services.engine) as session:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in BOOKKEEPING:
                continue
            found = session.execute(select(table)).all()
            rows[table.name] = {tuple(json.dumps(v, default=str) for v in row) for row in found}
    return rows


def _denials(bot) -> list[CaseEvent]:
    with Session(bot.services.engine) as session:
        return list(
            session.exec(
                select(CaseEvent).where(CaseEvent.kind == "denied", CaseEvent.actor == STRANGER)
            ).all()
        )


def _ids(bot) -> dict[str, str]:
    with Session(bot.services.engine) as session:
        case = session.exec(select(Case)).one()
        draft = session.exec(select(EmailDraft)).one()
        page = session.exec(select(Page)).one()
        deadline = session.exec(select(Deadline).where(Deadline.case_id == case.id)).first()
    return {
        "case": str(case.id),
        "draft": str(draft.id),
        "page": str(page.id),
        "reminder": button_value(deadline_id=deadline.id, case_id=case.id) if deadline else "",
        "root_ts": case.root_ts,
    }


BUTTONS = [
    ("case_acknowledge", "case"),
    ("case_escalate", "case"),
    ("case_resolve", "case"),
    ("case_reopen", "case"),
    ("case_add_update", "case"),
    ("vendor_preview_handoff", "case"),
    ("vendor_reopen", "case"),
    ("vendor_leadership", "case"),
    ("vendor_technical", "case"),
    ("vendor_not_their_issue", "case"),
    ("email_send", "draft"),
    ("email_edit", "draft"),
    ("email_view", "draft"),
    ("emergency_acknowledged", "page"),
    ("emergency_page_again", "page"),
    (ReminderAction.ASK_VENDOR.value, "reminder"),
    (ReminderAction.ESCALATE_LEADERSHIP.value, "reminder"),
    (ReminderAction.CALLBACK_DONE.value, "reminder"),
]


def _modals(bot) -> list[dict[str, Any]]:
    """The case's modals as the stranger would submit them (their private_metadata included)."""
    with Session(bot.services.engine) as session:
        case = session.exec(select(Case)).one()
        draft = session.exec(select(EmailDraft)).one()
        playbook = bot.services.playbooks.get(case.playbook_id)
        update = build_add_update_modal(case)
        not_theirs = build_not_vendor_modal(case)
        not_theirs["private_metadata"] = json.dumps({"case_id": case.id})
        edit = build_edit_modal(draft, case, playbook)
        edit["private_metadata"] = json.dumps({"draft_id": draft.id})

    def plain(value: str) -> dict[str, Any]:
        return {"value": {"type": "plain_text_input", "value": value}}

    return [
        view_submission(
            update, {"f_vendor_ticket": plain("V-9"), "f_note": plain("done")}, user=STRANGER
        ),
        view_submission(not_theirs, {"f_notes": plain("They say it is ours")}, user=STRANGER),
        view_submission(edit, idv_values(f_description=plain("Changed")), user=STRANGER),
    ]


def _to_stranger(fake_slack, since: int) -> list[Any]:
    """Every call to Slack since `since` that shows something to the stranger."""
    return [
        call
        for call in fake_slack.calls[since:]
        if STRANGER in (call.body.get("user"), call.body.get("channel"))
    ]


def test_a_stranger_is_refused_everything_on_a_case_and_its_page(world, fake_slack, smtp, fake_pd):
    bot, channel = world
    ids = _ids(bot)
    before = _snapshot(bot)
    emails, pages = len(smtp.messages), len(fake_pd.events())
    modals_opened, calls_before = len(fake_slack.calls_to("views.open")), len(fake_slack.calls)
    last_item = _last_outbox_id(bot)
    answers: list[str] = []
    expected = 0

    def refused(response) -> None:
        nonlocal expected
        assert response.status == 200
        expected += 1
        _wait(lambda: len(_denials(bot)) == expected)

    for action_id, kind in BUTTONS:
        if not ids[kind]:
            continue  # a playbook without reminders for this case: nothing to press
        pressed = block_actions(action_id, ids[kind], user=STRANGER, channel=channel)
        refused(bot.sender.interactive(pressed))
    for name in REACTIONS:
        event = {
            "type": "reaction_added",
            "user": STRANGER,
            "reaction": name,
            "item": {"type": "message", "channel": channel, "ts": ids["root_ts"]},
            "event_ts": "1700000100.000100",
        }
        refused(bot.sender.event(event))
    for submission in _modals(bot):
        refused(bot.sender.interactive(submission))
    for move in MOVES:
        answer = bot.sender.command("/escalate", f"move ESC-1 {move}", user=STRANGER)
        answers.append(answer.body)
        refused(answer)
    answer = bot.sender.command("/escalate", "ticket ESC-1 V-77", user=STRANGER)
    answers.append(answer.body)
    refused(answer)

    shown = bot.sender.command("/escalate", "show ESC-1", user=STRANGER).body
    listed = bot.sender.command("/escalate", "list all", user=STRANGER).body
    assert "ESC-1 exists, but you can't see it" in shown and f"<#{channel}>" in shown
    assert "Prescriber cannot pass" not in shown + listed and "1 more open case" in listed

    _settle(bot)
    # Refused, and told who may act, in messages only the stranger sees.
    told = [c.body["text"] for c in _to_stranger(fake_slack, calls_before) if "text" in c.body]
    denials = [t for t in told if t.startswith(":lock: Only ")]
    assert len(denials) == expected, told
    assert any("can edit the emails of ESC-1" in t for t in denials)
    assert any("can acknowledge the page for ESC-1" in t for t in denials)
    # Nothing changed but the denials and their ephemeral answers.
    after = _snapshot(bot)
    for table, rows in after.items():
        added, removed = rows - before[table], before[table] - rows
        assert not removed, (table, removed)
        if table not in ("case_event", "outbox"):
            assert not added, (table, added)
    with Session(bot.services.engine) as session:
        fresh = session.exec(select(OutboxItem).where(OutboxItem.id > last_item)).all()
    assert {item.kind for item in fresh} <= {"slack.ephemeral"}
    assert all(item.payload.get("user") == STRANGER for item in fresh)
    assert len(after["case_event"] - before["case_event"]) == expected
    assert len(smtp.messages) == emails and len(fake_pd.events()) == pages
    assert len(fake_slack.calls_to("views.open")) == modals_opened
    # And nothing the stranger was sent or answered holds a contact value.
    seen = json.dumps([c.body for c in _to_stranger(fake_slack, calls_before)]) + "".join(answers)
    seen += shown + listed
    for value in CONTACT_VALUES:
        assert value not in seen


def _last_outbox_id(bot) -> int:
    with Session(bot.services.engine) as session:
        return max(session.exec(select(OutboxItem.id)).all(), default=0)


def test_the_vendor_email_names_the_opener_whoever_redrafts_and_sends_it(world, fake_slack, smtp):
    bot, channel = world
    ids = _ids(bot)
    redraft = block_actions("vendor_preview_handoff", ids["case"], user=DANA, channel=channel)
    assert bot.sender.interactive(redraft).status == 200
    _wait(lambda: len(_drafts(bot)) == 2)
    _settle(bot)
    newest = _drafts(bot)[-1]
    assert newest.created_by == DANA and newest.sender["user_id"] == AGENT
    sent_before = len(smtp.messages)  # the page's email route wrote to the vendor already
    send = block_actions("email_send", str(newest.id), user=DANA, channel=channel)
    assert bot.sender.interactive(send).status == 200
    _wait(lambda: len(smtp.messages) == sent_before + 1)
    message = smtp.messages[-1].message
    assert message["Subject"].startswith("AcmeEHR; XQ123;")
    assert "u0agent01@" in message["Reply-To"] and "u0dana001" not in str(message).lower()
    with Session(bot.services.engine) as session:
        queued = session.exec(select(CaseEvent).where(CaseEvent.kind == "email_queued")).one()
    assert queued.actor == DANA  # who pressed Send is in the history


def _drafts(bot) -> list[EmailDraft]:
    with Session(bot.services.engine) as session:
        return list(session.exec(select(EmailDraft).order_by(EmailDraft.id)).all())


@pytest.fixture
def on_call_world(make_bot, smtp, fake_pd, fake_slack, tmp_path):
    """As `world`, with the idv playbook naming an on-call group for its emergencies."""
    shipped = DEFAULT_PLAYBOOKS_PATH.read_text(encoding="utf-8")
    marker = 'dedup_window = "4h"\n'
    assert marker in shipped
    path = tmp_path / "playbooks.toml"
    path.write_text(shipped.replace(marker, marker + 'responders = "S0ONCALL01"\n', 1), "utf-8")
    fake_slack.usergroups["S0ONCALL01"] = ["U0ONCALL1"]
    return _world(make_bot, smtp, fake_pd, fake_slack, ESCALATION_PLAYBOOKS=str(path))


def test_with_an_on_call_group_it_answers_the_page_and_the_tier_does_not(
    on_call_world, fake_slack, fake_pd
):
    bot, channel = on_call_world
    page = _ids(bot)["page"]
    pressed = block_actions("emergency_acknowledged", page, user=DANA, channel=channel)
    assert bot.sender.interactive(pressed).status == 200  # a tier responder, not on call
    _wait(lambda: len(_denials_of(bot, DANA)) == 1)
    fake_slack.wait_until(
        lambda c: (
            c.method == "chat.postEphemeral"
            and "Only the person who paged or on-call (<!subteam^S0ONCALL01>) can acknowledge"
            in c.body.get("text", "")
        ),
        "the denial",
    )
    assert len(fake_pd.events()) == 1
    pressed = block_actions("emergency_acknowledged", page, user="U0ONCALL1", channel=channel)
    assert bot.sender.interactive(pressed).status == 200
    assert fake_pd.wait_for_events(2)[1].body["event_action"] == "acknowledge"


def _denials_of(bot, user: str) -> list[CaseEvent]:
    with Session(bot.services.engine) as session:
        return list(
            session.exec(
                select(CaseEvent).where(CaseEvent.kind == "denied", CaseEvent.actor == user)
            ).all()
        )


def test_show_answers_the_channel_and_the_tier_whoever_else_asks(world, fake_slack):
    bot, channel = world
    with write_session(bot.services.engine) as session:
        session.exec(select(Case)).one().tier = 2  # tier 2 answers through a user group
    fake_slack.usergroups["S0TIER20001"] = ["U0TIER2001"]
    for user in (DANA, "U0TIER2001", AGENT):  # in the channel; in the tier; the opener
        shown = bot.sender.command("/escalate", "show ESC-1", user=user).body
        assert "Prescriber cannot pass" in shown and "History" in shown, user
    hidden = bot.sender.command("/escalate", "show ESC-1", user=STRANGER).body
    assert "ESC-1 exists, but you can't see it" in hidden
    assert "Prescriber cannot pass" not in hidden
