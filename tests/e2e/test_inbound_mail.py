"""Vendors' replies read from a real IMAP server (Dovecot on 127.0.0.1) through the real
scheduler tick, posted to the fake Slack, and decided on through the signed HTTP endpoint."""

from __future__ import annotations

import logging
import threading
import urllib.request
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from slackbot.devtools.signed import view_submission
from slackbot.devtools.slack_api import Failure
from slackbot.domain.clock import ensure_utc
from slackbot.render.ids import InboundAction, VendorAction
from slackbot.scheduler import run_tick
from slackbot.usecases import inbound_mail
from slackbot.usecases.inbound_poll import mailbox_status
from storage.models import OutboxItem
from tests.support.closing import note_form, note_values
from tests.support.env import smtp_env
from tests.support.inbound import (
    AGENT,
    DANA,
    STRANGER,
    UNMATCHED_CHANNEL,
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

ACK = (
    "Hello,\n\nThank you for contacting support. Your ticket number is 4455667.\n"
    "We will be in touch.\n\nOn Wed, Nov 18, 2026 at 9:00 AM Sam Agent wrote:\n> the hand-off"
)


@pytest.fixture
def mail_bot(make_bot, smtp, dovecot):
    return make_bot(**smtp_env(smtp), **imap_env(dovecot))


def test_done_when_an_acknowledgement_reply_lands_in_the_thread_with_its_ticket_and_clocks(
    mail_bot,
    fake_slack,
    smtp,
    dovecot,
    clock,
):
    case_id, channel, root_ts, message_id = send_handoff(mail_bot, fake_slack, smtp)
    before = deadlines(mail_bot, case_id)
    assert before["vendor_ack"].state == "pending"
    handed_off = ensure_utc(case(mail_bot, case_id).handed_off_at)
    assert ensure_utc(before["progress_update"].anchor_at) == handed_off

    dovecot.append(reply(ACK, in_reply_to=message_id))
    clock.advance(timedelta(minutes=30))
    run_tick(mail_bot.services)

    [post] = thread_posts(fake_slack, root_ts, "Email from")
    text = str(post.body)
    assert "ehr-support@idv-vendor.example.com" in text
    assert "Your ticket number is 4455667" in text
    assert "the hand-off" not in text  # the quoted history is trimmed
    assert "pat@clinic.example.com" not in text  # contact values hidden in the channel
    assert case(mail_bot, case_id).vendor_ticket == "4455667"
    after = deadlines(mail_bot, case_id)
    assert after["vendor_ack"].state == "cleared"
    assert ensure_utc(after["progress_update"].anchor_at) == clock.now()
    [update] = events(mail_bot, case_id, "update")
    assert update.detail["reply_kind"] == "acknowledgement"
    assert [row.status for row in inbound_rows(mail_bot)] == ["posted"]


def _item_ts(bot, dedup_key: str) -> str:
    """The ts Slack gave the message an outbox item posted."""
    with Session(bot.services.engine) as session:
        item = session.exec(select(OutboxItem).where(OutboxItem.dedup_key == dedup_key)).one()
    assert item.state == "done", item.last_error
    return item.result["ts"]


def _edits(fake_slack, ts: str) -> list:
    """The edits of message `ts` that Slack took (a refused one edits nothing)."""
    return [
        call
        for call in fake_slack.calls_to("chat.update")
        if call.body.get("ts") == ts and call.error is None
    ]


def _deliver(bot, raw: bytes, dovecot, clock, minutes: int = 5):
    dovecot.append(raw)
    clock.advance(timedelta(minutes=minutes))
    run_tick(bot.services)


def test_a_progress_update_moves_the_progress_clock_and_goes_in_the_history(
    mail_bot,
    fake_slack,
    smtp,
    dovecot,
    clock,
):
    case_id, _, root_ts, message_id = send_handoff(mail_bot, fake_slack, smtp)
    _deliver(mail_bot, reply(ACK, in_reply_to=message_id), dovecot, clock)
    first = ensure_utc(deadlines(mail_bot, case_id)["progress_update"].anchor_at)
    clock.advance(timedelta(hours=20))
    progress = "We reached the prescriber and are walking them through the document step."
    _deliver(mail_bot, reply(progress, in_reply_to=message_id), dovecot, clock)
    row = deadlines(mail_bot, case_id)["progress_update"]
    assert ensure_utc(row.anchor_at) == clock.now() > first
    assert row.state == "pending" and row.misses == 0
    assert ensure_utc(row.expires_at) == clock.now() + timedelta(hours=24)
    updates = events(mail_bot, case_id, "update")
    assert [u.detail["reply_kind"] for u in updates] == ["acknowledgement", "progress"]
    assert progress in updates[-1].detail["text"]
    assert ensure_utc(case(mail_bot, case_id).last_update_at) == clock.now()
    assert len(thread_posts(fake_slack, root_ts, "Email from")) == 2
    # A progress update proposes nothing.
    assert not [c for c in thread_posts(fake_slack, root_ts, ":bulb:")]


PROPOSALS = {
    "needs_info": (
        "We need more details before we go on. Could you please confirm the sign-up email?",
        "vendor_needs_info",
    ),
    "resolved": ("The issue has been resolved: the prescriber verified today.", "resolved"),
    "not_our_issue": (
        "After review this is not an identity verification issue; it is on your side.",
        "returned",
    ),
    "unreachable": (
        "We were unable to reach the prescriber and closed the ticket at 72 hours. Please "
        "reply to this email to reopen it.",
        "closed_unreachable",
    ),
}


@pytest.mark.parametrize("kind", list(PROPOSALS))
def test_each_proposal_applied_by_a_responder_and_refused_to_a_stranger(
    kind,
    mail_bot,
    fake_slack,
    smtp,
    dovecot,
    clock,
):
    body, status = PROPOSALS[kind]
    case_id, channel, root_ts, message_id = send_handoff(mail_bot, fake_slack, smtp)
    _deliver(mail_bot, reply(body, in_reply_to=message_id), dovecot, clock)
    [row] = inbound_rows(mail_bot)
    assert (row.status, row.kind) == ("posted", kind)
    [proposal] = thread_posts(fake_slack, root_ts, ":bulb:")
    blocks = blocks_of(proposal)
    assert case(mail_bot, case_id).status == "with_vendor"  # nothing moves on its own
    ts = _item_ts(mail_bot, f"inbound-proposal:{row.id}")
    apply = button(blocks, InboundAction.APPLY)["value"]

    press(mail_bot, InboundAction.APPLY, apply, user=STRANGER, channel=channel, ts=ts)
    denial = fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and c.body.get("user") == STRANGER,
        "a denial for the stranger",
    )[-1]
    assert ":lock:" in denial.body["text"]
    assert case(mail_bot, case_id).status == "with_vendor"
    assert "denied" in [e.kind for e in events(mail_bot, case_id)]

    press(mail_bot, InboundAction.APPLY, apply, channel=channel, ts=ts)
    if kind == "resolved":  # a resolve closes with its note (issue 13): Apply opens its form
        assert case(mail_bot, case_id).status == "with_vendor"
        form = note_form(fake_slack)
        assert mail_bot.sender.interactive(view_submission(form, note_values())).status == 200
    wait_until(lambda: events(mail_bot, case_id, "proposal_applied"))
    assert case(mail_bot, case_id).status == status
    mail_bot.services.outbox.deliver_due()
    [edited] = wait_until(lambda: _edits(fake_slack, ts))
    assert "applied by <@U0AGENT01>" in str(edited.body) or "is getting them" in str(edited.body)
    assert InboundAction.APPLY not in str(edited.body)
    if kind == "unreachable":  # Reopen with vendor stays one click away
        assert button(blocks_of(edited), VendorAction.REOPEN)["value"] == str(case_id)
    if kind == "needs_info":  # the vendor's words are what they asked for (issue 13)
        assert "confirm the sign-up email" in (case(mail_bot, case_id).needs_info or "")
    # A second Apply changes nothing and says so.
    press(mail_bot, InboundAction.APPLY, apply, user=DANA, channel=channel, ts=ts)
    fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and "already" in c.body.get("text", ""),
        "an 'already applied' answer",
    )
    assert len(events(mail_bot, case_id, "proposal_applied")) == 1


