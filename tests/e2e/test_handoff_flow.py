"""Handing a case to the vendor by email, end to end: a case opened through the signed endpoint,
its preview in the thread, Send / Edit / View, and the email at a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from slackbot.devtools.signed import block_actions, view_submission
from slackbot.devtools.slack_api import Failure
from slackbot.outbound.profiles import ProfileCache
from slackbot.render.ids import CaseView, EmailAction, VendorAction
from slackbot.usecases.vendor_email import preview_key
from storage.db import write_session
from storage.models import Case, CaseEvent, EmailDraft, OutboxItem
from tests.support.env import smtp_env
from tests.support.forms import idv_values

AGENT = "U0AGENT01"
DANA = "U0DANA001"
STRANGER = "U0STRANGE1"
SUBJECT = "AcmeEHR; XQ123; pat@clinic.example.com"


@pytest.fixture
def mail_bot(make_bot, smtp):
    return make_bot(**smtp_env(smtp))


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def blocks_of(call) -> list[dict]:
    blocks = call.body.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def open_case(bot, fake_slack, **overrides):
    """Open an idv case through the endpoint; return (case id, channel, root ts, preview call)."""
    bot.sender.command("/escalate", "idv")
    view = fake_slack.wait_for("views.open")[-1].body["view"]
    assert bot.sender.interactive(view_submission(view, idv_values(**overrides))).status == 200
    preview = fake_slack.wait_for_post("Hand-off email")[-1]
    channel = fake_slack.channel_ids["#escalations-idv"]
    fake_slack.channel_members[channel] = [AGENT, DANA]
    with Session(bot.services.engine) as session:
        case = session.exec(select(Case).order_by(Case.id.desc())).first()
    return case.id, channel, case.root_ts, preview


def button(blocks: list[dict], action_id: str) -> dict:
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} button in {[b.get('block_id') for b in blocks]}")


def press(bot, action_id: str, value: str, *, user: str = AGENT, channel: str = "C00000001"):
    return bot.sender.interactive(block_actions(action_id, value, user=user, channel=channel))


def drafts(bot, case_id: int) -> list[EmailDraft]:
    with Session(bot.services.engine) as session:
        return list(
            session.exec(
                select(EmailDraft).where(EmailDraft.case_id == case_id).order_by(EmailDraft.id)
            ).all()
        )


def events(bot, case_id: int) -> list[CaseEvent]:
    with Session(bot.services.engine) as session:
        return list(
            session.exec(
                select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
            ).all()
        )


def preview_update(bot, fake_slack, draft_id: int, says: str):
    """The edit of a draft's preview (found by the ts its post returned) that says `says`."""

    def posted():
        with Session(bot.services.engine) as session:
            item = session.exec(
                select(OutboxItem).where(OutboxItem.dedup_key == preview_key(draft_id))
            ).first()
        return item.result.get("ts") if item is not None and item.state == "done" else None

    ts = wait_until(posted)
    return fake_slack.wait_until(
        lambda c: c.method == "chat.update" and c.body.get("ts") == ts and says in dumps(c.body),
        f"the preview of draft {draft_id} edited to say {says!r}",
    )[-1]


