"""Deadlines in storage and the sweep: a playbook with durations in seconds and a fixed clock."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from commands.overdue import handle_overdue
from commands.subcommands import CommandContext
from slackbot.app import build_app
from slackbot.config import load_settings
from slackbot.domain.cases import CaseStatus
from slackbot.domain.deadlines import DeadlineKind, SnoozeChoice
from slackbot.domain.status_machine import Action, Via
from slackbot.domain.updates import Update
from slackbot.scheduler import build_scheduler
from slackbot.usecases import deadlines, reminder_actions
from slackbot.usecases.case_change import Actor, Outcome
from slackbot.usecases.move_case import move_case
from slackbot.usecases.open_case import Requester, open_case
from slackbot.usecases.unreachable import close_unreachable
from slackbot.usecases.updates import add_update
from slackbot.wiring import build_services
from storage.db import write_session
from storage.models import Case, CaseEvent, Deadline, OutboxItem
from tests.support.closing import NOTE
from tests.support.env import base_env
from tests.support.fast_vendor import FAST, hand_off, open_fast_case


@pytest.fixture
def fast_playbooks(tmp_path):
    path = tmp_path / "playbooks.toml"
    path.write_text(FAST, encoding="utf-8")
    return path


@pytest.fixture
def start_services(database, fake_slack, clock, fast_playbooks):
    """Build a Services instance on the test database; call again to 'restart' the bot."""
    url, engine = database

    def start():
        env = base_env(fake_slack, url, ESCALATION_PLAYBOOKS=str(fast_playbooks))
        settings = load_settings(env, dotenv=False)
        services = build_services(settings, clock=clock, engine=engine)
        return services

    return start


def _reminders(fake_slack, case_root_ts=None):
    posts = fake_slack.calls_to("chat.postMessage")
    return [
        c
        for c in posts
        if c.body.get("thread_ts")
        and ":alarm_clock:" in str(c.body)
        or (c.body.get("thread_ts") and ":rotating_light:" in str(c.body))
    ]


def _row(services, case_id, kind):
    with Session(services.engine) as session:
        return session.exec(
            select(Deadline).where(Deadline.case_id == case_id, Deadline.kind == kind.value)
        ).one()


def test_done_when_one_reminder_per_missed_update_across_a_restart_then_the_72h_close(
    start_services, fake_slack, clock
):
    services = start_services()
    case_id = open_fast_case(services)
    hand_off(services, case_id)
    assert deadlines.sweep(services) == 0

    clock.advance(timedelta(seconds=10))
    assert deadlines.sweep(services) == 1
    assert deadlines.sweep(services) == 0  # the same sweep again: nothing new
    first = _reminders(fake_slack)
    assert len(first) == 1
    assert "<!subteam^S0TIER10009>" in first[0].body["text"]
    assert "progress update" in first[0].body["text"]

    # The bot restarts: a new services instance on the same database.
    services = start_services()
    clock.advance(timedelta(seconds=5))
    assert deadlines.sweep(services) == 0
    clock.advance(timedelta(seconds=5))
    assert deadlines.sweep(services) == 1
    second = _reminders(fake_slack)
    assert len(second) == 2
    assert "<!subteam^S0LEADS0009>" in second[1].body["text"]  # the second miss goes to leads
    assert "Vendor support lead" in str(second[1].body["blocks"])

    # The vendor now tries to reach the end user; 30 s without contact closes the case.
    hand_off(services, case_id, status=CaseStatus.VENDOR_CONTACTING_USER)
    clock.advance(timedelta(seconds=30))
    deadlines.sweep(services)
    with Session(services.engine) as session:
        case = session.get(Case, case_id)
        assert case.status == CaseStatus.CLOSED_UNREACHABLE.value
        closing = session.exec(
            select(CaseEvent).where(
                CaseEvent.case_id == case_id,
                CaseEvent.to_status == CaseStatus.CLOSED_UNREACHABLE.value,
            )
        ).one()
    assert closing.actor == "scheduler"
    notes = [
        c
        for c in fake_slack.calls_to("chat.postMessage")
        # The opener's DM about the close (issue 13) is not a thread note.
        if "unreachable" in c.body.get("text", "") and c.body.get("thread_ts")
    ]
    assert len(notes) == 1
    assert "reply on the vendor email thread" in notes[0].body["text"]
    # Closed: nothing more is due, ever.
    clock.advance(timedelta(hours=1))
    assert deadlines.sweep(services) == 0


def test_the_unreachable_close_is_a_compare_and_set_move_like_any_other(start_services, clock):
    services = start_services()
    case_id = open_fast_case(services)
    hand_off(services, case_id, status=CaseStatus.VENDOR_CONTACTING_USER)
    with Session(services.engine) as session:
        before = session.get(Case, case_id)
        version, owner, tier = before.version, before.owner_id, before.tier
    clock.advance(timedelta(seconds=30))
    deadlines.sweep(services)
    with Session(services.engine) as session:
        case = session.get(Case, case_id)
        closing = session.exec(
            select(CaseEvent).where(
                CaseEvent.case_id == case_id,
                CaseEvent.to_status == CaseStatus.CLOSED_UNREACHABLE.value,
            )
        ).one()
    assert case.version == version + 1
    assert case.closed_at is not None
    assert (closing.kind, closing.actor, closing.via) == (
        "status_changed",
        "scheduler",
        "scheduler",
    )
    assert closing.from_status == CaseStatus.VENDOR_CONTACTING_USER.value
    assert closing.detail == {
        "action": "close_unreachable",
        "from_owner": owner,
        "to_owner": owner,
        "from_tier": tier,
        "to_tier": tier,
        "rule": "unreachable_close",
        "after": "30s",
    }


def test_an_unreachable_close_the_status_machine_refuses_changes_nothing(start_services, clock):
    services = start_services()
    case_id = open_fast_case(services)  # open, not with the vendor: the close is illegal
    playbook = services.playbooks.get("fast")

    def snapshot():
        with Session(services.engine) as session:
            case = session.get(Case, case_id)
            events = session.exec(select(CaseEvent.id).where(CaseEvent.case_id == case_id)).all()
            items = session.exec(select(OutboxItem.id)).all()
            return case.version, case.status, len(events), len(items)

    before = snapshot()
    with write_session(services.engine) as session:
        case = session.get(Case, case_id)
        assert not close_unreachable(services, session, case, playbook, clock.now())
    assert snapshot() == before  # no move, no event, and nobody is told
    assert before[1] == CaseStatus.OPEN.value


def test_reminders_missed_while_down_are_posted_once(start_services, fake_slack, clock):
    services = start_services()
    case_id = open_fast_case(services)
    hand_off(services, case_id)
    clock.advance(timedelta(seconds=95))  # nine periods passed while the bot was down
    assert deadlines.sweep(services) == 1
    for _ in range(5):
        assert deadlines.sweep(start_services()) == 0
    assert len(_reminders(fake_slack)) == 1
    row = _row(services, case_id, DeadlineKind.PROGRESS_UPDATE)
    assert row.misses == 1


def test_a_crash_before_commit_loses_nothing_and_repeats_nothing(
    start_services, fake_slack, clock, monkeypatch
):
    services = start_services()
    case_id = open_fast_case(services)
    hand_off(services, case_id)
    clock.advance(timedelta(seconds=10))
    real = deadlines._remind

    def crash(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("the process died here")

    monkeypatch.setattr(deadlines, "_remind", crash)
    with pytest.raises(RuntimeError):
        deadlines.sweep(services)
    monkeypatch.setattr(deadlines, "_remind", real)
    services.outbox.deliver_due()
    assert _reminders(fake_slack) == []  # rolled back with the transaction: nothing was sent

    restarted = start_services()
    assert deadlines.sweep(restarted) == 1
    assert deadlines.sweep(restarted) == 0
    assert len(_reminders(fake_slack)) == 1


def test_an_update_resets_the_progress_clock(start_services, clock):
    services = start_services()
    case_id = open_fast_case(services)
    hand_off(services, case_id)
    clock.advance(timedelta(seconds=10))
    deadlines.sweep(services)
    assert _row(services, case_id, DeadlineKind.PROGRESS_UPDATE).misses == 1
    clock.advance(timedelta(seconds=3))
    result = add_update(
        services,
        case_id=case_id,
        actor=Actor("U0AGENT01", {1: frozenset({"U0AGENT01"})}),
        update_=Update(vendor_ticket=None, vendor_status="Investigating", note=None),
    )
    assert result.outcome is Outcome.APPLIED
    row = _row(services, case_id, DeadlineKind.PROGRESS_UPDATE)
    assert row.misses == 0
    assert row.due_at.replace(tzinfo=None) == (clock.now() + timedelta(seconds=10)).replace(
        tzinfo=None
    )


def test_vendor_ack_clock_runs_until_the_ticket_arrives(start_services, fake_slack, clock):
    services = start_services()
    case_id = open_fast_case(services)
    hand_off(services, case_id, ticket=None)
    clock.advance(timedelta(seconds=5))
    assert deadlines.sweep(services) == 1
    assert "acknowledgement" in _reminders(fake_slack)[0].body["text"]
    hand_off(services, case_id, ticket="V-7")
    assert _row(services, case_id, DeadlineKind.VENDOR_ACK).state == "cleared"


def test_snooze_is_for_the_owner_and_is_logged(start_services, fake_slack, clock):
    services = start_services()
    case_id = open_fast_case(services)
    hand_off(services, case_id)
    row_id = _row(services, case_id, DeadlineKind.PROGRESS_UPDATE).id
    with pytest.raises(reminder_actions.ReminderError, match="Only the case's owner"):
        reminder_actions.snooze(
            services,
            deadline_id=row_id,
            user_id="U0OTHER01",
            choice=SnoozeChoice.HOUR,
            channel=None,
        )
    until = reminder_actions.snooze(
        services, deadline_id=row_id, user_id="U0AGENT01", choice=SnoozeChoice.HOUR, channel=None
    )
    assert until == clock.now() + timedelta(hours=1)
    clock.advance(timedelta(seconds=30))
    assert deadlines.sweep(services) == 0
    clock.advance(timedelta(hours=1))
    assert deadlines.sweep(services) == 1
    with Session(services.engine) as session:
        kinds = [
            e.kind for e in session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id))
        ]
    assert "snoozed" in kinds and "reminder" in kinds


def test_escalate_overdue_lists_oldest_first(start_services, fake_slack, clock):
    services = start_services()
    older = open_fast_case(services)
    hand_off(services, older)
    clock.advance(timedelta(seconds=4))
    newer = open_fast_case(services)
    hand_off(services, newer)
    ctx = CommandContext(services, "U0AGENT01", "C0SUPPORT1", "", [], services.slack)
    assert handle_overdue(ctx).text == ":white_check_mark: Nothing is overdue."
    clock.advance(timedelta(seconds=20))
    text = handle_overdue(ctx).text
    assert text.index(f"ESC-{older}") < text.index(f"ESC-{newer}")
    assert "progress update" in text


def test_two_sweepers_at_once_post_each_reminder_exactly_once(start_services, fake_slack, clock):
    services = start_services()
    case_ids = [open_fast_case(services) for _ in range(25)]
    for case_id in case_ids:
        hand_off(services, case_id)
    clock.advance(timedelta(seconds=10))
    sweepers = [start_services() for _ in range(2)]
    counts: list[int] = []
    lock = threading.Lock()

    def run(s, name):
        acted = deadlines.sweep(s, worker=name, batch=5)
        with lock:
            counts.append(acted)

    threads = [threading.Thread(target=run, args=(s, f"w{i}")) for i, s in enumerate(sweepers * 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 25
    with Session(services.engine) as session:
        items = session.exec(
            select(OutboxItem).where(OutboxItem.dedup_key.like("deadline:%"))
        ).all()
        events = session.exec(select(CaseEvent).where(CaseEvent.kind == "reminder")).all()
    assert len(items) == 25
    assert sorted(e.case_id for e in events) == sorted(case_ids)


def test_the_scheduler_runs_the_sweep_every_tick(start_services):
    services = start_services()
    build_app(services, token_verification=False)
    assert {"outbox", "deadlines"} <= set(services.tick_jobs)
    scheduler = build_scheduler(services)
    assert scheduler.get_job("deadlines") is not None


def test_the_background_scheduler_posts_once_across_ticks_and_a_restart(
    database, fake_slack, clock, fast_playbooks
):
    """The real APScheduler at 0.1 s: many ticks, two scheduler instances, one reminder."""
    url, engine = database
    env = base_env(
        fake_slack, url, ESCALATION_PLAYBOOKS=str(fast_playbooks), SCHEDULER_INTERVAL_SECONDS="0.1"
    )

    def start():
        services = build_services(load_settings(env, dotenv=False), clock=clock, engine=engine)
        build_app(services, token_verification=False)
        ticks = threading.Semaphore(0)
        services.tick_jobs["tick_counter"] = lambda s: ticks.release()
        scheduler = build_scheduler(services)
        scheduler.start()
        return services, scheduler, ticks

    def wait_ticks(ticks, count):
        for _ in range(count):
            assert ticks.acquire(timeout=5), "the scheduler stopped ticking"

    services, scheduler, ticks = start()
    case_id = open_fast_case(services)
    hand_off(services, case_id)
    clock.advance(timedelta(seconds=10))
    fake_slack.wait_for("chat.postMessage", count=len(fake_slack.calls_to("chat.postMessage")) + 1)
    wait_ticks(ticks, 5)
    scheduler.shutdown(wait=True)
    services, scheduler, ticks = start()  # the bot restarts
    wait_ticks(ticks, 5)
    scheduler.shutdown(wait=True)
    assert len(_reminders(fake_slack)) == 1
    with Session(engine) as session:
        events = session.exec(select(CaseEvent).where(CaseEvent.kind == "reminder")).all()
    assert len(events) == 1


def test_callback_clock_until_the_call_back_is_confirmed(start_services, fake_slack, clock):
    services = start_services()
    playbook = services.playbooks.get("fast")
    case = open_case(
        services,
        playbook=playbook,
        values={
            "summary": "Call me back",
            "category": "other",
            "requester_type": "End user",
            "internal_ticket": "T-2",
            "callback_phone": "555-555-0100",
        },
        requester=Requester("U0AGENT01", None),
    )
    row = _row(services, case.id, DeadlineKind.CALLBACK)
    assert row.state == "pending"
    clock.advance(timedelta(days=1))
    assert deadlines.sweep(services) == 1
    blocks = str(_reminders(fake_slack)[-1].body["blocks"])
    assert "deadline_callback_done" in blocks
    reminder_actions.record_callback_done(services, case_id=case.id, actor=Actor("U0AGENT01"))
    assert _row(services, case.id, DeadlineKind.CALLBACK).state == "cleared"


def test_moves_through_the_status_machine_keep_the_clocks_in_step(start_services, clock):
    services = start_services()
    case_id = open_fast_case(services)
    agent = Actor("U0AGENT01", {1: frozenset({"U0AGENT01"})})
    result = move_case(
        services, case_id=case_id, action=Action.HAND_TO_VENDOR, actor=agent, via=Via.BUTTON
    )
    assert result.outcome is Outcome.APPLIED
    with Session(services.engine) as session:
        rows = session.exec(select(Deadline).where(Deadline.case_id == case_id)).all()
        kinds = {row.kind: row.state for row in rows}
    assert kinds == {"vendor_ack": "pending", "progress_update": "pending"}
    move_case(
        services,
        case_id=case_id,
        action=Action.RESOLVE,
        actor=agent,
        via=Via.BUTTON,
        resolution=NOTE,
    )
    assert _row(services, case_id, DeadlineKind.PROGRESS_UPDATE).state == "cleared"
    clock.advance(timedelta(minutes=5))
    assert deadlines.sweep(services) == 0
