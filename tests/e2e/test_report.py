"""`/escalate report` and the weekly post end to end: the signed slash command, the summary the
user sees, and the CSV and chart uploaded to Slack with files_upload_v2 — counted by hand."""

from __future__ import annotations

import csv
import io
import json
import struct
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from slackbot.scheduler import run_tick
from slackbot.usecases.report_delivery import post_weekly_report, weekly_due
from storage.db import write_session
from storage.models import OutboxItem
from tests.support.cases import Seeder

LEADS = "#support-leads"
#: Wednesday 18 November 2026, 09:00 in Los Angeles (the suite's START); its week began Mon 16.
WEEK_START = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)


def _seed(engine) -> None:
    """Five cases of this week in three playbooks: 2 resolved, 1 closed unreachable, 2 open;
    and one of the week before (not counted as opened this week)."""
    with write_session(engine) as session:
        seed = Seeder(session)
        day = WEEK_START + timedelta(hours=10)  # Monday 02:00 in Los Angeles
        a = seed.case(day, playbook="idv")
        seed.move(a, "acknowledged", day + timedelta(hours=1))
        seed.move(a, "resolved", day + timedelta(hours=5))
        b = seed.case(day + timedelta(hours=2), playbook="idv")
        seed.move(b, "closed_unreachable", day + timedelta(hours=8))
        c = seed.case(day + timedelta(hours=3), playbook="tier3", category="defect")
        seed.move(c, "resolved", day + timedelta(hours=13))
        seed.case(day + timedelta(hours=4), playbook="tier3", category="defect")
        seed.case(day + timedelta(hours=5), playbook="assister", category="enrollment")
        seed.case(day - timedelta(days=3), playbook="assister", category="enrollment")


def _csv_totals(data: bytes) -> dict[str, str]:
    rows = csv.DictReader(io.StringIO(data.decode()))
    return {row["figure"]: row["value"] for row in rows if row["breakdown"] == "total"}


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def _uploaded(fake_slack, completion) -> dict[str, bytes]:
    """filename -> bytes of the files in one files.completeUploadExternal call."""
    files = json.loads(completion.body["files"])
    return {
        fake_slack.upload_names[f["id"]]["filename"]: fake_slack.uploads[f["id"]] for f in files
    }


def test_report_week_answers_with_the_figures_and_dms_a_csv_and_a_chart(bot, fake_slack):
    _seed(bot.services.engine)
    answer = bot.sender.command("/escalate", "report week", user="U0LEAD001").json()
    assert answer["text"].endswith("Opened 5 · resolved 2 · still open 3 · closed unreachable 1"), (
        answer["text"]
    )
    shown = json.dumps(answer["blocks"])
    assert "Escalations, week of 2026-11-16" in shown
    assert "Identity verification vendor" in shown

    completion = fake_slack.wait_for("files.completeUploadExternal", timeout=20)[0]
    assert completion.body["channel_id"] == "D0LEAD001"  # the asker's DM
    assert [c.body["users"] for c in fake_slack.calls_to("conversations.open")] == ["U0LEAD001"]
    files = _uploaded(fake_slack, completion)
    csv_name = next(name for name in files if name.endswith(".csv"))
    png_name = next(name for name in files if name.endswith(".png"))
    totals = _csv_totals(files[csv_name])
    # By hand: opened this week a, b, c, d, e; resolved a and c; b closed unreachable; the
    # case of the week before is still open too (open at the week's end: b is closed).
    assert totals["opened"] == "5"
    assert totals["resolved"] == "2"
    assert totals["closed_unreachable"] == "1"
    assert totals["still_open"] == "3"
    assert _png_size(files[png_name]) == (1200, 800)


def test_report_words_it_does_not_know_get_the_usage(bot):
    answer = bot.sender.command("/escalate", "report fortnight").body
    assert "I don't know `fortnight`" in answer
    assert "/escalate report [week|month] [last] [playbook]" in answer


def test_report_for_one_playbook_counts_only_its_cases(bot, fake_slack):
    _seed(bot.services.engine)
    answer = bot.sender.command("/escalate", "report week tier3").json()
    assert answer["text"].endswith("Opened 2 · resolved 1 · still open 1 · closed unreachable 0")
    assert "(Platform" in json.dumps(answer["blocks"]) or "tier" in json.dumps(answer["blocks"])


def test_weekly_due_is_the_latest_monday_eight_oclock_our_time():
    zone = ZoneInfo("America/Los_Angeles")
    # Monday 23 Nov 2026, 07:59 and 08:00 in Los Angeles (16:00 UTC at 08:00).
    before = datetime(2026, 11, 23, 15, 59, tzinfo=UTC)
    at = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
    assert weekly_due(before, zone) == datetime(2026, 11, 16, 8, 0, tzinfo=zone)
    assert weekly_due(at, zone) == datetime(2026, 11, 23, 8, 0, tzinfo=zone)


def test_weekly_report_at_moves_the_weekly_post(make_bot, fake_slack, clock):
    bot = make_bot(WEEKLY_REPORT_CHANNEL=LEADS, WEEKLY_REPORT_AT="wed 10:00")
    # The suite starts on Wednesday 18 Nov 2026 at 09:00 in Los Angeles: this week's is not due.
    assert weekly_due(clock.now(), ZoneInfo("America/Los_Angeles"), weekday=2, at=time(10, 0)) < (
        clock.now()
    )
    assert post_weekly_report(bot.services) is True  # last Wednesday's, made up
    clock.advance(timedelta(hours=1))
    assert post_weekly_report(bot.services) is True  # today's at 10:00
    assert post_weekly_report(bot.services) is False


def test_the_weekly_post_goes_out_once_across_replicas_and_is_made_up_after_downtime(
    make_bot, fake_slack, clock
):
    first = make_bot(WEEKLY_REPORT_CHANNEL=LEADS)
    second = make_bot(WEEKLY_REPORT_CHANNEL=LEADS)  # a second replica on the same database
    _seed(first.services.engine)
    # No replica was up on Monday 23 Nov at 08:00; one comes up on Wednesday 25.
    clock.advance(timedelta(days=7))
    assert post_weekly_report(first.services) is True
    assert post_weekly_report(second.services) is False
    run_tick(second.services)
    run_tick(first.services)
    posts = [c for c in fake_slack.calls_to("chat.postMessage") if c.body["channel"] == LEADS]
    assert len(posts) == 1
    assert "Opened 5" in posts[0].body["text"]
    completion = fake_slack.wait_for("files.completeUploadExternal", timeout=20)
    assert len(completion) == 1
    # The files go in the summary's thread.
    with Session(first.services.engine) as session:
        summary = session.exec(
            select(OutboxItem).where(OutboxItem.dedup_key == "weekly-report:2026-11-16")
        ).one()
    assert completion[0].body["thread_ts"] == summary.result["ts"]
    assert completion[0].body["channel_id"] == summary.result["channel"]
    # A week later, the next Monday's post is its own, once.
    clock.advance(timedelta(days=7))
    assert post_weekly_report(second.services) is True
    assert post_weekly_report(first.services) is False
