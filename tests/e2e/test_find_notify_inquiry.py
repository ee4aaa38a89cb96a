"""End to end through the signed endpoint (issue 13, items 6, 7 and 9): the opener is told by
DM and can opt out; `find` and `list closed` return the right cases, only to who may see them;
an inquiry is counted without a thread; lists put blockers first."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from sqlmodel import Session, select

from slackbot.devtools.signed import block_actions, view_submission
from storage.models import Case, Deadline, Inquiry, OutboxItem
from tests.support.cases import Seeder
from tests.support.env import START
from tests.support.flows import AGENT, DANA, open_idv_case, reaction

STRANGER = "U0STRANGE1"


def dms_to(fake_slack, user: str) -> list[str]:
    """Texts of the bot's DMs to `user` (chat.postMessage to a user id)."""
    return [
        c.body["text"] for c in fake_slack.calls_to("chat.postMessage") if c.body["channel"] == user
    ]


def wait_dms(fake_slack, user: str, count: int, timeout: float = 10.0) -> list[str]:
    """Wait until the bot sent `user` at least `count` DMs; their texts."""
    deadline = time.monotonic() + timeout
    while len(found := dms_to(fake_slack, user)) < count:
        assert time.monotonic() < deadline, f"expected {count} DMs to {user}, got {found}"
        time.sleep(0.02)
    return found


def test_the_opener_gets_dms_and_can_opt_out(bot, fake_slack, clock):
    channel, root_ts = open_idv_case(bot.sender, fake_slack)
    bot.sender.event(reaction("eyes", channel, root_ts))
    dm = fake_slack.wait_until(
        lambda c: c.method == "chat.postMessage" and c.body["channel"] == AGENT, "a DM"
    )[0].body["text"]
    assert "*ESC-1*" in dm and "is now *acknowledged* by <@U0DANA001>" in dm
    assert "/escalate notify off" in dm

    assert "No more DMs" in bot.sender.command("/escalate", "notify off").body
    bot.sender.event(reaction("hourglass_flowing_sand", channel, root_ts))
    fake_slack.wait_until(
        lambda c: c.method == "chat.update" and "[waiting on vendor]" in c.body.get("text", ""),
        "the root showing the move",
    )
    assert len(dms_to(fake_slack, AGENT)) == 1

    assert "You will get a DM" in bot.sender.command("/escalate", "notify on").body
    # An update is news too: Dana records what the vendor said.
    bot.sender.interactive(
        block_actions("case_add_update", "1", user=DANA, channel=channel, message_ts=root_ts)
    )
    view = fake_slack.wait_for("views.open", 2)[-1].body["view"]
    note = {"value": {"type": "plain_text_input", "value": "Vendor calls back at 10:00 <!here>"}}
    bot.sender.interactive(view_submission(view, {"f_note": note}, user=DANA))
    update = wait_dms(fake_slack, AGENT, 2)[-1]
    assert "got an update by <@U0DANA001>" in update
    assert "&lt;!here&gt;" in update and "<!here>" not in update

    # Closed by the command (as unreachable): the opener hears it is closed, once, and gets the
    # one rating question (issue 13) besides.
    bot.sender.command("/escalate", "move ESC-1 close_unreachable", user=DANA)
    wait_dms(fake_slack, AGENT, 4)
    bot.services.outbox.deliver_due()
    dms = dms_to(fake_slack, AGENT)
    ratings = [text for text in dms if "How did it go?" in text]
    told = [text for text in dms if "How did it go?" not in text]
    assert len(ratings) == 1 and "ESC-1" in ratings[0]
    assert len(told) == 3 and "is closed (closed: end user unreachable)" in told[-1]
    assert sum("is closed" in text for text in told) == 1
    with Session(bot.services.engine) as session:
        keys = session.exec(select(OutboxItem.dedup_key)).all()
        assert sum(1 for key in keys if key and key.startswith("opener-dm:")) == 3
        assert sum(1 for key in keys if key and key.startswith("survey:")) == 1


def _seed(engine) -> dict[str, int]:
    """Cases to find: open, closed lately, closed a while ago, someone else's."""
    with Session(engine) as session:
        seed = Seeder(session)
        open_ = seed.case(START - timedelta(days=3), summary="Cannot pass verification")
        referral = seed.case(
            START - timedelta(days=9),
            summary="Referral list missing",
            fields={"end_user_email": "robin.placeholder@example.com"},
        )
        referral.internal_ticket, referral.vendor_ticket = "TK-77", "V-1234"
        seed.move(referral, "resolved", START - timedelta(days=2))
        older = seed.case(
            START - timedelta(days=25), summary="Records not loading", priority="normal"
        )
        seed.move(older, "resolved", START - timedelta(days=20))
        oldest = seed.case(START - timedelta(days=60), summary="Referral export broken")
        seed.move(oldest, "closed_unreachable", START - timedelta(days=40))
        theirs = seed.case(START - timedelta(days=4), summary="Referral badge wrong")
        theirs.opened_by = "U0OTHER01"
        seed.move(theirs, "resolved", START - timedelta(days=1))
        normal = seed.case(START - timedelta(days=30), summary="Old question", priority="normal")
        session.commit()
        return {
            "open": open_.id,
            "referral": referral.id,
            "older": older.id,
            "oldest": oldest.id,
            "theirs": theirs.id,
            "normal": normal.id,
        }