@pytest.mark.parametrize("kind", list(PROPOSALS))
def test_each_proposal_ignored_changes_nothing(
    kind,
    mail_bot,
    fake_slack,
    smtp,
    dovecot,
    clock,
):
    case_id, channel, root_ts, message_id = send_handoff(mail_bot, fake_slack, smtp)
    _deliver(mail_bot, reply(PROPOSALS[kind][0], in_reply_to=message_id), dovecot, clock)
    [row] = inbound_rows(mail_bot)
    ts = _item_ts(mail_bot, f"inbound-proposal:{row.id}")
    press(mail_bot, InboundAction.IGNORE, str(row.id), user=DANA, channel=channel, ts=ts)
    [ignored] = wait_until(lambda: events(mail_bot, case_id, "proposal_ignored"))
    assert ignored.actor == DANA
    assert case(mail_bot, case_id).status == "with_vendor"
    [edited] = wait_until(lambda: _edits(fake_slack, ts))
    assert "ignored by <@U0DANA001>" in str(edited.body)
    press(mail_bot, InboundAction.APPLY, str(row.id), channel=channel, ts=ts)
    fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and "already" in c.body.get("text", ""),
        "an 'already ignored' answer",
    )
    assert case(mail_bot, case_id).status == "with_vendor"


def _unmatched_post(fake_slack):
    inbox = fake_slack.channel_ids[UNMATCHED_CHANNEL]
    return [
        call
        for call in fake_slack.calls_to("chat.postMessage")
        if call.body.get("channel") in (UNMATCHED_CHANNEL, inbox)
    ]


