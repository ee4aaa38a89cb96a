"""End to end through the signed HTTP endpoint: /emergency → modal → page (or a refusal)."""

from __future__ import annotations

import time

import pytest
from sqlmodel import Session, select

from slackbot.devtools.pagerduty import start_fake_pagerduty
from slackbot.devtools.signed import block_actions, view_submission
from storage.models import Case, Page

ROUTING_KEY = "R0UTINGKEY0123456789abcdef012345"


@pytest.fixture
def fake_pd():
    state = start_fake_pagerduty()
    yield state
    state.stop()


@pytest.fixture
def paging_bot(make_bot, smtp, fake_pd):
    return make_bot(
        SMTP_HOST=smtp.host,
        SMTP_PORT=str(smtp.port),
        SMTP_SECURITY="none",
        EMAIL_FROM="escalations@example.com",
        PAGERDUTY_ROUTING_KEY=ROUTING_KEY,
        PAGERDUTY_EVENTS_URL=fake_pd.events_url,
        PAGERDUTY_API_URL=fake_pd.url,
    )


def text(value):
    return {"value": {"type": "plain_text_input", "value": value}}


def values(*, confirmed: bool, case: str = ""):
    return {
        "em_system": text("Identity verification API"),
        "em_what_is_down": text("Every verification returns 503"),
        "em_since": text("05:40 UTC"),
        "em_impact": text("No prescriber can verify"),
        "em_case": text(case),
        "em_criteria": {
            "value": {
                "type": "checkboxes",
                "selected_options": [{"value": "c0"}] if confirmed else [],
            }
        },
        "em_page_again": {"value": {"type": "checkboxes", "selected_options": []}},
    }


def open_modal(bot, fake_slack, text_=""):
    assert bot.sender.command("/emergency", text_).status == 200
    return fake_slack.wait_for("views.open")[-1].body["view"]


STRANGER = "U0STRANGE1"


def responders(bot, fake_slack, *users: str, case_id: int = 1) -> str:
    """Make `users` the members of the case's channel (its tier 1 responders); its channel."""
    with Session(bot.services.engine) as session:
        channel = session.get(Case, case_id).channel_id
    fake_slack.channel_members[channel] = list(users)
    return channel


def wait_until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def test_modal_shows_criteria_and_whether_normal_support_is_open(paging_bot, fake_slack):
    view = open_modal(paging_bot, fake_slack)
    assert view["callback_id"] == "emergency_page"
    blocks = {block.get("block_id"): block for block in view["blocks"]}
    options = blocks["em_criteria"]["element"]["options"]
    assert [o["text"]["text"] for o in options] == ["A production system is down and inoperative"]
    hint = view["blocks"][1]["elements"][0]["text"]
    assert "normal technical support is open right now" in hint
    assert "integration-engineer@idv-vendor.example.com" in hint


def test_unchecked_criterion_pages_nobody_and_says_why(paging_bot, fake_slack, fake_pd, smtp):
    view = open_modal(paging_bot, fake_slack)
    response = paging_bot.sender.interactive(view_submission(view, values(confirmed=False)))
    assert response.status == 200
    answer = response.json()
    assert answer["response_action"] == "errors"
    error = answer["errors"]["em_criteria"]
    assert error.startswith("Nobody was paged")
    assert "/escalate" in error and "technical escalation contacts" in error
    paging_bot.services.outbox.deliver_due()
    assert fake_pd.requests == []
    assert smtp.messages == []
    assert fake_slack.calls_to("chat.postMessage") == []
    with Session(paging_bot.services.engine) as session:
        assert session.exec(select(Case)).all() == []