def action_ids(blocks: list[dict]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def wait_until(check, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def test_done_when_send_to_vendor_delivers_one_email_with_every_required_field(
    mail_bot, fake_slack, smtp
):
    case_id, channel, root_ts, preview = open_case(mail_bot, fake_slack)
    blocks = blocks_of(preview)
    rendered = dumps(blocks)
    # The whole channel reads the preview: contact details are hidden there.
    assert preview.body["thread_ts"] == root_ts
    assert "ehr-support@idv-vendor.example.com" in rendered
    assert "pat@clinic.example.com" not in rendered and "555-555-0102" not in rendered
    assert "AcmeEHR; XQ123; •••" in rendered
    assert smtp.messages == []  # nothing leaves until someone confirms

    send = button(blocks, EmailAction.SEND)
    assert "confirm" in send
    assert press(mail_bot, EmailAction.SEND, send["value"], channel=channel).status == 200
    [mail] = smtp.wait_for(1)

    message = mail.message
    assert message["Subject"] == SUBJECT
    assert mail.rcpt_tos == ["ehr-support@idv-vendor.example.com", "u0agent01@support.example.com"]
    assert message["Reply-To"] == "u0agent01@support.example.com"
    assert message["From"] == "escalations@example.com"
    body = message.get_body(("plain",)).get_content()
    for expected in (
        "TICKET SENDER",
        "Name: Agent NT01",
        "Email: u0agent01@support.example.com",
        "Phone: +1 555 555 0101",
        "Time zone: America/Los_Angeles",
        "Best time to reach them: Weekdays 9:00-15:00",
        "PRESCRIBER",
        "First name: Pat",
        "Last name: Example",
        "Email used to sign up (unique match): pat@clinic.example.com",
        "Phone number(s): 555-555-0102",
        "Preferred contact method: Phone",
        "Best time to reach them: Mornings",
        "Their time zone: America/New_York",
        "PROBLEM",
        "Verification fails at the selfie step with error 42.",
        "When it happened: 2025-11-17 09:20 PST (17:20 UTC)",
        "Our ticket: XQ123 (case ESC-1)",
    ):
        assert expected in body, expected
    # In the vendor's order: sender, end user, problem.
    assert body.index("TICKET SENDER") < body.index("PRESCRIBER") < body.index("PROBLEM")

    sent_note = fake_slack.wait_for_post(":email: Sent the hand-off")[-1]
    assert message["Message-ID"].strip("<>") in sent_note.body["text"]
    wait_until(lambda: drafts(mail_bot, case_id)[0].state == "sent")
    with Session(mail_bot.services.engine) as session:
        case = session.get(Case, case_id)
        assert case.status == "with_vendor"
        assert case.handed_off_at is not None
    [draft] = drafts(mail_bot, case_id)
    assert draft.message_id == message["Message-ID"]
    # The preview itself now says it went, and offers no Send or Edit any more.
    edited = preview_update(mail_bot, fake_slack, draft.id, ":white_check_mark: Sent")
    assert action_ids(blocks_of(edited)) == [EmailAction.VIEW]
    assert "pat@clinic.example.com" not in dumps(edited.body)
    kinds = [e.kind for e in events(mail_bot, case_id)]
    assert kinds[:2] == ["opened", "email_drafted"]
    assert {"email_queued", "email_sent", "status_changed"} <= set(kinds)
    moved = [e for e in events(mail_bot, case_id) if e.kind == "status_changed"]
    assert [(e.from_status, e.to_status, e.via, e.actor) for e in moved] == [
        ("open", "with_vendor", "email", AGENT)
    ]
    # The root message shows the hand-off.
    update = fake_slack.wait_until(
        lambda c: c.method == "chat.update" and "Handed off" in dumps(c.body),
        "a root refresh showing the hand-off",
    )[-1]
    assert update.body["ts"] == root_ts and "waiting on vendor" in dumps(update.body)


def test_double_clicking_send_sends_one_email(mail_bot, fake_slack, smtp):
    case_id, channel, _, preview = open_case(mail_bot, fake_slack)
    value = button(blocks_of(preview), EmailAction.SEND)["value"]
    threads = [
        threading.Thread(
            target=press, args=(mail_bot, EmailAction.SEND, value), kwargs={"channel": channel}
        )
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    smtp.wait_for(1)
    answers = fake_slack.wait_for("chat.postEphemeral", 3)  # opener's link + two refusals
    mail_bot.services.outbox.deliver_due()
    assert len(smtp.messages) == 1
    assert sum("already" in a.body["text"] for a in answers) == 2
    with Session(mail_bot.services.engine) as session:
        emails = session.exec(select(OutboxItem).where(OutboxItem.kind == "email")).all()
    assert len(emails) == 1


def test_server_refusing_then_down_then_back_delivers_exactly_once_across_a_restart(
    make_bot, fake_slack, smtp, clock
):
    bot = make_bot(**smtp_env(smtp))
    case_id, channel, _, preview = open_case(bot, fake_slack)
    smtp.refuse_next("451 4.3.0 Try again later")
    press(
        bot,
        EmailAction.SEND,
        button(blocks_of(preview), EmailAction.SEND)["value"],
        channel=channel,
    )
    fake_slack.wait_for_post(":outbox_tray:")
    wait_until(lambda: drafts(bot, case_id)[0].state == "queued" and _email_item(bot).attempts == 1)
    assert smtp.messages == []
    smtp.stop()  # now the server is down
    clock.advance(timedelta(minutes=1))
    bot.services.outbox.deliver_due()
    assert _email_item(bot).state == "pending" and _email_item(bot).attempts == 2
    bot.stop()

    smtp.start()  # back, and the bot restarts on the same database
    clock.advance(timedelta(minutes=5))
    restarted = make_bot(**smtp_env(smtp))
    restarted.services.outbox.deliver_due()
    restarted.services.outbox.deliver_due()
    [mail] = smtp.wait_for(1)
    assert mail.message["Subject"] == SUBJECT
    assert _email_item(restarted).state == "done"
    assert drafts(restarted, case_id)[0].state == "sent"
    clock.advance(timedelta(hours=2))
    restarted.services.outbox.deliver_due()
    assert len(smtp.messages) == 1


def _email_item(bot) -> OutboxItem:
    with Session(bot.services.engine) as session:
        return session.exec(select(OutboxItem).where(OutboxItem.kind == "email")).one()


def test_a_permanent_refusal_is_reported_in_the_thread_and_can_be_sent_again(
    mail_bot, fake_slack, smtp, clock
):
    case_id, channel, _, preview = open_case(mail_bot, fake_slack)
    value = button(blocks_of(preview), EmailAction.SEND)["value"]
    smtp.refuse_next("550 5.1.1 No such mailbox here")
    press(mail_bot, EmailAction.SEND, value, channel=channel)
    report = fake_slack.wait_for_post(":x: An email")[-1]
    assert "550 5.1.1 No such mailbox here" in report.body["text"]
    wait_until(lambda: drafts(mail_bot, case_id)[0].state == "failed")
    failed = preview_update(mail_bot, fake_slack, int(value), ":warning: Not delivered")
    assert "550 5.1.1 No such mailbox here" in dumps(failed.body)
    assert EmailAction.SEND in action_ids(blocks_of(failed))  # it may be sent again
    with Session(mail_bot.services.engine) as session:
        assert session.get(Case, case_id).status == "open"  # not handed off
    press(mail_bot, EmailAction.SEND, value, channel=channel)
    [mail] = smtp.wait_for(1)
    assert mail.message["Subject"] == SUBJECT
    wait_until(lambda: drafts(mail_bot, case_id)[0].state == "sent")


def test_send_is_refused_with_what_is_missing_and_how_to_add_it(mail_bot, fake_slack, smtp):
    fake_slack.profiles[AGENT] = {"email": ""}  # a Slack profile without an email address
    case_id, channel, _, preview = open_case(mail_bot, fake_slack)
    assert "Missing before it can be sent" in dumps(blocks_of(preview))
    press(mail_bot, EmailAction.SEND, button(blocks_of(preview), EmailAction.SEND)["value"])
    refusal = fake_slack.wait_for("chat.postEphemeral", 2)[-1].body["text"]
    assert refusal.startswith(":no_entry: Not sent")
    assert "your email address" in refusal and "Slack profile" in refusal
    mail_bot.services.outbox.deliver_due()
    assert smtp.messages == []
    assert drafts(mail_bot, case_id)[0].state == "draft"


def test_someone_outside_the_responders_cannot_send(mail_bot, fake_slack, smtp):
    case_id, channel, _, preview = open_case(mail_bot, fake_slack)
    press(
        mail_bot,
        EmailAction.SEND,
        button(blocks_of(preview), EmailAction.SEND)["value"],
        user=STRANGER,
        channel=channel,
    )
    denial = fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and c.body.get("user") == STRANGER,
        "a denial",
    )[-1]
    assert ":lock:" in denial.body["text"]
    mail_bot.services.outbox.deliver_due()
    assert smtp.messages == [] and drafts(mail_bot, case_id)[0].state == "draft"
    assert "denied" in [e.kind for e in events(mail_bot, case_id)]


def test_without_smtp_the_thread_shows_the_draft_and_the_case_records_a_manual_hand_off(
    bot, fake_slack
):
    case_id, channel, _, preview = open_case(bot, fake_slack)
    press(
        bot,
        EmailAction.SEND,
        button(blocks_of(preview), EmailAction.SEND)["value"],
        channel=channel,
    )
    note = fake_slack.wait_for_post(":clipboard: Email is not set up here")[-1].body["text"]
    assert "AcmeEHR; XQ123; •••" in note and "pat@clinic.example.com" not in note
    full = fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and "Send this yourself" in c.body["text"],
        "the full draft for the presser",
    )[-1]
    assert full.body["user"] == AGENT
    assert SUBJECT in full.body["text"] and "pat@clinic.example.com" in full.body["text"]
    with Session(bot.services.engine) as session:
        assert session.get(Case, case_id).status == "with_vendor"
    assert drafts(bot, case_id)[0].state == "manual"
    assert "email_manual" in [e.kind for e in events(bot, case_id)]
    by_hand = preview_update(bot, fake_slack, drafts(bot, case_id)[0].id, "by hand")
    assert action_ids(blocks_of(by_hand)) == [EmailAction.VIEW]


def test_edit_rebuilds_the_draft_and_old_previews_cannot_be_sent(mail_bot, fake_slack, smtp):
    case_id, channel, _, preview = open_case(mail_bot, fake_slack)
    old_value = button(blocks_of(preview), EmailAction.SEND)["value"]
    press(mail_bot, EmailAction.EDIT, button(blocks_of(preview), EmailAction.EDIT)["value"])
    modal = fake_slack.wait_for("views.open", 2)[-1].body["view"]
    assert modal["callback_id"] == CaseView.EDIT_EMAIL
    phone = next(b for b in modal["blocks"] if b.get("block_id") == "f_end_user_phone")
    assert phone["element"]["initial_value"] == "555-555-0102"

    values = idv_values(
        f_end_user_phone={"value": {"type": "plain_text_input", "value": "555-555-0199"}},
        f_description={"value": {"type": "plain_text_input", "value": "SSN 123-45-6789"}},
    )
    answer = mail_bot.sender.interactive(view_submission(modal, values)).json()
    assert answer["response_action"] == "errors" and "f_description" in answer["errors"]

    values["f_description"] = {"value": {"type": "plain_text_input", "value": "Fails at step 2"}}
    assert mail_bot.sender.interactive(view_submission(modal, values)).status == 200
    fake_slack.wait_until(
        lambda c: (
            c.method == "chat.postMessage"
            and str(c.body.get("text", "")).startswith("Hand-off email")
            and "Fails at step 2" in dumps(c.body)
        ),
        "a new preview",
    )
    old, new = drafts(mail_bot, case_id)
    assert (old.state, new.state) == ("superseded", "draft")
    replaced = preview_update(mail_bot, fake_slack, old.id, ":pencil2: Replaced")
    assert action_ids(blocks_of(replaced)) == []
    # The old draft still holds the old phone number, no longer among the case's details: the
    # replaced preview keeps the content as it was posted, hidden then, not recomposed.
    assert "555-555-0102" not in dumps(replaced.body) and "•••" in dumps(replaced.body)
    edited = [e for e in events(mail_bot, case_id) if e.kind == "details_edited"]
    assert edited[0].detail == {"fields": ["description", "end_user_phone"]}

    press(mail_bot, EmailAction.SEND, old_value, channel=channel)
    refusal = fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and "replaced" in c.body["text"],
        "a refusal of the old draft",
    )
    assert refusal
    press(mail_bot, EmailAction.SEND, str(new.id), channel=channel)
    [mail] = smtp.wait_for(1)
    body = mail.message.get_body(("plain",)).get_content()
    assert "555-555-0199" in body and "Fails at step 2" in body