UNMATCHED = (
    "Hello, a prescriber called us about a verification problem.\n"
    "Their email is robin.placeholder@example.com and phone 555-555-0199.\n"
    "Date of birth 01/02/1970.\nPlease advise."
)


def test_an_unmatched_email_goes_to_the_channel_and_is_attached_by_button(
    mail_bot,
    fake_slack,
    smtp,
    dovecot,
    clock,
):
    case_id, channel, root_ts, _ = send_handoff(mail_bot, fake_slack, smtp)
    _deliver(mail_bot, reply(UNMATCHED, subject="Question from a prescriber"), dovecot, clock)
    [row] = inbound_rows(mail_bot)
    assert row.status == "unmatched" and row.case_id is None
    [summary] = _unmatched_post(fake_slack)
    shown = str(summary.body)
    assert "ehr-support@idv-vendor.example.com" in shown and "Question from a prescriber" in shown
    for private in ("robin.placeholder@example.com", "555-555-0199", "01/02/1970"):
        assert private not in shown
    assert not thread_posts(fake_slack, root_ts, "Email from")
    # Slack's button payload names the channel by id, whatever name the bot posted to.
    inbox = fake_slack.channel_ids[UNMATCHED_CHANNEL]
    ts = _item_ts(mail_bot, f"inbound-unmatched:{row.id}")
    attach = button(blocks_of(summary), InboundAction.ATTACH)["value"]

    press(mail_bot, InboundAction.ATTACH, attach, channel=inbox, ts=ts)
    view = fake_slack.wait_for("views.open", 2)[-1].body["view"]  # after the intake form's
    assert view["callback_id"] == "inbound_attach_case"
    typed = {"f_case": {"value": {"type": "plain_text_input", "value": "ESC-999"}}}
    answer = mail_bot.sender.interactive(view_submission(view, typed))
    assert "There is no case ESC-999" in answer.body  # refused in the form
    typed["f_case"]["value"]["value"] = f"esc-{case_id}"
    assert mail_bot.sender.interactive(view_submission(view, typed)).status == 200
    [post] = wait_until(lambda: thread_posts(fake_slack, root_ts, "Email from"))
    assert "Please advise." in str(post.body) and "Attached from the unmatched" in str(post.body)
    [row] = inbound_rows(mail_bot)
    assert (row.status, row.case_id) == ("posted", case_id)
    assert [u.actor for u in events(mail_bot, case_id, "update")] == [AGENT]
    [edited] = wait_until(lambda: _edits(fake_slack, ts))
    assert f"attached to ESC-{case_id}" in str(edited.body)
    # Attaching twice is refused: the email is in one case.
    press(mail_bot, InboundAction.ATTACH, attach, channel=inbox, ts=ts)
    fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and "already" in c.body.get("text", ""),
        "an 'already attached' answer",
    )


