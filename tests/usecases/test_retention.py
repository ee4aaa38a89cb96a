"""Retention: old closed cases lose contact details and free text; the figures stay the same."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select as select_table
from sqlmodel import Session, SQLModel, select

from slackbot.domain.playbooks import DEFAULT_PLAYBOOKS_PATH, load_playbooks
from slackbot.domain.report_views import report_rows
from slackbot.domain.reporting import PeriodKind
from slackbot.usecases import retention
from slackbot.usecases.reporting import build_report, build_weekly_series
from slackbot.usecases.retention import purge_expired
from storage.db import write_session
from storage.migrate import upgrade
from storage.models import Case, CaseEvent, OutboxItem
from tests.support.cases import IDV_CONTACTS, IDV_OTHER, Seeder

LA = ZoneInfo("America/Los_Angeles")
PLAYBOOKS = load_playbooks(DEFAULT_PLAYBOOKS_PATH)
NOW = datetime(2027, 3, 1, 17, tzinfo=UTC)
OLD = datetime(2026, 1, 12, 17, tzinfo=UTC)  # a Monday, 413 days before NOW
RECENT_CONTACTS = {
    "end_user_email": "kept.person@example.com",
    "end_user_phone": "555-555-0142",
    "agent_phone": "555-555-0143",
}
H = timedelta(hours=1)


@pytest.fixture
def engine(database):
    _, engine = database
    upgrade(engine)
    return engine


def seed_old_case(s: Seeder, opened_at: datetime, *, resolve: bool = True) -> Case:
    """An idv case with contact details everywhere free text goes, closed a day after opening."""
    case = s.case(opened_at, summary="Robin cannot verify", fields={**IDV_CONTACTS, **IDV_OTHER})
    s.move(case, "acknowledged", opened_at + H)
    s.move(case, "with_vendor", opened_at + 2 * H)
    s.reminder(case, opened_at + 6 * H, "vendor_ack")
    s.event(
        case, opened_at + 3 * H, "reply", via="thread",
        detail={"ts": "1.2", "text": "Robin says call 555-555-0199", "files": [{"name": "id.png"}]},
    )  # fmt: skip
    s.update(case, opened_at + 8 * H, vendor_ticket="T-7", vendor_status="Emailed Robin")
    case.vendor_status = "Emailed robin.placeholder@example.com"
    s.draft(
        case, opened_at + 2 * H,
        body="Prescriber: Robin Placeholder, robin.placeholder@example.com, 555-555-0199",
        to=["ehr-support@idv-vendor.example.com"], cc=["agent@example.com"],
        subject="AcmeEHR; XQ123; robin.placeholder@example.com",
        sender={"user_id": "U0AGENT", "name": "Agent", "email": "agent@example.com"},
    )  # fmt: skip
    s.page(case, opened_at + 4 * H, impact="Robin Placeholder and others cannot sign in")
    s.session.add(
        OutboxItem(
            kind="email", case_id=case.id, state="done", created_at=opened_at,
            next_attempt_at=opened_at,
            payload={"to": ["ehr-support@idv-vendor.example.com"], "text": "555-555-0199"},
        )
    )  # fmt: skip
    final = "resolved" if resolve else "closed_unreachable"
    s.move(case, "vendor_contacting_user", opened_at + 20 * H)
    s.move(case, final, opened_at + 24 * H, note="Robin verified at last")
    return case


def seed(engine) -> None:
    with write_session(engine) as session:
        s = Seeder(session)
        seed_old_case(s, OLD)
        seed_old_case(s, OLD + 26 * H, resolve=False)
        recent = s.case(NOW - timedelta(days=11), fields={**IDV_OTHER, **RECENT_CONTACTS})
        s.move(recent, "resolved", NOW - timedelta(days=10))
        s.case(OLD - timedelta(days=3), fields={"end_user_email": "still.open@example.com"})


def everything_stored(engine) -> str:
    """Every value of every column of every table, as text."""
    parts = []
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for row in connection.execute(select_table(table)):
                parts += [json.dumps(value, ensure_ascii=False, default=str) for value in row]
    return "\n".join(parts)


def figures(engine) -> list:
    old_week = build_report(engine, PLAYBOOKS, now=OLD + 12 * H, zone=LA)
    old_month = build_report(engine, PLAYBOOKS, now=OLD, zone=LA, kind=PeriodKind.MONTH)
    recent = build_report(engine, PLAYBOOKS, now=NOW, zone=LA, last=True)
    series = build_weekly_series(engine, PLAYBOOKS, now=OLD + timedelta(days=7), zone=LA)
    return [report_rows(report, PLAYBOOKS) for report in (old_week, old_month, recent)] + [series]


def test_the_purge_keeps_the_figures_and_leaves_no_contact_value(engine):
    seed(engine)
    before = figures(engine)
    assert purge_expired(engine, PLAYBOOKS, NOW, 365) == 2
    assert figures(engine) == before
    stored = everything_stored(engine)
    for value in [*IDV_CONTACTS.values(), "555-555-0199", "Robin", "agent@example.com", "id.png"]:
        assert value not in stored, value
    # Closed ten days ago, or still open: kept.
    for value in [*RECENT_CONTACTS.values(), "still.open@example.com"]:
        assert value in stored


def test_what_is_kept_and_what_is_logged(engine):
    seed(engine)
    purge_expired(engine, PLAYBOOKS, NOW, 365)
    with Session(engine) as session:
        case = session.get(Case, 1)
        assert (case.status, case.playbook_id, case.tier, case.category) == (
            "resolved",
            "idv",
            1,
            "access",
        )
        assert case.summary == "" and case.vendor_status is None
        assert case.fields == {
            "agent_timezone": "America/Los_Angeles",
            "preferred_contact": "Email",
            "end_user_timezone": "America/New_York",
            "occurred_at": IDV_OTHER["occurred_at"],
        }
        events = session.exec(select(CaseEvent).where(CaseEvent.case_id == 1)).all()
        reply = next(e for e in events if e.kind == "reply")
        assert reply.detail == {"ts": "1.2", "text": "", "files": []}
        reminder = next(e for e in events if e.kind == "reminder")
        assert reminder.detail == {"deadline": "vendor_ack", "miss": 1}
        assert [e.detail for e in events if e.kind == "purged"] == [{"retention_days": 365}]


def test_the_purge_is_idempotent_and_runs_in_batches(engine, monkeypatch):
    seed(engine)
    monkeypatch.setattr(retention, "BATCH", 1)
    assert purge_expired(engine, PLAYBOOKS, NOW, 365) == 2
    assert purge_expired(engine, PLAYBOOKS, NOW, 365) == 0
    with Session(engine) as session:
        purges = session.exec(select(CaseEvent.case_id).where(CaseEvent.kind == "purged")).all()
    assert sorted(purges) == [1, 2]


def test_a_case_with_outbox_work_pending_waits_for_the_next_run(engine):
    seed(engine)
    with write_session(engine) as session:
        session.add(
            OutboxItem(
                kind="slack.post", case_id=1, state="pending", created_at=NOW,
                next_attempt_at=NOW, payload={"text": "Robin"},
            )
        )  # fmt: skip
    assert purge_expired(engine, PLAYBOOKS, NOW, 365) == 1
    with write_session(engine) as session:
        session.execute(OutboxItem.__table__.update().values(state="done"))
    assert purge_expired(engine, PLAYBOOKS, NOW, 365) == 1
    assert "Robin" not in everything_stored(engine)


def test_nothing_is_old_enough(engine):
    seed(engine)
    assert purge_expired(engine, PLAYBOOKS, NOW, 3650) == 0
    assert IDV_CONTACTS["end_user_email"] in everything_stored(engine)