def test_view_full_email_shows_contact_details_only_to_who_may_act(mail_bot, fake_slack):
    case_id, channel, _, preview = open_case(mail_bot, fake_slack)
    value = button(blocks_of(preview), EmailAction.VIEW)["value"]
    press(mail_bot, EmailAction.VIEW, value, user=DANA, channel=channel)
    shown = fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and c.body.get("user") == DANA,
        "the full email",
    )[-1]
    assert "pat@clinic.example.com" in shown.body["text"]
    press(mail_bot, EmailAction.VIEW, value, user=STRANGER, channel=channel)
    denied = fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and c.body.get("user") == STRANGER,
        "a denial",
    )[-1]
    assert "pat@clinic.example.com" not in denied.body["text"]
    viewed = [e for e in events(mail_bot, case_id) if e.kind == "email_viewed"]
    assert [e.actor for e in viewed] == [DANA]


def _send_handoff(bot, fake_slack, smtp):
    case_id, channel, root_ts, preview = open_case(bot, fake_slack)
    press(
        bot,
        EmailAction.SEND,
        button(blocks_of(preview), EmailAction.SEND)["value"],
        channel=channel,
    )
    [mail] = smtp.wait_for(1)
    wait_until(lambda: drafts(bot, case_id)[0].state == "sent")
    return case_id, channel, root_ts, mail


