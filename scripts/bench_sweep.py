"""Benchmark the deadline sweep: its time with 1,000 and with 100,000 open cases, 100 due.

Not a test. Run from the repository root:

    python scripts/bench_sweep.py [--database-url postgresql+psycopg://…] [--sizes 1000 100000]

The sweep reads due rows through `ix_deadline_due`, so it should cost what is due, not what is
open: the 100,000-case time should stay within 2× the 1,000-case time. Slack delivery is left
out (the outbox items are recorded, not sent).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402

from slackbot.domain.clock import FixedClock  # noqa: E402
from slackbot.domain.playbooks import parse_playbooks  # noqa: E402
from storage.db import make_engine  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Case, Deadline  # noqa: E402

NOW = datetime(2026, 11, 18, 17, 0, tzinfo=UTC)
DUE = 100
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


def populate(engine, open_cases: int) -> None:
    """`open_cases` cases with the vendor; the first DUE have missed their progress update."""
    chunk = 5000
    with engine.begin() as connection:
        for start in range(0, open_cases, chunk):
            cases, rows = [], []
            for n in range(start, min(start + chunk, open_cases)):
                handed = NOW - (timedelta(hours=25) if n < DUE else timedelta(hours=1))
                cases.append(
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
                rows.append(
                    {
                        "case_id": n + 1,
                        "kind": "progress_update",
                        "state": "pending",
                        "due_at": handed + timedelta(hours=24),
                        "expires_at": handed + timedelta(hours=24),
                        "anchor_at": handed,
                        "misses": 0,
                        "updated_at": handed,
                    }
                )
            connection.execute(insert(Case), cases)
            connection.execute(insert(Deadline), rows)


def run(url: str | None, open_cases: int) -> float:
    """Build a database with `open_cases` cases and time one sweep."""
    from slackbot.usecases.deadlines import sweep

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(url or f"sqlite:///{Path(tmp) / 'bench.db'}")
        if url:
            with engine.begin() as connection:
                SQLModel.metadata.drop_all(connection)
                connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade(engine)
        populate(engine, open_cases)
        with engine.begin() as connection:
            if engine.dialect.name == "sqlite":
                connection.exec_driver_sql("ANALYZE")
            else:
                connection.exec_driver_sql("ANALYZE deadline")
        services = SimpleNamespace(
            engine=engine,
            clock=FixedClock(NOW),
            playbooks=PLAYBOOKS,
            outbox=SimpleNamespace(kick=lambda: None),
        )
        began = time.perf_counter()
        acted = sweep(services)
        elapsed = time.perf_counter() - began
        if acted != DUE:
            raise SystemExit(f"expected {DUE} reminders, the sweep acted on {acted}")
        if url:
            with engine.begin() as connection:
                SQLModel.metadata.drop_all(connection)
                connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        engine.dispose()
    return elapsed


def main() -> None:
    """Print the sweep's time per size and the ratio of the largest to the smallest."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    args = parser.parse_args()
    times = {}
    for size in args.sizes:
        times[size] = run(args.database_url, size)
        print(f"{size:>7} open cases, {DUE} due: sweep {times[size] * 1000:8.1f} ms")
    smallest, largest = min(args.sizes), max(args.sizes)
    ratio = times[largest] / times[smallest]
    verdict = "ok" if ratio <= 2 else "TOO SLOW"
    print(f"ratio {largest}/{smallest}: {ratio:.2f}× ({verdict}: must stay within 2×)")


if __name__ == "__main__":
    main()