def test_confirmed_emergency_pages_once_by_each_route_in_a_siren_thread(
    paging_bot, fake_slack, fake_pd, smtp
):
    view = open_modal(paging_bot, fake_slack)
    response = paging_bot.sender.interactive(view_submission(view, values(confirmed=True)))
    assert response.status == 200 and response.body in ("", "{}")

    [trigger] = fake_pd.wait_for_events(1)
    assert trigger.body["dedup_key"] == "ESC-1"
    assert trigger.body["routing_key"] == ROUTING_KEY
    assert trigger.body["payload"]["severity"] == "critical"
    [mail] = smtp.wait_for(1)
    assert mail.rcpt_tos == ["vendor-oncall@idv-vendor.pagerduty.example.com"]
    assert "ESC-1" in mail.message["Subject"]

    posts = fake_slack.wait_for("chat.postMessage", 2)
    root, siren = posts[0].body, posts[1].body
    assert "🚨" in root["text"]
    assert "emergency_page_on_call" in str(root["blocks"])
    assert siren["thread_ts"]
    assert siren["text"].startswith(":rotating_light: Emergency: on-call paged: ESC-1")
    assert "within 30 minutes" in str(siren["blocks"])
    assert "<@U0AGENT01>" in str(siren["blocks"])

    # Nothing more goes out for the same page.
    paging_bot.services.outbox.deliver_due()
    assert len(fake_pd.events()) == 1 and len(smtp.messages) == 1

    # On-call answers: the Acknowledged button in the thread.
    responders(paging_bot, fake_slack, "U0ONCALL1")
    page_id = siren["blocks"][1]["elements"][0]["value"]
    pressed = block_actions(
        "emergency_acknowledged", page_id, user="U0ONCALL1", message_ts="1700000000.000002"
    )
    assert paging_bot.sender.interactive(pressed).status == 200
    ack = fake_pd.wait_for_events(2)[1]
    assert ack.body == {
        "routing_key": ROUTING_KEY,
        "event_action": "acknowledge",
        "dedup_key": "ESC-1",
    }
    with Session(paging_bot.services.engine) as session:
        page = session.exec(select(Page)).one()
        assert page.acknowledged_by == "U0ONCALL1"


def test_unknown_case_is_a_field_error(paging_bot, fake_slack, fake_pd):
    view = open_modal(paging_bot, fake_slack)
    response = paging_bot.sender.interactive(
        view_submission(view, values(confirmed=True, case="ESC-99"))
    )
    assert "ESC-99" in response.json()["errors"]["em_case"]
    assert fake_pd.requests == []


def test_acknowledge_reaction_in_the_thread(paging_bot, fake_slack, fake_pd):
    view = open_modal(paging_bot, fake_slack)
    paging_bot.sender.interactive(view_submission(view, values(confirmed=True)))
    fake_pd.wait_for_events(1)

    def root_posted():
        with Session(paging_bot.services.engine) as session:
            case = session.get(Case, 1)
            return case is not None and case.root_ts is not None

    wait_until(root_posted)
    with Session(paging_bot.services.engine) as session:
        case = session.get(Case, 1)
        channel, ts = case.channel_id, case.root_ts
    responders(paging_bot, fake_slack, "U0ONCALL1")
    response = paging_bot.sender.event(
        {
            "type": "reaction_added",
            "user": "U0ONCALL1",
            "reaction": "eyes",
            "item": {"type": "message", "channel": channel, "ts": ts},
            "event_ts": "1700000001.000100",
        }
    )
    assert response.status == 200
    assert fake_pd.wait_for_events(2)[1].body["event_action"] == "acknowledge"


def test_page_on_call_button_and_page_again(paging_bot, fake_slack, fake_pd, smtp):
    view = open_modal(paging_bot, fake_slack)
    paging_bot.sender.interactive(view_submission(view, values(confirmed=True)))
    fake_pd.wait_for_events(1)
    posts = fake_slack.wait_for("chat.postMessage", 2)
    root = posts[0].body

    # The root message's button opens the modal for this case.
    button = next(b for b in root["blocks"] if b.get("block_id") == "case_emergency")
    value = button["elements"][0]["value"]
    assert (
        paging_bot.sender.interactive(block_actions("emergency_page_on_call", value)).status == 200
    )
    modal = fake_slack.wait_for("views.open", 2)[-1].body["view"]
    prefilled = next(b for b in modal["blocks"] if b.get("block_id") == "em_case")
    assert prefilled["element"]["initial_value"] == "ESC-1"

    # A second /emergency for the case within the window updates the same incident...
    paging_bot.sender.interactive(view_submission(modal, values(confirmed=True, case="ESC-1")))
    events = fake_pd.wait_for_events(2)
    assert [e.body["dedup_key"] for e in events] == ["ESC-1", "ESC-1"]
    with Session(paging_bot.services.engine) as session:
        assert len(session.exec(select(Page)).all()) == 1

    # ...unless someone explicitly chooses Page again.
    siren = fake_slack.wait_for("chat.postMessage", 2)[1].body
    page_id = siren["blocks"][1]["elements"][1]["value"]
    responders(paging_bot, fake_slack, "U0LEAD001")
    again = block_actions("emergency_page_again", page_id, user="U0LEAD001")
    assert paging_bot.sender.interactive(again).status == 200
    events = fake_pd.wait_for_events(3)
    assert events[2].body["dedup_key"] == "ESC-1/page-2"
    with Session(paging_bot.services.engine) as session:
        pages = session.exec(select(Page).order_by(Page.sequence)).all()
        assert [p.paged_by for p in pages] == ["U0AGENT01", "U0LEAD001"]