def test_reopen_with_vendor_replies_on_the_hand_off_thread(mail_bot, fake_slack, smtp):
    case_id, channel, root_ts, handoff = _send_handoff(mail_bot, fake_slack, smtp)
    mail_bot.sender.command("/escalate", f"move ESC-{case_id} close_unreachable", user=DANA)
    wait_until(lambda: _status(mail_bot, case_id) == "closed_unreachable")
    root = fake_slack.wait_until(
        lambda c: c.method == "chat.update" and VendorAction.REOPEN.value in dumps(c.body),
        "a root message offering Reopen with vendor",
    )[-1]
    press(mail_bot, VendorAction.REOPEN, str(case_id), user=DANA, channel=channel)
    preview = fake_slack.wait_for_post("Reopen request email")[-1]
    assert root.body["ts"] == root_ts
    assert "A reply on the vendor" in dumps(blocks_of(preview))
    press(
        mail_bot, EmailAction.SEND, button(blocks_of(preview), EmailAction.SEND)["value"], user=DANA
    )
    reply = smtp.wait_for(2)[1].message
    assert reply["Subject"] == f"Re: {SUBJECT}"
    assert reply["In-Reply-To"] == handoff.message["Message-ID"]
    assert handoff.message["Message-ID"] in reply["References"]
    assert "please reopen" in reply.get_body(("plain",)).get_content()
    wait_until(lambda: _status(mail_bot, case_id) == "with_vendor")
    moves = [(e.to_status, e.via) for e in events(mail_bot, case_id) if e.kind == "status_changed"]
    assert moves[-2:] == [("reopened", "email"), ("with_vendor", "email")]


