"""Issue 13 with the vendor's real emails (Dovecot on 127.0.0.1, read by the scheduler tick):
their request for details puts the case in *vendor needs info* with their words, and their
confirmation of a call-out is applied by a person, as every proposal is."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from slackbot.devtools.signed import view_submission
from slackbot.render.ids import CaseView, InboundAction, VendorAction
from slackbot.scheduler import run_tick
from storage.models import OutboxItem
from tests.support.env import smtp_env
from tests.support.inbound import (
    AGENT,
    STRANGER,
    blocks_of,
    button,
    case,
    deadlines,
    events,
    imap_env,
    inbound_rows,
    press,
    reply,
    send_handoff,
    thread_posts,
    wait_until,
)


@pytest.fixture
def mail_bot(make_bot, smtp, dovecot):
    return make_bot(**smtp_env(smtp), **imap_env(dovecot))


def _deliver(bot, raw: bytes, dovecot, clock) -> None:
    dovecot.append(raw)
    clock.advance(timedelta(minutes=5))
    run_tick(bot.services)


def _item_ts(bot, dedup_key: str) -> str:
    with Session(bot.services.engine) as session:
        item = session.exec(select(OutboxItem).where(OutboxItem.dedup_key == dedup_key)).one()
    return item.result["ts"]


def test_the_vendors_request_for_details_waits_on_us_with_their_words(
    mail_bot, fake_slack, smtp, dovecot, clock
):
    case_id, channel, root_ts, message_id = send_handoff(mail_bot, fake_slack, smtp)
    asked = "We need more details: could you please confirm the email used to sign up?"
    _deliver(mail_bot, reply(asked, in_reply_to=message_id), dovecot, clock)
    [row] = inbound_rows(mail_bot)
    [proposal] = thread_posts(fake_slack, root_ts, ":bulb:")
    assert "Mark as waiting on us" in json.dumps(blocks_of(proposal))
    ts = _item_ts(mail_bot, f"inbound-proposal:{row.id}")
    press(mail_bot, InboundAction.APPLY, str(row.id), channel=channel, ts=ts)
    wait_until(lambda: case(mail_bot, case_id).status == "vendor_needs_info")
    assert "confirm the email used to sign up" in case(mail_bot, case_id).needs_info
    clocks = deadlines(mail_bot, case_id)
    assert clocks["progress_update"].state == "cleared"
    assert clocks["our_reply"].state == "pending"

    # The reply with the details, previewed, then sent on their thread, hands the case back.
    press(mail_bot, VendorAction.SEND_DETAILS, str(case_id), channel=channel)
    view = fake_slack.wait_until(
        lambda c: (
            c.method == "views.open" and c.body["view"]["callback_id"] == CaseView.SEND_DETAILS
        ),
        "the details form",
    )[-1].body["view"]
    details = {"f_details": {"value": {"type": "plain_text_input", "value": "Signed up today."}}}
    assert mail_bot.sender.interactive(view_submission(view, details, user=AGENT)).status == 200
    preview = fake_slack.wait_for_post("Reply with the details")[-1]
    assert case(mail_bot, case_id).status == "vendor_needs_info"  # nothing left yet
    send = button(blocks_of(preview), "email_send")["value"]
    press(mail_bot, "email_send", send, channel=channel)
    mail = smtp.wait_for(2)[1].message
    assert mail["In-Reply-To"] == message_id
    assert "Signed up today." in mail.get_body(("plain",)).get_content()
    wait_until(lambda: case(mail_bot, case_id).status == "with_vendor")
    back = [e for e in events(mail_bot, case_id, "status_changed")][-1]
    assert (back.from_status, back.via) == ("vendor_needs_info", "email")
    clocks = deadlines(mail_bot, case_id)
    assert clocks["our_reply"].state == "cleared"
    assert clocks["progress_update"].state == "pending"


def test_the_vendors_email_confirming_a_call_out_is_applied_by_a_person(
    mail_bot, fake_slack, smtp, dovecot, clock
):
    case_id, channel, root_ts, message_id = send_handoff(mail_bot, fake_slack, smtp)
    press(mail_bot, VendorAction.REQUEST_CALLOUT, str(case_id), channel=channel)
    view = fake_slack.wait_until(
        lambda c: c.method == "views.open" and c.body["view"]["callback_id"] == CaseView.CALLOUT,
        "the call-out form",
    )[-1].body["view"]
    when = int((clock.now() + timedelta(days=1)).timestamp())
    picked = {"f_callout_at": {"value": {"type": "datetimepicker", "selected_date_time": when}}}
    assert mail_bot.sender.interactive(view_submission(view, picked, user=AGENT)).status == 200
    wait_until(lambda: case(mail_bot, case_id).callout_at is not None)

    confirmed = "Thanks: the call-out to the prescriber tomorrow at 09:00 is confirmed."
    _deliver(mail_bot, reply(confirmed, in_reply_to=message_id), dovecot, clock)
    [row] = inbound_rows(mail_bot)
    assert row.kind == "callout_confirmed"
    [proposal] = thread_posts(fake_slack, root_ts, ":bulb:")
    assert case(mail_bot, case_id).callout_confirmed_at is None  # nothing changes on its own
    apply = button(blocks_of(proposal), InboundAction.APPLY)["value"]
    ts = _item_ts(mail_bot, f"inbound-proposal:{row.id}")

    press(mail_bot, InboundAction.APPLY, apply, user=STRANGER, channel=channel, ts=ts)
    fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and c.body.get("user") == STRANGER, "a denial"
    )
    assert case(mail_bot, case_id).callout_confirmed_at is None
    press(mail_bot, InboundAction.APPLY, apply, channel=channel, ts=ts)
    wait_until(lambda: case(mail_bot, case_id).callout_confirmed_at is not None)
    [done] = events(mail_bot, case_id, "callout_confirmed")
    assert (done.actor, done.via) == (AGENT, "email")
    assert events(mail_bot, case_id, "proposal_applied")
    assert deadlines(mail_bot, case_id)["callout_confirmation"].state == "cleared"
    fake_slack.wait_for_post(f":telephone: <@{AGENT}>: the vendor confirmed the call-out")
