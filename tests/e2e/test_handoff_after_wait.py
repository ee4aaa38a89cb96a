"""A case marked ⏳ (waiting on the vendor) before its hand-off email goes: ⏳ is a hand-off
(issue 13, item 1), so the vendor's clocks start at once, and the email sent later keeps that
hand-off time (found by the demo: before, no clock ever started and no reminder came)."""

from __future__ import annotations

from sqlmodel import Session, select

from slackbot.devtools.signed import view_submission
from slackbot.domain.clock import ensure_utc
from slackbot.render.ids import EmailAction
from storage.models import Case, Deadline
from tests.e2e.test_handoff_flow import blocks_of, button, mail_bot, press, wait_until  # noqa: F401
from tests.support.flows import DANA, reaction
from tests.support.forms import idv_values


def test_hourglass_before_send_then_send_starts_the_vendor_clocks(mail_bot, fake_slack, smtp):  # noqa: F811
    mail_bot.sender.command("/escalate", "idv")
    view = fake_slack.wait_for("views.open")[-1].body["view"]
    mail_bot.sender.interactive(view_submission(view, idv_values()))
    preview = fake_slack.wait_for_post("Hand-off email")[-1]
    channel = fake_slack.channel_ids["#escalations-idv"]
    fake_slack.channel_members[channel] = ["U0AGENT01", DANA]
    engine = mail_bot.services.engine
    with Session(engine) as session:
        root_ts = session.get(Case, 1).root_ts
    updates = len(fake_slack.calls_to("chat.update"))
    mail_bot.sender.event(reaction("hourglass_flowing_sand", channel, root_ts))
    fake_slack.wait_for("chat.update", updates + 1)
    with Session(engine) as session:
        case = session.get(Case, 1)
        assert case.status == "with_vendor"
        assert ensure_utc(case.handed_off_at) == mail_bot.services.clock.now()
        assert "vendor_ack" in {row.kind for row in session.exec(select(Deadline)).all()}

    send = button(blocks_of(preview), EmailAction.SEND)
    press(mail_bot, EmailAction.SEND, send["value"], channel=channel)
    smtp.wait_for(1)

    def clocks():
        with Session(engine) as session:
            case = session.get(Case, 1)
            rows = session.exec(select(Deadline).where(Deadline.case_id == 1)).all()
            # The hand-off time and the clocks may land in separate reads: wait for both.
            return (
                (case.handed_off_at, sorted(r.kind for r in rows))
                if rows and case.handed_off_at
                else None
            )

    handed_off_at, kinds = wait_until(clocks)
    assert ensure_utc(handed_off_at) == mail_bot.services.clock.now()
    assert "vendor_ack" in kinds
