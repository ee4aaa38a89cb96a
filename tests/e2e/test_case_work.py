"""Issue 13 (waiting on us, reassign and edit, the vendor's own rules) through the signed HTTP
endpoint against the recording fake Slack: a case opened with /escalate, worked by reactions,
buttons, forms and commands, its clocks swept with the test's fixed clock."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from slackbot.devtools.signed import block_actions, view_submission
from slackbot.render.case_work_blocks import MANAGE_BLOCK_ID
from slackbot.render.ids import CaseAction, CaseView, VendorAction
from slackbot.usecases import deadlines
from storage.models import Case, CaseEvent, Deadline, OutboxItem
from tests.support.forms import idv_values

AGENT = "U0AGENT01"
DANA = "U0DANA001"
SAM = "U0SAM0001"
STRANGER = "U0STRANGE1"
ENGINEER = "U0ENGINEE1"
TIER3_GROUP = "S0TIER30001"


def text(value: str) -> dict:
    return {"value": {"type": "plain_text_input", "value": value}}


def select_(value: str) -> dict:
    return {"value": {"type": "static_select", "selected_option": {"value": value}}}


def wait_until(check, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


@pytest.fixture
def case(bot, fake_slack):
    """An idv case opened through the endpoint and handed to the vendor (📤 by Dana)."""
    bot.sender.command("/escalate", "idv")
    view = fake_slack.wait_for("views.open")[0].body["view"]
    bot.sender.interactive(view_submission(view, idv_values()))
    fake_slack.wait_for_post("Hand-off email")
    channel = fake_slack.channel_ids["#escalations-idv"]
    fake_slack.channel_members[channel] = [AGENT, DANA, SAM]
    fake_slack.usergroups[TIER3_GROUP] = [ENGINEER]
    case_id, root_ts = load(bot)[0].id, load(bot)[0].root_ts
    react(bot, "outbox_tray", channel, root_ts, event_id="EvHAND")
    wait_until(lambda: load(bot, case_id).status == "with_vendor")
    fake_slack.reset()
    return case_id, channel, root_ts


def load(bot, case_id: int | None = None):
    with Session(bot.services.engine) as session:
        if case_id is None:
            return list(session.exec(select(Case)).all())
        return session.get(Case, case_id)


def events(bot, case_id: int, kind: str | None = None) -> list[CaseEvent]:
    with Session(bot.services.engine) as session:
        found = session.exec(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        ).all()
    return [e for e in found if kind is None or e.kind == kind]


def clocks(bot, case_id: int) -> dict[str, Deadline]:
    with Session(bot.services.engine) as session:
        rows = session.exec(select(Deadline).where(Deadline.case_id == case_id)).all()
    return {row.kind: row for row in rows}


def react(
    bot, name: str, channel: str, ts: str, *, user=DANA, event_id: str, kind="reaction_added"
):
    event = {
        "type": kind,
        "user": user,
        "reaction": name,
        "item_user": "UBOT0001",
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": "1700000100.000100",
    }
    assert bot.sender.event(event, event_id=event_id).status == 200


def press(bot, action_id: str, value: str, *, user: str = DANA, channel: str):
    return bot.sender.interactive(block_actions(action_id, value, user=user, channel=channel))


def open_form(bot, fake_slack, action_id: str, case_id: int, callback: str, *, user=DANA, channel):
    before = len(fake_slack.calls_to("views.open"))
    press(bot, action_id, str(case_id), user=user, channel=channel)
    opened = fake_slack.wait_until(
        lambda c: c.method == "views.open" and c.body["view"]["callback_id"] == callback,
        f"the {callback} form",
    )
    assert len(fake_slack.calls_to("views.open")) > before
    return opened[-1].body["view"]


def submit(bot, view: dict, values: dict, *, user: str = DANA):
    response = bot.sender.interactive(view_submission(view, values, user=user))
    assert response.status == 200
    return response.json()


def sweep(bot, timeout: float = 5.0) -> int:
    """Sweep until something was acted on and then nothing more (on PostgreSQL a case locked
    by the listener's delivery is skipped until the next sweep)."""
    acted, deadline = 0, time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = deadlines.sweep(bot.services)
        acted += found
        if acted and not found:
            return acted
        time.sleep(0.05)
    return acted


def root_updates(fake_slack, root_ts: str) -> list[str]:
    return [
        json.dumps(c.body) for c in fake_slack.calls_to("chat.update") if c.body["ts"] == root_ts
    ]


def test_done_when_vendor_needs_info_pauses_their_clock_runs_ours_and_add_update_hands_back(
    bot, fake_slack, case, clock
):
    case_id, channel, root_ts = case
    assert clocks(bot, case_id)["progress_update"].state == "pending"
    view = open_form(
        bot, fake_slack, CaseAction.NEEDS_INFO, case_id, CaseView.NEEDS_INFO, channel=channel
    )
    refused = submit(bot, view, {"f_needs_info": text("Her SSN is 123-45-6789")})
    assert refused["response_action"] == "errors"
    assert "social security number" in refused["errors"]["f_needs_info"]
    assert load(bot, case_id).status == "with_vendor"

    submit(bot, view, {"f_needs_info": text("The sign-up email & the error's time")})
    stored = wait_until(lambda: (c := load(bot, case_id)).status == "vendor_needs_info" and c)
    assert stored.needs_info == "The sign-up email & the error's time"
    rows = clocks(bot, case_id)
    assert rows["progress_update"].state == "cleared"  # the vendor's clock is paused
    ours = rows["our_reply"]
    assert ours.state == "pending"
    # One business day of ours: Thursday, the same time (START is Wednesday 09:00 PST).
    assert ours.due_at.replace(tzinfo=None) == (clock.now() + timedelta(days=1)).replace(
        tzinfo=None
    )
    note = fake_slack.wait_for_post(f"<@{DANA}> moved ESC-{case_id} to vendor needs info")[-1]
    assert "What they asked for:\n>The sign-up email &amp; the error's time" in note.body["text"]
    wait_until(
        lambda: any("The vendor asked us for" in u for u in root_updates(fake_slack, root_ts))
    )

    clock.advance(timedelta(days=1, minutes=1))
    assert sweep(bot) == 1
    bot.services.outbox.deliver_due()
    reminder = fake_slack.wait_for_post(f"<@{DANA}> The vendor is waiting on us")[-1]
    assert CaseAction.ADD_UPDATE.value in json.dumps(reminder.body)
    assert "deadline_ask_vendor" not in json.dumps(reminder.body)  # nothing to ask them
    assert "deadline_escalate_leadership" not in json.dumps(reminder.body)

    press(bot, CaseAction.ADD_UPDATE, str(case_id), channel=channel)
    update = fake_slack.wait_until(
        lambda c: c.method == "views.open" and c.body["view"]["callback_id"] == "case_add_update",
        "the Add update form",
    )[-1].body["view"]
    submit(bot, update, {"f_note": text("Sent them the sign-up email's domain and the time.")})
    stored = wait_until(lambda: (c := load(bot, case_id)).status == "with_vendor" and c)
    back = events(bot, case_id, "status_changed")[-1]
    assert (back.from_status, back.to_status, back.detail.get("details_sent")) == (
        "vendor_needs_info",
        "with_vendor",
        True,
    )
    rows = clocks(bot, case_id)
    assert rows["our_reply"].state == "cleared"
    progress = rows["progress_update"]
    assert progress.state == "pending"
    assert progress.anchor_at.replace(tzinfo=None) == clock.now().replace(tzinfo=None)


def test_vendor_needs_info_by_reaction_and_by_command(bot, fake_slack, case):
    case_id, channel, root_ts = case
    react(bot, "question", channel, root_ts, event_id="EvASK1")
    wait_until(lambda: load(bot, case_id).status == "vendor_needs_info")
    note = fake_slack.wait_for_post(f"<@{DANA}> moved ESC-{case_id} to vendor needs info")[-1]
    assert "isn't recorded: say it in this thread" in note.body["text"]
    # Removing the reaction undoes it: the vendor's clocks run again, from now.
    react(bot, "question", channel, root_ts, event_id="EvUNDO1", kind="reaction_removed")
    wait_until(lambda: load(bot, case_id).status == "with_vendor")
    assert events(bot, case_id)[-1].kind == "undo"
    assert load(bot, case_id).needs_info_answered_at is not None
    assert clocks(bot, case_id)["progress_update"].state == "pending"
    assert clocks(bot, case_id)["our_reply"].state == "cleared"
    react(bot, "question", channel, root_ts, event_id="EvASK2")
    wait_until(lambda: load(bot, case_id).status == "vendor_needs_info")
    react(bot, "hourglass_flowing_sand", channel, root_ts, event_id="EvBACK1")
    wait_until(lambda: load(bot, case_id).status == "with_vendor")

    bot.sender.command(
        "/escalate", f"move ESC-{case_id} needs-info the prescriber's time zone", user=DANA
    )
    stored = wait_until(lambda: (c := load(bot, case_id)).status == "vendor_needs_info" and c)
    assert stored.needs_info == "the prescriber's time zone"
    assert clocks(bot, case_id)["our_reply"].state == "pending"
    bot.sender.command("/escalate", f"ticket ESC-{case_id} IDV-99", user=DANA)
    wait_until(lambda: load(bot, case_id).vendor_ticket == "IDV-99")
    assert load(bot, case_id).status == "vendor_needs_info"  # a ticket number is no details


def test_assign_by_command_and_by_the_select_is_recorded_and_refused_to_strangers(
    bot, fake_slack, case
):
    case_id, channel, root_ts = case
    assert load(bot, case_id).owner_id == DANA  # 📤 made Dana the owner
    answer = bot.sender.command("/escalate", f"assign ESC-{case_id} <@{SAM}|sam>", user=DANA)
    assert "Assigning" in answer.body
    wait_until(lambda: load(bot, case_id).owner_id == SAM)
    [assigned] = events(bot, case_id, "assigned")
    assert (assigned.actor, assigned.via) == (DANA, "command")
    assert (assigned.detail["from_owner"], assigned.detail["to_owner"]) == (DANA, SAM)
    fake_slack.wait_for_post(f":bust_in_silhouette: <@{DANA}> assigned ESC-{case_id} to <@{SAM}>")
    wait_until(lambda: any(f"<@{SAM}>" in u for u in root_updates(fake_slack, root_ts)))

    payload = block_actions(CaseAction.ASSIGN, "", user=SAM, channel=channel)
    payload["actions"][0].pop("value")  # a users select carries its pick, not a value
    payload["actions"][0].update(
        type="users_select", selected_user=AGENT, block_id=f"{MANAGE_BLOCK_ID}:{case_id}"
    )
    assert bot.sender.interactive(payload).status == 200
    wait_until(lambda: load(bot, case_id).owner_id == AGENT)
    assert [e.via for e in events(bot, case_id, "assigned")] == ["command", "button"]

    bot.sender.command("/escalate", f"assign ESC-{case_id} <@{DANA}>", user=STRANGER)
    denial = fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and c.body.get("user") == STRANGER, "a denial"
    )[-1]
    assert ":lock:" in denial.body["text"]
    bot.sender.command("/escalate", f"assign ESC-{case_id} <@{STRANGER}>", user=DANA)
    refusal = fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and "Can't assign" in c.body.get("text", ""),
        "a refusal to assign to someone outside the tier",
    )[-1]
    assert "not one of the case's current tier's responders" in refusal.body["text"]
    assert load(bot, case_id).owner_id == AGENT
    assert len(events(bot, case_id, "assigned")) == 2
    assert [e.detail["action"] for e in events(bot, case_id, "denied")] == ["assigned"]