def _status(bot, case_id: int) -> str:
    with Session(bot.services.engine) as session:
        return session.get(Case, case_id).status


@pytest.mark.parametrize(
    ("action", "prefix", "to"),
    [
        (
            VendorAction.LEADERSHIP,
            "Escalation to vendor leadership email",
            ["escalations-lead@idv-vendor.example.com", "healthcare-lead@idv-vendor.example.com"],
        ),
        (
            VendorAction.TECHNICAL,
            "Escalation to vendor technical contacts email",
            [
                "integration-engineer@idv-vendor.example.com",
                "escalations-lead@idv-vendor.example.com",
            ],
        ),
    ],
)
def test_escalating_to_vendor_contacts_cites_their_ticket_and_the_history(
    mail_bot, fake_slack, smtp, action, prefix, to
):
    case_id, channel, _, _ = _send_handoff(mail_bot, fake_slack, smtp)
    mail_bot.sender.command("/escalate", f"ticket ESC-{case_id} IDV-777", user=DANA)
    wait_until(lambda: _vendor_ticket(mail_bot, case_id) == "IDV-777")
    if action is VendorAction.TECHNICAL:  # issue 13: our engineers (idv's tier 3) assess first
        _assess(mail_bot, fake_slack, case_id, channel)
    press(mail_bot, action, str(case_id), user=DANA, channel=channel)
    preview = fake_slack.wait_for_post(prefix)[-1]
    press(
        mail_bot, EmailAction.SEND, button(blocks_of(preview), EmailAction.SEND)["value"], user=DANA
    )
    mail = smtp.wait_for(2)[1]
    assert mail.rcpt_tos[: len(to)] == to
    assert mail.message["Subject"].startswith("Escalation (")
    body = mail.message.get_body(("plain",)).get_content()
    assert "Your ticket number: IDV-777" in body
    assert "HISTORY" in body and "waiting on vendor" in body and "we sent the hand-off" in body
    assert "pat@clinic.example.com" not in body  # the end user's details stay in the hand-off


def _assess(bot, fake_slack, case_id: int, channel: str) -> None:
    """Our engineers' assessment, through its button and form, by a member of idv's tier 3."""
    engineer = "U0ENGINEE1"
    fake_slack.usergroups["S0TIER30001"] = [engineer]
    press(bot, VendorAction.ASSESSED, str(case_id), user=engineer, channel=channel)
    view = fake_slack.wait_until(
        lambda c: c.method == "views.open" and CaseView.ASSESSMENT.value in dumps(c.body),
        "the assessment form",
    )[-1].body["view"]
    found = {"f_assessment": {"value": {"type": "plain_text_input", "value": "Vendor API fault."}}}
    assert bot.sender.interactive(view_submission(view, found, user=engineer)).status == 200
    wait_until(lambda: _case(bot, case_id).assessed_at is not None)


