"""The lists read only the columns they show (issue 16: `/escalate list` spent half its CPU
building whole `Case` models): through the signed endpoint, `/escalate list`, `list all`,
`overdue` and the App Home answer as before, and none of their SQL reads a case's other
columns (its intake fields, resolution, assessment …); the listing rows equal the models'."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import fields
from datetime import timedelta

from sqlalchemy import event
from sqlmodel import Session

from storage.db import write_session
from storage.migrate import upgrade
from storage.models import Case, CaseListing, Deadline
from storage.repositories import open_case_listings, open_cases, overdue_listings
from tests.support.cases import IDV_OTHER, Seeder
from tests.support.env import START

VIEWER = "U0VIEWER1"
#: Columns of a case that no list shows: reading one means the whole model was built.
NOT_LISTED = ("escalation_case.fields", "escalation_case.resolution", "escalation_case.assessment")


@contextmanager
def statements(engine):
    """Every SQL statement the engine runs inside the block."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _seed(engine) -> list[int]:
    """Five open cases of the viewer's (two blockers, one owned by someone else, one overdue)
    and one resolved."""
    with write_session(engine) as session:
        seed = Seeder(session)
        ids = []
        for n in range(6):
            case = seed.case(
                START - timedelta(hours=10 - n),
                summary=f"Listed case {n + 1}",
                priority="high" if n in (2, 4) else "normal",
                fields=IDV_OTHER,
            )
            case.opened_by = VIEWER
            case.owner_id = VIEWER if n != 3 else "U0OTHER01"
            case.status = "acknowledged"
            case.channel_id, case.root_ts = "C0IDV0001", f"1700000000.{n:06d}"
            session.add(case)
            ids.append(case.id)
        seed.move(session.get(Case, ids[5]), "resolved", at=START - timedelta(hours=1))
        session.add(
            Deadline(
                case_id=ids[1],
                kind="vendor_ack",
                anchor_at=START - timedelta(hours=5),
                due_at=START - timedelta(hours=3),
                expires_at=START - timedelta(hours=3),
                updated_at=START,
            )
        )
    return ids


def _case_reads(seen: list[str]) -> list[str]:
    return [s for s in seen if s.lstrip().upper().startswith("SELECT") and "escalation_case" in s]


def test_the_lists_answer_as_before_from_the_listed_columns_only(bot, fake_slack):
    ids = _seed(bot.services.engine)
    fake_slack.channel_members["C0IDV0001"] = [VIEWER]
    with statements(bot.services.engine) as seen:
        mine = bot.sender.command("/escalate", "list", user=VIEWER).body
        everyone = bot.sender.command("/escalate", "list all", user=VIEWER).body
        overdue = bot.sender.command("/escalate", "overdue", user=VIEWER).body
        before = len(fake_slack.calls_to("views.publish"))
        bot.sender.event({"type": "app_home_opened", "user": VIEWER, "tab": "home"})
        home = str(fake_slack.wait_for("views.publish", before + 1)[-1].body["view"])
    # Blockers first, then oldest; the resolved one is not listed.
    order = [ids[2], ids[4], ids[0], ids[1], ids[3]]
    for answer in (mine, everyone):
        positions = [answer.index(f"*ESC-{case_id}*") for case_id in order]
        assert positions == sorted(positions), answer
        assert f"ESC-{ids[5]}*" not in answer
    assert f"ESC-{ids[1]}" in overdue and "overdue by 3h" in overdue
    assert "Listed case 1" in home and "overdue by 3h" in home
    reads = _case_reads(seen)
    assert len(reads) >= 4  # list, list all, overdue, the Home's page and waiting list
    for statement in reads:
        assert not any(column in statement for column in NOT_LISTED), statement


def test_listing_rows_are_the_models_columns(database):
    _, engine = database
    upgrade(engine)
    ids = _seed(engine)
    with Session(engine) as session:
        models = open_cases(session, user_id=VIEWER)
        rows = open_case_listings(session, user_id=VIEWER)
        assert [row.id for row in rows] == [case.id for case in models]
        for row, case in zip(rows, models, strict=True):
            assert row == CaseListing(*(getattr(case, f.name) for f in fields(CaseListing)))
        [(late, kind, expires_at, misses)] = overdue_listings(session, START)
        assert (late.id, kind, misses) == (ids[1], "vendor_ack", 0)
        assert expires_at.replace(tzinfo=None) == (START - timedelta(hours=3)).replace(tzinfo=None)
        assert overdue_listings(session, START - timedelta(hours=4)) == []