def test_edit_case_uses_the_intake_checks_and_records_each_change(bot, fake_slack, case):
    case_id, channel, root_ts = case
    press(bot, CaseAction.EDIT, str(case_id), user=STRANGER, channel=channel)
    fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and c.body.get("user") == STRANGER, "a denial"
    )
    assert fake_slack.calls_to("views.open") == []  # no form for who may not edit

    view = open_form(bot, fake_slack, CaseAction.EDIT, case_id, CaseView.EDIT_CASE, channel=channel)
    summary = next(b for b in view["blocks"] if b.get("block_id") == "f_summary")
    assert summary["element"]["initial_value"] == "Prescriber cannot pass identity verification"
    form = {
        "f_summary": text("DOB 1/2/1960 fails"),
        "f_category": select_("other"),
        "f_tier": select_("1"),
        "f_priority": select_("high"),
        "f_requester_type": select_("Clinician"),
    }
    refused = submit(bot, view, form)
    assert refused["response_action"] == "errors" and "f_summary" in refused["errors"]
    assert events(bot, case_id, "case_edited") == []

    form["f_summary"] = text("Selfie step fails <after> the update")
    form["f_requester_type"] = select_("Coordinator")
    submit(bot, view, form)
    [edited] = wait_until(lambda: events(bot, case_id, "case_edited"))
    assert edited.detail["changes"] == {
        "summary": [
            "Prescriber cannot pass identity verification",
            "Selfie step fails <after> the update",
        ],
        "category": ["access", "other"],
        "requester_type": ["Clinician", "Coordinator"],
        # Left as it was, the priority follows the new (non-blocker) category.
        "priority": ["high", "normal"],
    }
    stored = load(bot, case_id)
    assert (stored.category, stored.priority, stored.requester_type) == (
        "other",
        "normal",
        "Coordinator",
    )
    note = fake_slack.wait_for_post(f":pencil2: <@{DANA}> edited ESC-{case_id}")[-1]
    assert "Selfie step fails &lt;after&gt; the update" in note.body["text"]
    wait_until(lambda: any("&lt;after&gt;" in u for u in root_updates(fake_slack, root_ts)))
    show = bot.sender.command("/escalate", f"show ESC-{case_id}", user=DANA).body
    assert "case edited (via modal): summary → Selfie step fails &lt;after&gt;" in show
    assert "category → other" in show