def test_emergency_with_a_case_id_prefills_it(paging_bot, fake_slack):
    view = open_modal(paging_bot, fake_slack, "ESC-5")
    prefilled = next(b for b in view["blocks"] if b.get("block_id") == "em_case")
    assert prefilled["element"]["initial_value"] == "ESC-5"


def _paged(bot, fake_slack, fake_pd):
    """A confirmed page; (channel, root ts, Acknowledged value, Page again value)."""
    view = open_modal(bot, fake_slack)
    bot.sender.interactive(view_submission(view, values(confirmed=True)))
    fake_pd.wait_for_events(1)
    siren = fake_slack.wait_for("chat.postMessage", 2)[1].body
    wait_until(lambda: _root_ts(bot) is not None)
    channel = responders(bot, fake_slack, "U0ONCALL1")
    buttons = siren["blocks"][1]["elements"]
    return channel, _root_ts(bot), buttons[0]["value"], buttons[1]["value"]


def _root_ts(bot):
    with Session(bot.services.engine) as session:
        case = session.get(Case, 1)
        return case.root_ts if case else None


def _pd_actions(fake_pd) -> list[str]:
    return [e.body.get("event_action") for e in fake_pd.events()]


@pytest.mark.parametrize("action_id", ["emergency_acknowledged", "emergency_page_again"])
def test_a_strangers_page_buttons_are_denied_and_pagerduty_hears_nothing(
    paging_bot, fake_slack, fake_pd, action_id
):
    channel, _, ack_value, again_value = _paged(paging_bot, fake_slack, fake_pd)
    value = ack_value if action_id == "emergency_acknowledged" else again_value
    pressed = block_actions(action_id, value, user=STRANGER, channel=channel)
    assert paging_bot.sender.interactive(pressed).status == 200
    denial = fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and c.body.get("user") == STRANGER,
        "a denial",
    )[-1]
    assert ":lock:" in denial.body["text"]
    paging_bot.services.outbox.deliver_due()
    assert _pd_actions(fake_pd) == ["trigger"]
    with Session(paging_bot.services.engine) as session:
        [page] = session.exec(select(Page)).all()
        assert page.acknowledged_at is None


def test_a_strangers_acknowledge_reaction_sends_pagerduty_nothing(paging_bot, fake_slack, fake_pd):
    channel, ts, _, _ = _paged(paging_bot, fake_slack, fake_pd)
    event = {
        "type": "reaction_added",
        "user": STRANGER,
        "reaction": "eyes",
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": "1700000001.000100",
    }
    assert paging_bot.sender.event(event).status == 200
    fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and c.body.get("user") == STRANGER,
        "the move's denial",
    )
    paging_bot.services.outbox.deliver_due()
    assert _pd_actions(fake_pd) == ["trigger"]
    with Session(paging_bot.services.engine) as session:
        assert session.exec(select(Page)).one().acknowledged_at is None


def test_the_person_who_paged_may_acknowledge_their_page(paging_bot, fake_slack, fake_pd):
    channel, _, ack_value, _ = _paged(paging_bot, fake_slack, fake_pd)
    pressed = block_actions("emergency_acknowledged", ack_value, user="U0AGENT01", channel=channel)
    assert paging_bot.sender.interactive(pressed).status == 200
    assert fake_pd.wait_for_events(2)[1].body["event_action"] == "acknowledge"


@pytest.mark.parametrize(
    ("field", "typed"),
    [
        ("em_what_is_down", "Patient SSN 123-45-6789 fails"),
        ("em_impact", "DOB 04/12/1961 users locked out"),
        ("em_system", "IDV for 123-45-6789"),
    ],
)
def test_emergency_refuses_pii_under_its_field_and_pages_nobody(
    paging_bot, fake_slack, fake_pd, field, typed
):
    view = open_modal(paging_bot, fake_slack)
    typed_values = {**values(confirmed=True), field: text(typed)}
    answer = paging_bot.sender.interactive(view_submission(view, typed_values)).json()
    assert answer["response_action"] == "errors" and "PII" in answer["errors"][field]
    assert fake_pd.requests == []
    with Session(paging_bot.services.engine) as session:
        assert session.exec(select(Page)).all() == []
