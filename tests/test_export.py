"""`python -m slackbot export`: cases and their events, contact details only when asked for."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from slackbot import export as export_module
from slackbot.domain.playbooks import DEFAULT_PLAYBOOKS_PATH, load_playbooks
from slackbot.export import export
from storage.db import make_engine, write_session
from storage.migrate import upgrade
from tests.support.cases import IDV_CONTACTS, IDV_OTHER, Seeder

PLAYBOOKS = load_playbooks(DEFAULT_PLAYBOOKS_PATH)
ROOT = Path(__file__).resolve().parent.parent


def utc(month, day, hour=12):
    return datetime(2026, month, day, hour, tzinfo=UTC)


def seed(engine) -> None:
    """An idv case full of contact details, an internal one, and one opened before the window."""
    with write_session(engine) as session:
        s = Seeder(session)
        idv = s.case(utc(1, 5), summary="Robin cannot verify", fields={**IDV_CONTACTS, **IDV_OTHER})
        s.move(idv, "with_vendor", utc(1, 5, 13))
        s.event(
            idv,
            utc(1, 5, 14),
            "reply",
            via="thread",
            detail={"ts": "1.2", "text": "Called 555-555-0199, left a message for Robin"},
        )
        s.update(
            idv,
            utc(1, 6),
            vendor_ticket="T-9",
            note="Vendor wrote to robin.placeholder@example.com",
        )
        tier3 = s.case(
            utc(1, 31, 20),
            playbook="tier3",
            category="appointments",
            fields={"description": "Appointment hidden"},
        )
        s.move(tier3, "resolved", utc(2, 1))
        s.case(utc(12, 31), playbook="tier3")  # 2026-12-31: after --until in the tests below
        early = s.case(datetime(2025, 12, 31, 12, tzinfo=UTC), playbook="tier3")
        s.event(early, datetime(2025, 12, 31, 13, tzinfo=UTC), "reply", detail={"text": "old"})


@pytest.fixture
def engine(database):
    _, engine = database
    upgrade(engine)
    seed(engine)
    return engine


def run(engine, **options) -> str:
    out = io.StringIO()
    export(engine, PLAYBOOKS, out, since=options.pop("since", date(2026, 1, 1)), **options)
    return out.getvalue()


def contact_values() -> list[str]:
    return list(IDV_CONTACTS.values()) + ["Robin", "555-555-0199"]


def test_csv_without_contacts_has_every_event_and_no_contact_value(engine):
    text = run(engine, until=date(2026, 2, 28))
    for value in contact_values():
        assert value not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(row["case"], row["kind"]) for row in rows] == [
        ("ESC-1", "opened"),
        ("ESC-1", "status_changed"),
        ("ESC-1", "reply"),
        ("ESC-1", "update"),
        ("ESC-2", "opened"),
        ("ESC-2", "status_changed"),
    ]
    first = rows[0]
    assert first["summary"] == "••• cannot verify"
    fields = json.loads(first["fields"])
    assert fields["description"] == IDV_OTHER["description"]
    assert not set(IDV_CONTACTS) & set(fields)
    assert "left a message for •••" in rows[2]["detail"]
    assert (
        rows[3]["vendor_ticket"] == "" and json.loads(rows[3]["detail"])["vendor_ticket"] == "T-9"
    )
    assert rows[0]["opened_at"] == "2026-01-05T12:00:00+00:00"


def test_json_with_contacts_keeps_them(engine):
    cases = json.loads(run(engine, until=date(2026, 2, 28), fmt="json", include_contacts=True))
    assert [case["case"] for case in cases] == ["ESC-1", "ESC-2"]
    idv = cases[0]
    assert idv["fields"]["end_user_email"] == IDV_CONTACTS["end_user_email"]
    assert idv["summary"] == "Robin cannot verify"
    assert [event["kind"] for event in idv["events"]] == [
        "opened",
        "status_changed",
        "reply",
        "update",
    ]
    assert "555-555-0199" in idv["events"][2]["detail"]["text"]


def test_json_without_contacts(engine):
    text = run(engine, until=date(2026, 2, 28), fmt="json")
    for value in contact_values():
        assert value not in text
    assert json.loads(text)[1]["fields"] == {"description": "Appointment hidden"}


def test_the_window_is_whole_days_in_our_zone(engine):
    # ESC-2 opened 31 January 20:00 UTC = 12:00 in Los Angeles; ESC-4 on 31 December 2025 04:00 LA.
    only_january = json.loads(
        run(engine, since=date(2026, 1, 31), until=date(2026, 1, 31), fmt="json")
    )
    assert [case["case"] for case in only_january] == ["ESC-2"]
    everything = json.loads(run(engine, since=date(2025, 12, 31), fmt="json"))
    assert [case["case"] for case in everything] == ["ESC-1", "ESC-2", "ESC-3", "ESC-4"]


def test_batches_stream_every_case_with_its_own_events(engine, monkeypatch):
    monkeypatch.setattr(export_module, "BATCH", 1)
    cases = json.loads(run(engine, since=date(2025, 1, 1), fmt="json"))
    assert [(case["case"], len(case["events"])) for case in cases] == [
        ("ESC-1", 4),
        ("ESC-2", 2),
        ("ESC-3", 1),
        ("ESC-4", 2),
    ]


def test_a_progress_bar_goes_to_the_progress_stream(engine):
    progress, out = io.StringIO(), io.StringIO()
    written = export(engine, PLAYBOOKS, out, since=date(2025, 1, 1), progress=progress)
    assert written == 4
    assert "4/4" in progress.getvalue()
    assert "4/4" not in out.getvalue()


def test_the_command_needs_no_slack_tokens(tmp_path):
    url = f"sqlite:///{tmp_path / 'export.db'}"
    engine = make_engine(url)
    upgrade(engine)
    seed(engine)
    engine.dispose()
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "DATABASE_URL": url}
    output = tmp_path / "cases.csv"
    done = subprocess.run(
        [sys.executable, "-m", "slackbot", "export", "--since", "2026-01-01", "--until",
         "2026-02-28", "--output", str(output)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "exported 2 case(s)" in done.stderr
    text = output.read_text(encoding="utf-8")
    assert text.startswith("case,playbook,status")
    assert IDV_CONTACTS["end_user_email"] not in text


def test_bad_arguments_and_settings(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        export_module.main(["--since", "January"])
    assert stop.value.code == 2
    assert "--since" in capsys.readouterr().err
    status = export_module.main(["--since", "2026-01-01"], env={"DATABASE_URL": "mysql://x/y"})
    assert status == 2
    assert capsys.readouterr().err.startswith("configuration error: DATABASE_URL")