def _case(bot, case_id: int) -> Case:
    with Session(bot.services.engine) as session:
        return session.get(Case, case_id)


def _vendor_ticket(bot, case_id):
    with Session(bot.services.engine) as session:
        return session.get(Case, case_id).vendor_ticket


def test_not_their_issue_returns_the_case_with_the_vendors_notes(mail_bot, fake_slack, smtp):
    case_id, channel, _, _ = _send_handoff(mail_bot, fake_slack, smtp)
    press(mail_bot, VendorAction.NOT_VENDOR_ISSUE, str(case_id), user=DANA, channel=channel)
    modal = fake_slack.wait_until(
        lambda c: c.method == "views.open" and dumps(c.body).count(CaseView.NOT_VENDOR_ISSUE.value),
        "the not-their-issue modal",
    )[-1].body["view"]
    notes = {
        "f_notes": {"value": {"type": "plain_text_input", "value": "Our logs show no attempt."}}
    }
    assert mail_bot.sender.interactive(view_submission(modal, notes, user=DANA)).status == 200
    note = fake_slack.wait_for_post(f"<@{DANA}> moved ESC-{case_id} to returned")[-1]
    assert (
        "The vendor's notes" in note.body["text"]
        and "Our logs show no attempt." in note.body["text"]
    )
    assert _status(mail_bot, case_id) == "returned"


def _screenshot(size: int) -> dict:
    return {
        "value": {
            "type": "file_input",
            "files": [
                {
                    "id": "F0SHOT001",
                    "name": "error.png",
                    "mimetype": "image/png",
                    "size": size,
                    "url_private": "https://files.slack.com/files-pri/T0TEAM001-F0SHOT001/error.png",
                }
            ],
        }
    }


def test_screenshots_from_the_form_are_fetched_from_slack_and_attached(mail_bot, fake_slack, smtp):
    png = b"\x89PNG\r\n\x1a\n-fake-screenshot-"
    fake_slack.files["error.png"] = png
    fake_slack.file_infos["F0SHOT001"] = {"name": "error.png", "mimetype": "image/png"}
    case_id, channel, _, preview = open_case(
        mail_bot, fake_slack, f_screenshots=_screenshot(len(png))
    )
    assert "1 attachment(s): error.png" in dumps(blocks_of(preview))
    press(
        mail_bot,
        EmailAction.SEND,
        button(blocks_of(preview), EmailAction.SEND)["value"],
        channel=channel,
    )
    [mail] = smtp.wait_for(1)
    [attachment] = list(mail.message.iter_attachments())
    assert attachment.get_filename() == "error.png"
    assert attachment.get_content_type() == "image/png"
    assert attachment.get_content() == png
    assert "SCREENSHOTS: 1 attached (error.png)" in mail.message.get_body(("plain",)).get_content()
    download = fake_slack.wait_until(lambda c: c.method.startswith("GET /files/"), "a download")[-1]
    assert download.headers.get("Authorization") == "Bearer xoxb-test-token"


def test_an_oversized_screenshot_is_refused_at_send_and_nothing_leaves(mail_bot, fake_slack, smtp):
    case_id, channel, _, preview = open_case(
        mail_bot, fake_slack, f_screenshots=_screenshot(11 * 1024 * 1024)
    )
    press(
        mail_bot,
        EmailAction.SEND,
        button(blocks_of(preview), EmailAction.SEND)["value"],
        channel=channel,
    )
    refusal = fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and "Not sent" in c.body["text"],
        "a refusal",
    )[-1]
    assert "error.png" in refusal.body["text"] and "10 MB" in refusal.body["text"]
    mail_bot.services.outbox.deliver_due()
    assert smtp.messages == [] and drafts(mail_bot, case_id)[0].state == "draft"
    assert not [c for c in fake_slack.calls if c.method.startswith("GET /files/")]


