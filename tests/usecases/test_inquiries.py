"""General inquiries: stored as one row, counted by playbook and category, purged of their text
by retention (issue 13, item 9)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, SQLModel, select

from slackbot.domain.playbooks import DEFAULT_PLAYBOOKS_PATH, load_playbooks
from slackbot.usecases.retention import purge_expired
from storage import reporting
from storage.models import Inquiry

AT = datetime(2026, 11, 18, 17, 0, tzinfo=UTC)


def _inquiry(at: datetime, category: str, playbook: str = "idv") -> Inquiry:
    return Inquiry(
        playbook_id=playbook,
        category=category,
        requester_type="Clinician",
        topic="How long does it take?",
        answer="A business day.",
        logged_by="U0AGENT01",
        logged_at=at,
    )


def test_inquiries_are_counted_in_their_period_and_retention_keeps_only_the_counts(database):
    _, engine = database
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(_inquiry(AT - timedelta(days=40), "access"))
        session.add(_inquiry(AT - timedelta(hours=1), "access"))
        session.add(_inquiry(AT - timedelta(hours=2), "access"))
        session.add(_inquiry(AT - timedelta(hours=3), "other", playbook="tier3"))
        session.commit()
    week = (AT - timedelta(days=7), AT)
    with Session(engine) as session:
        assert reporting.general_inquiries(session, *week) == {"idv/access": 2, "tier3/other": 1}
        assert reporting.general_inquiries(session, *week, "tier3") == {"tier3/other": 1}
        assert reporting.general_inquiries(session, AT, AT + timedelta(days=1)) == {}

    purge_expired(engine, load_playbooks(DEFAULT_PLAYBOOKS_PATH), AT, 30)
    with Session(engine) as session:
        rows = session.exec(select(Inquiry).order_by(Inquiry.logged_at)).all()
        assert (rows[0].topic, rows[0].answer, rows[0].category) == ("", None, "access")
        assert all(row.topic for row in rows[1:])