def test_an_unmatched_email_ignored_stays_out_of_every_case(
    mail_bot,
    fake_slack,
    dovecot,
    clock,
):
    _deliver(
        mail_bot, reply("Newsletter: our holiday hours.", subject="Holiday hours"), dovecot, clock
    )
    [row] = inbound_rows(mail_bot)
    [summary] = _unmatched_post(fake_slack)
    ts = _item_ts(mail_bot, f"inbound-unmatched:{row.id}")
    inbox = fake_slack.channel_ids[UNMATCHED_CHANNEL]
    press(mail_bot, InboundAction.DISMISS, str(row.id), channel=inbox, ts=ts)
    wait_until(lambda: inbound_rows(mail_bot)[0].status == "ignored")
    [edited] = wait_until(lambda: _edits(fake_slack, ts))
    assert "ignored by <@U0AGENT01>" in str(edited.body)
    assert inbound_rows(mail_bot)[0].reason == f"ignored by {AGENT}"


def test_duplicates_a_restart_and_two_pollers_process_each_message_once(
    make_bot,
    smtp,
    fake_slack,
    dovecot,
    clock,
):
    bot = make_bot(**smtp_env(smtp), **imap_env(dovecot))
    case_id, _, root_ts, message_id = send_handoff(bot, fake_slack, smtp)
    raw = reply(ACK, in_reply_to=message_id, message_id="<ack-1@idv-vendor.example.com>")
    dovecot.append(raw)
    dovecot.append(raw)  # delivered twice: the same Message-ID
    clock.advance(timedelta(minutes=5))
    run_tick(bot.services)
    assert len(inbound_rows(bot)) == 1
    assert len(thread_posts(fake_slack, root_ts, "Email from")) == 1

    bot.stop()
    restarted = make_bot(**smtp_env(smtp), **imap_env(dovecot))
    clock.advance(timedelta(minutes=5))
    run_tick(restarted.services)
    assert len(thread_posts(fake_slack, root_ts, "Email from")) == 1

    other = make_bot(**smtp_env(smtp), **imap_env(dovecot))  # a second replica
    for number in range(6):
        dovecot.append(reply(f"Still working on it ({number}).", in_reply_to=message_id))
    clock.advance(timedelta(minutes=5))
    threads = [
        threading.Thread(target=run_tick, args=(services,))
        for services in (restarted.services, other.services) * 2
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    clock.advance(timedelta(minutes=5))
    run_tick(other.services)
    assert len(inbound_rows(bot)) == 7
    assert len(thread_posts(fake_slack, root_ts, "Email from")) == 7
    assert len(events(bot, case_id, "update")) == 7


def test_a_uidvalidity_change_rereads_the_folder_without_reposting(
    make_bot,
    fake_slack,
    smtp,
    dovecot,
    clock,
    caplog,
):
    # INBOX cannot be deleted: a folder of its own that the server rebuilds.
    dovecot.create_folder("Vendors")
    bot = make_bot(**smtp_env(smtp), **imap_env(dovecot), IMAP_FOLDER="Vendors")
    case_id, _, root_ts, message_id = send_handoff(bot, fake_slack, smtp)
    old = [
        reply(ACK, in_reply_to=message_id, message_id="<ack@idv-vendor.example.com>"),
        reply("Working on it.", in_reply_to=message_id, message_id="<p1@idv-vendor.example.com>"),
    ]
    for raw in old:
        dovecot.append(raw, folder="Vendors")
    clock.advance(timedelta(minutes=5))
    run_tick(bot.services)
    first_validity = inbound_rows(bot)[0].uidvalidity
    assert len(thread_posts(fake_slack, root_ts, "Email from")) == 2

    assert dovecot.recreate_folder("Vendors") != first_validity
    for raw in old:  # the server rebuilt the folder: the same mail under new UIDs
        dovecot.append(raw, folder="Vendors")
    dovecot.append(reply("Not resolved yet.", in_reply_to=message_id), folder="Vendors")
    clock.advance(timedelta(minutes=5))
    with caplog.at_level(logging.WARNING, logger="slackbot.usecases.inbound_poll"):
        run_tick(bot.services)
    assert "UIDVALIDITY changed" in caplog.text
    assert len(thread_posts(fake_slack, root_ts, "Email from")) == 3
    assert len(inbound_rows(bot)) == 3
    assert len(events(bot, case_id, "update")) == 3
    assert inbound_rows(bot)[-1].uidvalidity != first_validity


def _raw(headers: list[str], body: bytes) -> bytes:
    return "\r\n".join(headers).encode("utf-8") + b"\r\n\r\n" + body


def test_malformed_and_automatic_mail_is_handled_and_never_stops_the_poller(
    mail_bot,
    fake_slack,
    smtp,
    dovecot,
    clock,
):
    case_id, _, root_ts, message_id = send_handoff(mail_bot, fake_slack, smtp)
    key = f"ESC-{case_id}"
    vendor = "From: IDV Vendor Support <ehr-support@idv-vendor.example.com>"
    huge = b"\x00" * (10 * 1024 * 1024 + 10)
    mails = {
        "bad charset": _raw(
            [vendor, f"Subject: Re: {key} charset", "Message-ID: <cs@idv-vendor.example.com>",
             "Content-Type: text/plain; charset=x-no-such-charset"],
            "We looked into it — café".encode("cp1252"),
        ),
        "8-bit header": _raw(
            [vendor, f"Subject: Re: {key} Größe ok", "Message-ID: <h8@idv-vendor.example.com>"],
            b"Header test.",
        ),
        "html only": reply(
            "",
            subject=f"Re: {key} html",
            html="<p>We are <b>still</b> checking.</p><blockquote>old text</blockquote>",
            message_id="<html@idv-vendor.example.com>",
        ),
        "no message-id": _raw([vendor, f"Subject: Re: {key} no id"], b"No id here."),
        "attachments": reply(
            "See the files.",
            subject=f"Re: {key} files",
            message_id="<files@idv-vendor.example.com>",
            attachments=[("screen.png", "image/png", b"\x89PNG small"),
                         ("dump.bin", "application/octet-stream", huge)],
        ),
        "auto-reply": reply(
            "I am out of the office.",
            subject=f"Automatic reply: {key}",
            headers={"Auto-Submitted": "auto-replied"},
            message_id="<ooo@idv-vendor.example.com>",
        ),
        "bounce": _raw(
            ["From: Mail Delivery System <mailer-daemon@idv-vendor.example.com>",
             f"Subject: Undelivered Mail Returned to Sender {key}",
             "Message-ID: <bounce@idv-vendor.example.com>",
             'Content-Type: multipart/report; report-type=delivery-status; boundary="b"'],
            b"--b\r\nContent-Type: text/plain\r\n\r\nIt bounced.\r\n--b--\r\n",
        ),
        "our own": _raw(
            ["From: escalations@example.com", f"Subject: {key}",
             "Message-ID: <own@elsewhere.example.org>"],
            b"Our own copy.",
        ),
    }  # fmt: skip
    for raw in mails.values():
        dovecot.append(raw)
    clock.advance(timedelta(minutes=5))
    run_tick(mail_bot.services)

    rows = inbound_rows(mail_bot)
    assert [row.status for row in rows] == ["posted"] * 5 + ["skipped"] * 3
    assert "auto reply" in rows[5].reason and "bounce" in rows[6].reason
    assert "own mail" in rows[7].reason
    posts = {str(p.body.get("text")): p for p in thread_posts(fake_slack, root_ts, "Email from")}
    assert len(posts) == 5
    shown = " ".join(str(p.body) for p in posts.values())
    assert "caf" in shown and "unknown charset" in shown  # read, and the guess is said
    assert "Größe" in shown
    assert "still" in shown and "old text" not in shown  # HTML converted, quote trimmed
    assert "No id here." in shown
    assert "dump.bin" in shown and "Not uploaded" in shown
    assert "I am out of the office" not in shown and "It bounced" not in shown
    [completion] = fake_slack.calls_to("files.completeUploadExternal")
    assert completion.body["thread_ts"] == root_ts
    assert list(fake_slack.uploads.values()) == [b"\x89PNG small"]
    with Session(mail_bot.services.engine) as session:
        upload = session.exec(select(OutboxItem).where(OutboxItem.kind == "slack.upload")).one()
    assert upload.state == "done" and "data" not in upload.payload  # the bytes left the database


def test_a_message_that_cannot_be_processed_is_failed_reported_once_and_the_next_goes_on(
    mail_bot,
    fake_slack,
    smtp,
    dovecot,
    clock,
    monkeypatch,
):
    case_id, _, root_ts, message_id = send_handoff(mail_bot, fake_slack, smtp)
    real = inbound_mail.post_matched

    def breaks_on_boom(services, session, *, mail, **kwargs):
        if "BOOM" in mail.subject:
            raise RuntimeError("the renderer fell over")
        return real(services, session, mail=mail, **kwargs)

    monkeypatch.setattr(inbound_mail, "post_matched", breaks_on_boom)
    dovecot.append(reply("First.", subject="Re: BOOM", in_reply_to=message_id))
    dovecot.append(reply("Second.", in_reply_to=message_id))
    clock.advance(timedelta(minutes=5))
    run_tick(mail_bot.services)
    clock.advance(timedelta(minutes=5))
    run_tick(mail_bot.services)
    failed, posted = inbound_rows(mail_bot)
    assert (failed.status, posted.status) == ("failed", "posted")
    assert "RuntimeError: the renderer fell over" in failed.reason
    reports = [c for c in _unmatched_post(fake_slack) if "could not be processed" in c.body["text"]]
    assert len(reports) == 1 and "the renderer fell over" in reports[0].body["text"]
    [post] = thread_posts(fake_slack, root_ts, "Email from")
    assert "Second." in str(post.body)  # nothing of the failed one was posted
    assert len(events(mail_bot, case_id, "update")) == 1


def _healthz(bot) -> int:
    base = bot.url.rsplit("/slack/events", 1)[0]
    with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
        return response.status


def test_the_server_down_then_back_is_logged_once_and_reading_resumes(
    mail_bot,
    fake_slack,
    smtp,
    dovecot,
    clock,
    caplog,
):
    case_id, _, root_ts, message_id = send_handoff(mail_bot, fake_slack, smtp)
    dovecot.stop()
    with caplog.at_level(logging.WARNING, logger="slackbot.usecases.inbound_poll"):
        for _ in range(4):
            clock.advance(timedelta(minutes=1))
            run_tick(mail_bot.services)
            assert _healthz(mail_bot) == 200  # mail is not the database
    down = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(down) == 1
    since, error = mailbox_status(mail_bot.services)
    assert since is not None and "connecting to" in error
    caplog.clear()

    dovecot.start()
    dovecot.append(reply("Back with news.", in_reply_to=message_id))
    clock.advance(timedelta(minutes=15))
    with caplog.at_level(logging.WARNING, logger="slackbot.usecases.inbound_poll"):
        run_tick(mail_bot.services)
    assert "reachable again" in caplog.text
    assert mailbox_status(mail_bot.services) == (None, None)
    [post] = thread_posts(fake_slack, root_ts, "Email from")
    assert "Back with news." in str(post.body)


def test_a_refused_login_is_logged_once_and_retried_with_backoff(
    make_bot,
    dovecot,
    clock,
    caplog,
):
    bot = make_bot(**{**imap_env(dovecot), "IMAP_PASSWORD": "not-the-password"})
    dovecot.append(reply("Hello.", subject="Anything"))
    with caplog.at_level(logging.WARNING, logger="slackbot.usecases.inbound_poll"):
        run_tick(bot.services)
        run_tick(bot.services)  # inside the backoff: not even tried
        clock.advance(timedelta(minutes=2))
        run_tick(bot.services)
    assert len([r for r in caplog.records if "unreachable" in r.getMessage()]) == 1
    _, error = mailbox_status(bot.services)
    assert "logging in as" in error and "not-the-password" not in caplog.text
    assert inbound_rows(bot) == []


def test_view_full_email_shows_contact_details_to_a_responder_only(
    mail_bot,
    fake_slack,
    smtp,
    dovecot,
    clock,
):
    case_id, channel, root_ts, message_id = send_handoff(mail_bot, fake_slack, smtp)
    body = "We will call pat@clinic.example.com at 555-555-0102 tomorrow."
    _deliver(mail_bot, reply(body, in_reply_to=message_id), dovecot, clock)
    [post] = thread_posts(fake_slack, root_ts, "Email from")
    assert "pat@clinic.example.com" not in str(post.body) and "555-555-0102" not in str(post.body)
    view = button(blocks_of(post), InboundAction.VIEW)["value"]
    press(mail_bot, InboundAction.VIEW, view, user=STRANGER, channel=channel)
    fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and c.body.get("user") == STRANGER,
        "a denial",
    )
    press(mail_bot, InboundAction.VIEW, view, user=DANA, channel=channel)
    [full] = fake_slack.wait_until(
        lambda c: (
            c.method == "chat.postEphemeral"
            and c.body.get("user") == DANA
            and "only you can see" in c.body.get("text", "")
        ),
        "the full email for Dana",
    )
    assert "pat@clinic.example.com" in full.body["text"]
    viewed = events(mail_bot, case_id, "email_viewed")
    assert [e.actor for e in viewed] == [DANA]
    stranger = [e for e in events(mail_bot, case_id, "denied") if e.actor == STRANGER]
    assert stranger