def test_a_line_break_smuggled_into_a_header_is_refused_and_never_sent(mail_bot, fake_slack, smtp):
    case_id, channel, _, preview = open_case(mail_bot, fake_slack)
    # A writer while the bot's threads deliver: read-then-write needs BEGIN IMMEDIATE on SQLite.
    with write_session(mail_bot.services.engine) as session:
        draft = session.exec(select(EmailDraft).where(EmailDraft.case_id == case_id)).one()
        draft.subject = "AcmeEHR; XQ123\r\nBcc: attacker@example.com"
        session.add(draft)
    press(
        mail_bot,
        EmailAction.SEND,
        button(blocks_of(preview), EmailAction.SEND)["value"],
        channel=channel,
    )
    refusal = fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and "Not sent" in c.body["text"],
        "a refusal",
    )[-1]
    assert "line break" in refusal.body["text"]
    mail_bot.services.outbox.deliver_due()
    assert smtp.messages == [] and drafts(mail_bot, case_id)[0].state == "draft"


def test_preview_hand_off_button_drafts_again_and_a_slack_outage_is_retried(
    mail_bot, fake_slack, smtp, clock
):
    case_id, channel, _, _ = open_case(mail_bot, fake_slack)
    clock.advance(ProfileCache.TTL)  # the sender's profile, read for the first draft, is stale
    fake_slack.fail("users.info", Failure(error="internal_error"))
    press(mail_bot, VendorAction.PREVIEW_HANDOFF, str(case_id), channel=channel)
    wait_until(
        lambda: (
            len(items := _compose_items(mail_bot)) == 2
            and items[-1].attempts == 1
            and items[-1].state == "pending"
        )
    )
    assert len(drafts(mail_bot, case_id)) == 1  # not drafted yet: Slack did not answer
    clock.advance(timedelta(minutes=5))
    mail_bot.services.outbox.deliver_due()
    old, new = drafts(mail_bot, case_id)
    assert (old.state, new.state) == ("superseded", "draft")


def _compose_items(bot) -> list[OutboxItem]:
    with Session(bot.services.engine) as session:
        return list(
            session.exec(
                select(OutboxItem).where(OutboxItem.kind == "email.compose").order_by(OutboxItem.id)
            ).all()
        )


@pytest.mark.parametrize(
    "action_id",
    [
        VendorAction.PREVIEW_HANDOFF,
        VendorAction.REOPEN,
        VendorAction.LEADERSHIP,
        VendorAction.TECHNICAL,
    ],
)
def test_a_stranger_asking_for_a_draft_is_denied_and_nothing_is_drafted(
    mail_bot, fake_slack, smtp, action_id
):
    case_id, channel, _, _ = open_case(mail_bot, fake_slack)
    before = len(_compose_items(mail_bot))
    press(mail_bot, action_id, str(case_id), user=STRANGER, channel=channel)
    denial = fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and c.body.get("user") == STRANGER,
        "a denial",
    )[-1]
    assert ":lock:" in denial.body["text"]
    assert "pat@clinic.example.com" not in dumps(denial.body)
    mail_bot.services.outbox.deliver_due()
    assert len(_compose_items(mail_bot)) == before
    assert [d.created_by for d in drafts(mail_bot, case_id)] == [AGENT]
    denied = [e for e in events(mail_bot, case_id) if e.kind == "denied"]
    assert [e.actor for e in denied] == [STRANGER]


def test_a_strangers_edit_is_denied_before_any_modal_shows_contact_details(mail_bot, fake_slack):
    case_id, channel, _, preview = open_case(mail_bot, fake_slack)
    opened = len(fake_slack.calls_to("views.open"))
    value = button(blocks_of(preview), EmailAction.EDIT)["value"]
    assert press(mail_bot, EmailAction.EDIT, value, user=STRANGER, channel=channel).status == 200
    denial = fake_slack.wait_until(
        lambda c: c.method == "chat.postEphemeral" and c.body.get("user") == STRANGER,
        "a denial",
    )[-1]
    assert ":lock:" in denial.body["text"]
    assert len(fake_slack.calls_to("views.open")) == opened
    sent_to_stranger = [c for c in fake_slack.calls if dumps(c.body).count(STRANGER)]
    for call in sent_to_stranger:
        assert "555-555-0102" not in dumps(call.body)
        assert "pat@clinic.example.com" not in dumps(call.body)
    assert [e.actor for e in events(mail_bot, case_id) if e.kind == "denied"] == [STRANGER]