def test_a_requested_call_out_stays_requested_until_the_vendor_confirms_it(
    bot, fake_slack, case, clock
):
    case_id, channel, root_ts = case
    view = open_form(
        bot, fake_slack, VendorAction.REQUEST_CALLOUT, case_id, CaseView.CALLOUT, channel=channel
    )
    past = int((clock.now() - timedelta(hours=1)).timestamp())
    picker = {"type": "datetimepicker"}
    refused = submit(bot, view, {"f_callout_at": {"value": {**picker, "selected_date_time": past}}})
    assert refused["errors"]["f_callout_at"].startswith("That time has passed")
    when = clock.now() + timedelta(days=1)
    submit(
        bot,
        view,
        {"f_callout_at": {"value": {**picker, "selected_date_time": int(when.timestamp())}}},
    )
    wait_until(lambda: load(bot, case_id).callout_at is not None)
    wait_until(
        lambda: any("_requested_, not confirmed" in u for u in root_updates(fake_slack, root_ts))
    )
    assert clocks(bot, case_id)["callout_confirmation"].state == "pending"

    clock.advance(timedelta(hours=4, minutes=1))
    assert sweep(bot) == 2  # this one, and the vendor's acknowledgement
    bot.services.outbox.deliver_due()
    reminder = fake_slack.wait_for_post(f"<@{DANA}> The call-out time we asked the vendor for")
    assert "only a request" in reminder[-1].body["text"]

    press(bot, VendorAction.CALLOUT_CONFIRMED, str(case_id), user=STRANGER, channel=channel)
    fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and c.body.get("user") == STRANGER, "a denial"
    )
    assert load(bot, case_id).callout_confirmed_at is None
    press(bot, VendorAction.CALLOUT_CONFIRMED, str(case_id), channel=channel)
    wait_until(lambda: load(bot, case_id).callout_confirmed_at is not None)
    assert [e.kind for e in events(bot, case_id) if e.kind.startswith("callout")] == [
        "callout_requested",
        "callout_confirmed",
    ]
    assert clocks(bot, case_id)["callout_confirmation"].state == "cleared"
    wait_until(
        lambda: any("confirmed by the vendor" in u for u in root_updates(fake_slack, root_ts))
    )