def test_the_first_read_of_a_folder_skips_mail_from_before_the_bot_had_it(
    mail_bot, fake_slack, smtp, dovecot, clock
):
    case_id, _, root_ts, message_id = send_handoff(mail_bot, fake_slack, smtp)
    old = reply(
        "An old thread.", subject=f"Re: ESC-{case_id}", message_id="<old@idv-vendor.example.com>"
    )
    old = old.replace(b"Date: Wed, 18 Nov 2026", b"Date: Sun, 01 Nov 2026")
    dovecot.append(old)
    dovecot.append(reply("Fresh news.", in_reply_to=message_id))
    clock.advance(timedelta(minutes=5))
    run_tick(mail_bot.services)
    skipped, posted = inbound_rows(mail_bot)
    assert (skipped.status, posted.status) == ("skipped", "posted")
    assert "before the bot first read it" in skipped.reason
    [post] = thread_posts(fake_slack, root_ts, "Email from")
    assert "Fresh news." in str(post.body)


def test_needs_info_while_the_vendor_contacts_the_user_waits_on_us(
    mail_bot, fake_slack, smtp, dovecot, clock
):
    case_id, channel, root_ts, message_id = send_handoff(mail_bot, fake_slack, smtp)
    mail_bot.sender.command(
        "/escalate", f"move ESC-{case_id} vendor_contacting_user", channel=channel
    )
    wait_until(lambda: case(mail_bot, case_id).status == "vendor_contacting_user")
    _deliver(mail_bot, reply(PROPOSALS["needs_info"][0], in_reply_to=message_id), dovecot, clock)
    [row] = inbound_rows(mail_bot)
    [proposal] = thread_posts(fake_slack, root_ts, ":bulb:")
    assert "mark as vendor needs info from us" in proposal.body["text"]
    ts = _item_ts(mail_bot, f"inbound-proposal:{row.id}")
    press(mail_bot, InboundAction.APPLY, str(row.id), channel=channel, ts=ts)
    wait_until(lambda: case(mail_bot, case_id).status == "vendor_needs_info")
    [applied] = events(mail_bot, case_id, "proposal_applied")
    assert applied.detail["action"] == "vendor_needs_info"


def test_an_upload_slack_refuses_is_said_in_the_thread_and_its_bytes_go(
    mail_bot, fake_slack, smtp, dovecot, clock
):
    case_id, _, root_ts, message_id = send_handoff(mail_bot, fake_slack, smtp)
    fake_slack.fail("files.getUploadURLExternal", Failure(error="file_uploads_disabled"))
    files = [("screen.png", "image/png", b"\x89PNG small")]
    _deliver(
        mail_bot, reply("See attached.", in_reply_to=message_id, attachments=files), dovecot, clock
    )
    [warning] = thread_posts(fake_slack, root_ts, ":warning: Could not upload screen.png")
    assert "file_uploads_disabled" in warning.body["text"]
    with Session(mail_bot.services.engine) as session:
        upload = session.exec(select(OutboxItem).where(OutboxItem.kind == "slack.upload")).one()
    assert upload.state == "failed" and "data" not in upload.payload
    assert fake_slack.uploads == {}
