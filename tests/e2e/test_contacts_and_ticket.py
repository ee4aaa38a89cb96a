"""`/escalate contacts` and `/escalate ticket` through the signed HTTP endpoint, against the
recording fake Slack."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from slackbot.devtools.signed import view_submission
from slackbot.devtools.slack_api import Failure
from storage.models import Case, CaseEvent
from tests.support.forms import idv_values

AGENT = "U0AGENT01"
DANA = "U0DANA001"
STRANGER = "U0STRANGE1"
TIER2 = "U0TIER2001"
#: Sunday 22 November 2026, 12:00 in New York: the platform team is closed.
SUNDAY_NOON = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)


@pytest.fixture
def case(bot, fake_slack):
    """A case opened with /escalate, its root message posted; returns (case id, channel, root ts)."""
    bot.sender.command("/escalate", "idv")
    view = fake_slack.wait_for("views.open")[0].body["view"]
    bot.sender.interactive(view_submission(view, idv_values()))
    root = fake_slack.wait_for("chat.postMessage", 2)[0]
    channel = fake_slack.channel_ids["#escalations-idv"]
    fake_slack.channel_members[channel] = [AGENT, DANA]
    fake_slack.usergroups["S0TIER20001"] = [TIER2]
    with Session(bot.services.engine) as session:
        stored = session.exec(select(Case)).one()
        assert stored.root_ts is not None
    fake_slack.wait_for("chat.postEphemeral")  # the opener's confirmation: the thread is done
    fake_slack.reset()
    assert root.body["channel"] == "#escalations-idv"
    return stored.id, channel, stored.root_ts


def load(bot, case_id: int) -> tuple[Case, list[CaseEvent]]:
    with Session(bot.services.engine) as session:
        stored = session.get(Case, case_id)
        events = session.exec(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        ).all()
        return stored, list(events)


# --- /escalate contacts ------------------------------------------------------------------------


def test_contacts_for_one_playbook_answer_ephemerally_in_the_response(bot, fake_slack):
    response = bot.sender.command("/escalate", "contacts idv")
    assert response.status == 200
    text = response.body
    assert text.startswith("*Identity verification vendor* (`idv`)")
    assert "ehr-support@idv-vendor.example.com" in text
    assert (
        "• Integration engineer, Sales Integration Engineer · "
        "integration-engineer@idv-vendor.example.com"
    ) in text
    assert "• Ours: 05:00–17:00 America/Los_Angeles, Mon–Fri (open now)" in text
    assert "• Theirs: 24x7x365 :large_green_circle: open now" in text
    assert "PagerDuty and email to vendor-oncall@idv-vendor.pagerduty.example.com" in text
    assert "Use `/emergency` only when: A production system is down and inoperative." in text
    # The answer is the HTTP response itself: nothing posted, nothing stored.
    assert fake_slack.calls_to("chat.postEphemeral") == []
    assert fake_slack.calls_to("chat.postMessage") == []


def test_contacts_without_a_playbook_list_every_playbook_that_has_any(bot):
    text = bot.sender.command("/escalate", "contacts").body
    assert "(`idv`)" in text and "(`assister`)" in text and "(`tier3`)" not in text
    assert "1-555-555-0100" in text
    assert "no emergency route" in text


def test_contacts_say_whether_their_side_is_open_by_the_bots_clock(bot, clock):
    theirs = "• Theirs: 08:00–18:00 America/New_York, Mon–Fri"
    open_ = bot.sender.command("/escalate", "contacts tier3").body
    assert f"{theirs} :large_green_circle: open now" in open_
    clock.set(SUNDAY_NOON)
    closed = bot.sender.command("/escalate", "contacts tier3").body
    assert f"{theirs} :red_circle: closed now; opens Mon 23 Nov 08:00 America/New_York" in closed


def test_contacts_for_an_unknown_playbook_name_the_valid_ids(bot):
    text = bot.sender.command("/escalate", "contacts nope").body
    assert text == "There is no playbook `nope`; use one of `idv`, `tier3`, `assister`."


def test_help_lists_both_subcommands(bot):
    text = bot.sender.command("/escalate", "help").body
    assert "/escalate contacts [playbook]" in text
    assert "/escalate ticket ESC-42 <vendor ticket>" in text


# --- /escalate ticket --------------------------------------------------------------------------
# Opening a case may post or edit other things (the hand-off email draft, …): these tests look
# for the calls and events the ticket command makes, not for the only ones.


def wait_for_text(fake_slack, method: str, fragment: str):
    """The latest call to `method` whose text or blocks contain `fragment` (waits for it)."""
    count = 1
    while True:
        calls = fake_slack.wait_for(method, count)
        found = [
            c for c in calls if fragment in str(c.body.get("text")) + str(c.body.get("blocks"))
        ]
        if found:
            return found[-1]
        count = len(calls) + 1


def texts(fake_slack, method: str) -> str:
    return " ".join(
        str(c.body.get("text")) + str(c.body.get("blocks")) for c in fake_slack.calls_to(method)
    )


def of_kind(events: list[CaseEvent], *kinds: str) -> list[CaseEvent]:
    return [e for e in events if e.kind in kinds]


def test_a_responder_records_the_vendor_ticket_and_the_root_message_shows_it(bot, fake_slack, case):
    case_id, channel, root_ts = case
    response = bot.sender.command("/escalate", f"ticket ESC-{case_id} IDV-777", user=DANA)
    assert response.status == 200
    assert response.body == (
        f"Recording vendor ticket IDV-777 on ESC-{case_id}; the case thread will say."
    )
    # The root message is edited after the update is committed.
    edit = wait_for_text(fake_slack, "chat.update", "IDV-777")
    assert edit.body["ts"] == root_ts
    stored, events = load(bot, case_id)
    assert stored.vendor_ticket == "IDV-777"
    assert stored.last_update_at is not None
    [update] = of_kind(events, "update", "denied")
    assert (update.via, update.actor) == ("command", DANA)
    assert update.detail == {"vendor_ticket": "IDV-777"}
    note = wait_for_text(fake_slack, "chat.postMessage", "added an update").body
    assert note["thread_ts"] == root_ts
    assert note["text"].startswith(
        f":memo: <@{DANA}> added an update to ESC-{case_id}: vendor ticket *IDV-777*"
    )
    assert ":lock:" not in texts(fake_slack, "chat.postEphemeral")


def test_someone_who_is_not_a_responder_is_denied_and_nothing_changes(bot, fake_slack, case):
    case_id, channel, root_ts = case
    before, _ = load(bot, case_id)
    response = bot.sender.command("/escalate", f"ticket ESC-{case_id} IDV-999", user=STRANGER)
    assert response.status == 200 and "IDV-999" in response.body
    denial = wait_for_text(fake_slack, "chat.postEphemeral", ":lock:").body
    assert denial["user"] == STRANGER
    assert f"Only Tier 1 support (this channel) can add updates to ESC-{case_id}" in denial["text"]
    assert "Nothing changed" in denial["text"]
    stored, events = load(bot, case_id)
    assert (stored.vendor_ticket, stored.last_update_at) == (None, None)
    assert stored.version == before.version
    [denied] = of_kind(events, "update", "denied")
    assert (denied.kind, denied.actor, denied.via) == ("denied", STRANGER, "command")
    assert denied.detail["action"] == "update"
    assert "IDV-999" not in texts(fake_slack, "chat.update")
    assert "added an update" not in texts(fake_slack, "chat.postMessage")


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("ticket", "Usage: `/escalate ticket ESC-42 <vendor ticket>`"),
        ("ticket IDV-777", "Usage: `/escalate ticket ESC-42 <vendor ticket>`"),
        ("ticket ESC-{id}", "Usage: `/escalate ticket ESC-42 <vendor ticket>`"),
        ("ticket ESC-99 IDV-777", "There is no case ESC-99. Usage:"),
        ("ticket ESC-{id} IDV 777", "A ticket number has no spaces, e.g. 12345 or ABC-123."),
        ("ticket ESC-{id} " + "X" * 65, "Keep it to 64 characters (this is 65)."),
    ],
)
def test_bad_usage_gets_a_usage_line_and_changes_nothing(bot, fake_slack, case, words, expected):
    case_id, channel, root_ts = case
    response = bot.sender.command("/escalate", words.format(id=case_id), user=DANA)
    assert response.status == 200
    assert expected in response.body
    assert "Recording" not in response.body
    # Refusals are synchronous: a valid request afterwards is the only one that reaches the case.
    bot.sender.command("/escalate", f"ticket ESC-{case_id} IDV-1", user=DANA)
    wait_for_text(fake_slack, "chat.update", "IDV-1")
    stored, events = load(bot, case_id)
    assert stored.vendor_ticket == "IDV-1"
    assert [e.detail for e in of_kind(events, "update", "denied")] == [{"vendor_ticket": "IDV-1"}]
    assert len(fake_slack.calls_to("conversations.members")) == 1


def test_when_slack_will_not_list_the_responders_the_asker_is_told(bot, fake_slack, case):
    case_id, channel, root_ts = case
    fake_slack.fail("conversations.members", Failure(error="internal_error"))
    response = bot.sender.command("/escalate", f"ticket ESC-{case_id} IDV-777", user=DANA)
    assert "Recording vendor ticket IDV-777" in response.body
    told = wait_for_text(fake_slack, "chat.postEphemeral", "Could not record").body
    assert told["user"] == DANA and told["channel"] == "C0SUPPORT1"
    assert f"Could not record the vendor ticket on ESC-{case_id}" in told["text"]
    stored, events = load(bot, case_id)
    assert stored.vendor_ticket is None and of_kind(events, "update", "denied") == []


def test_a_later_ticket_replaces_the_earlier_one(bot, fake_slack, case):
    case_id, channel, root_ts = case
    bot.sender.command("/escalate", f"ticket esc-{case_id} IDV-1", user=DANA)
    wait_for_text(fake_slack, "chat.update", "IDV-1")
    bot.sender.command("/escalate", f"ticket ESC-{case_id} IDV-2", user=DANA)
    wait_for_text(fake_slack, "chat.update", "IDV-2")
    stored, events = load(bot, case_id)
    assert stored.vendor_ticket == "IDV-2"
    assert [e.detail for e in of_kind(events, "update")] == [
        {"vendor_ticket": "IDV-1"},
        {"vendor_ticket": "IDV-2"},
    ]