def _compose_items(bot) -> list[OutboxItem]:
    with Session(bot.services.engine) as session:
        return list(session.exec(select(OutboxItem).where(OutboxItem.kind == "email.compose")))


def test_the_technical_escalation_waits_for_our_engineers_assessment(bot, fake_slack, case):
    case_id, channel, root_ts = case
    press(bot, VendorAction.TECHNICAL_WAITS, str(case_id), channel=channel)
    why = fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and "Not yet" in c.body.get("text", ""),
        "why the technical escalation waits",
    )[-1]
    assert "Engineering assessed" in why.body["text"]
    composed = len(_compose_items(bot))
    press(bot, VendorAction.TECHNICAL, str(case_id), channel=channel)  # a stale button
    fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and c.body.get("text", "").startswith("Not yet"),
        "the refusal of a technical escalation before the assessment",
    )
    assert len(_compose_items(bot)) == composed

    view = open_form(
        bot, fake_slack, VendorAction.ASSESSED, case_id, CaseView.ASSESSMENT, channel=channel
    )
    submit(
        bot, view, {"f_assessment": text("Their API rejects the selfie upload.")}
    )  # Dana: tier 1
    fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and ":lock:" in c.body.get("text", ""),
        "a denial for someone outside the engineering tier",
    )
    assert load(bot, case_id).assessed_at is None
    submit(bot, view, {"f_assessment": text("Their API rejects the selfie upload.")}, user=ENGINEER)
    stored = wait_until(lambda: (c := load(bot, case_id)).assessed_at is not None and c)
    assert (stored.assessed_by, stored.assessment) == (
        ENGINEER,
        "Their API rejects the selfie upload.",
    )
    fake_slack.wait_for_post(f":microscope: <@{ENGINEER}> recorded our engineers' assessment")
    wait_until(
        lambda: any(
            f'"{VendorAction.TECHNICAL.value}"' in u and VendorAction.TECHNICAL_WAITS.value not in u
            for u in root_updates(fake_slack, root_ts)
        )
    )
    press(bot, VendorAction.TECHNICAL, str(case_id), channel=channel)
    fake_slack.wait_for_post("Escalation to vendor technical contacts email")
    assert len(_compose_items(bot)) == composed + 1