def test_find_and_list_closed_return_the_right_cases_to_who_may_see_them(bot, fake_slack):
    ids = _seed(bot.services.engine)
    as_opener = {"user": "U0AGENT"}

    found = bot.sender.command("/escalate", "find V-1234", **as_opener).body
    assert f"ESC-{ids['referral']}*" in found and found.count("• ") == 1
    by_ticket = bot.sender.command("/escalate", "find tk-77", **as_opener).body
    assert f"ESC-{ids['referral']}*" in by_ticket
    by_words = bot.sender.command("/escalate", "find referral", **as_opener).body
    assert by_words.count("• ") == 2  # theirs is not the asker's to see
    assert f"ESC-{ids['oldest']}*" in by_words and "1 more match" in by_words
    by_id = bot.sender.command("/escalate", f"find ESC-{ids['open']}", **as_opener).body
    assert f"ESC-{ids['open']}*" in by_id
    # Contact details are never searched, and LIKE's wildcards are taken literally.
    assert "No case matches" in bot.sender.command("/escalate", "find robin", **as_opener).body
    assert "No case matches" in bot.sender.command("/escalate", "find %_", **as_opener).body
    assert "Say what to look for" in bot.sender.command("/escalate", "find", **as_opener).body

    week = bot.sender.command("/escalate", "list closed", **as_opener).body
    assert "closed in the last 7 days* (1)" in week and f"ESC-{ids['referral']}*" in week
    assert "1 more were closed" in week
    month = bot.sender.command("/escalate", "list closed month", **as_opener).body
    assert f"ESC-{ids['older']}*" in month and f"ESC-{ids['oldest']}*" not in month
    assert "Use `/escalate list closed" in bot.sender.command("/escalate", "list closed year").body

    # A stranger sees none of them (idv's tier 1 is a user group they are not in).
    stranger = bot.sender.command("/escalate", "find referral", user=STRANGER).body
    assert "No case matches" in stranger and "3 more match" in stranger

    # Lists put blockers first: the high-priority case before the older normal one.
    listed = bot.sender.command("/escalate", "list all", **as_opener).body
    assert listed.index(f"ESC-{ids['open']}*") < listed.index(f"ESC-{ids['normal']}*")


def test_an_inquiry_is_counted_without_a_thread(bot, fake_slack):
    bot.sender.command("/escalate", "inquiry")
    picker = fake_slack.wait_for("views.open")[0].body["view"]
    assert picker["callback_id"] == "inquiry_pick_playbook"
    chosen = {
        "f_playbook": {"value": {"type": "static_select", "selected_option": {"value": "idv"}}}
    }
    form = bot.sender.interactive(view_submission(picker, chosen)).json()["view"]
    assert form["callback_id"] == "inquiry_log"

    def choose(value):
        return {"value": {"type": "static_select", "selected_option": {"value": value}}}

    def text(value):
        return {"value": {"type": "plain_text_input", "value": value}}

    values = {
        "f_category": choose("account"),
        "f_requester_type": choose("Clinician"),
        "f_topic": text("How long does a verification take? SSN 123-45-6789"),
        "f_answer": text("Up to one business day; told them to retry tomorrow."),
    }
    refused = bot.sender.interactive(view_submission(form, values)).json()
    assert refused["response_action"] == "errors" and "f_topic" in refused["errors"]

    values["f_topic"] = text("How long does a verification take?")
    assert bot.sender.interactive(view_submission(form, values)).status == 200
    thanks = fake_slack.wait_until(
        lambda c: c.method == "chat.postMessage" and c.body["channel"] == AGENT, "the thanks"
    )[0]
    assert "Logged a general inquiry" in thanks.body["text"]
    # No case, no thread, nothing posted in a channel.
    with Session(bot.services.engine) as session:
        assert session.exec(select(Case)).all() == []
        inquiry = session.exec(select(Inquiry)).one()
        assert (inquiry.playbook_id, inquiry.category, inquiry.logged_by) == (
            "idv",
            "account",
            AGENT,
        )
    assert all(c.body["channel"] == AGENT for c in fake_slack.calls_to("chat.postMessage"))

    answer = json.loads(bot.sender.command("/escalate", "report week").body)
    fields = [f["text"] for b in answer["blocks"] for f in b.get("fields") or []]
    assert "*General inquiries*\n1 (▲ 1)" in fields


def test_overdue_and_app_home_put_blockers_first(bot, fake_slack):
    with Session(bot.services.engine) as session:
        seed = Seeder(session)
        normal = seed.case(START - timedelta(days=5), summary="Older normal", priority="normal")
        blocker = seed.case(START - timedelta(days=1), summary="Newer blocker")
        for case, expired in (
            (normal, START - timedelta(days=4)),
            (blocker, START - timedelta(hours=2)),
        ):
            case.owner_id = "U0AGENT"
            session.add(case)
            session.add(
                Deadline(
                    case_id=case.id,
                    kind="progress_update",
                    due_at=expired,
                    expires_at=expired,
                    anchor_at=expired - timedelta(days=1),
                    updated_at=expired,
                )
            )
        session.commit()
        ids = normal.id, blocker.id
    overdue = bot.sender.command("/escalate", "overdue", user="U0AGENT").body
    assert overdue.index(f"ESC-{ids[1]}") < overdue.index(f"ESC-{ids[0]}")
    bot.sender.event({"type": "app_home_opened", "user": "U0AGENT", "tab": "home", "channel": "D0"})
    home = json.dumps(fake_slack.wait_for("views.publish")[-1].body["view"])
    assert home.index("Newer blocker") < home.index("Older normal")
