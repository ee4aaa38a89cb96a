"""The deadline sweep with 1,000 and 100,000 open cases, 100 due, warmed up.

    python -m bench.sweep [--sizes 1000 100000] [--database-url postgresql+psycopg://…] [--json]

The sweep reads due rows through `ix_deadline_due`, so it should cost what is due, not what is
open. Each size gets its own database with WARMUPS + MEASURED batches of 100 due deadlines, due
one minute apart: the first sweeps (warm-up: imports, SQLAlchemy's statement cache, the
database's page cache) act on their batch and move it a day on, then each measured sweep acts
on exactly the next 100; the median of the measured sweeps is reported. Slack delivery is left
out (the outbox items are recorded, not sent). On PostgreSQL the tables live in a schema of
their own, dropped afterwards.

This is the one part of the benchmark that calls the bot's code directly (the sweep, the
migrations, the playbook parser, the engine factory): the main benchmark runs it in a process
of its own, so that when these move, only the sweep's rows say so.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import MetaData, Table, create_engine, insert, text
from sqlalchemy.engine import make_url

from slackbot.domain.clock import FixedClock
from slackbot.domain.playbooks import parse_playbooks
from slackbot.usecases.deadlines import sweep
from storage.db import make_engine
from storage.migrate import upgrade

NOW = datetime(2026, 11, 18, 17, 0, tzinfo=UTC)
DUE = 100
WARMUPS = 2
MEASURED = 5
STEP = timedelta(minutes=1)
PLAYBOOKS = parse_playbooks(
    {
        "playbook": [
            {
                "id": "bench",
                "title": "Bench vendor",
                "channel": "#bench",
                "receiver": {"name": "Bench vendor"},
                "hours": {"ours": {"always": True}},
                "sla": {"progress_update": "24h"},
            }
        ]
    }
)


def _due_at(n: int) -> datetime:
    """Case n's deadline: batch n // DUE falls due just before its sweep, the rest in 23 h."""
    batch = n // DUE
    if batch < WARMUPS + MEASURED:
        return NOW + batch * STEP - timedelta(seconds=30)
    return NOW + timedelta(hours=23)


def populate(engine, open_cases: int) -> None:
    """`open_cases` cases with the vendor, each with a progress-update deadline."""
    metadata = MetaData()
    cases = Table("escalation_case", metadata, autoload_with=engine)
    deadlines = Table("deadline", metadata, autoload_with=engine)
    chunk = 5000
    with engine.begin() as connection:
        for start in range(0, open_cases, chunk):
            case_rows, deadline_rows = [], []
            for n in range(start, min(start + chunk, open_cases)):
                due = _due_at(n)
                handed = due - timedelta(hours=24)
                case_rows.append(
                    {
                        "id": n + 1,
                        "playbook_id": "bench",
                        "summary": f"Case {n}",
                        "status": "with_vendor",
                        "tier": 1,
                        "priority": "normal",
                        "category": "other",
                        "requester_type": "End user",
                        "internal_ticket": f"T-{n}",
                        "fields": {},
                        "opened_by": "U0AGENT01",
                        "opened_at": handed - timedelta(hours=1),
                        "updated_at": handed,
                        "handed_off_at": handed,
                        "vendor_ticket": f"V-{n}",
                        "version": 1,
                    }
                )
                deadline_rows.append(
                    {
                        "case_id": n + 1,
                        "kind": "progress_update",
                        "state": "pending",
                        "due_at": due,
                        "expires_at": due,
                        "anchor_at": handed,
                        "misses": 0,
                        "updated_at": handed,
                    }
                )
            connection.execute(insert(cases), case_rows)
            connection.execute(insert(deadlines), deadline_rows)
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("ANALYZE")
        else:
            connection.exec_driver_sql("ANALYZE deadline")


def time_sweeps(engine, open_cases: int) -> dict[str, object]:
    """Populate, then sweep each batch in turn; the measured sweeps' times in seconds."""
    upgrade(engine)
    populate(engine, open_cases)
    clock = FixedClock(NOW)
    services = SimpleNamespace(
        engine=engine, clock=clock, playbooks=PLAYBOOKS, outbox=SimpleNamespace(kick=lambda: None)
    )
    times = []
    for batch in range(WARMUPS + MEASURED):
        clock.set(NOW + batch * STEP)
        began = time.perf_counter()
        acted = sweep(services)
        elapsed = time.perf_counter() - began
        if acted != DUE:
            raise SystemExit(f"expected {DUE} reminders, the sweep acted on {acted}")
        if batch >= WARMUPS:
            times.append(elapsed)
    return {"open": open_cases, "due": DUE, "seconds": statistics.median(times), "runs": times}


def run_sqlite(open_cases: int) -> dict[str, object]:
    """One size on a fresh SQLite file."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'sweep.db'}")
        try:
            return time_sweeps(engine, open_cases)
        finally:
            engine.dispose()


def run_postgres(url: str, open_cases: int) -> dict[str, object]:
    """One size in a fresh schema of the PostgreSQL database at `url`, dropped afterwards."""
    schema = f"bench_sweep_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = make_engine(scoped.render_as_string(hide_password=False))
    try:
        return time_sweeps(engine, open_cases)
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    """Print each size's warmed sweep time and the ratio of the largest to the smallest."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL (a schema is made; default SQLite)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--json", action="store_true", help="one JSON line per size")
    args = parser.parse_args()
    results = []
    for size in args.sizes:
        result = run_postgres(args.database_url, size) if args.database_url else run_sqlite(size)
        results.append(result)
        if args.json:
            print(json.dumps(result), flush=True)
        else:
            print(f"{size:>7} open cases, {DUE} due: sweep {result['seconds'] * 1000:8.1f} ms")
    if not args.json and len(results) > 1:
        ratio = results[-1]["seconds"] / results[0]["seconds"]
        print(f"ratio {args.sizes[-1]}/{args.sizes[0]}: {ratio:.2f}× (target ≤ 1.5×, warmed)")


if __name__ == "__main__":
    sys.exit(main())
