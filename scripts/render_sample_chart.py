"""Regenerate `scripts/sample-report-chart.png`: the weekly chart drawn from a seeded store.

Not a test. Run from the repository root:

    python scripts/render_sample_chart.py [--output scripts/sample-report-chart.png]

Seeds a temporary SQLite store with twelve weeks of made-up cases for the shipped playbooks (no
people data: cases carry a summary and status moves only), then draws the chart exactly as the
report does: `build_weekly_series` (grouped SQL) and `render_chart`.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slackbot.domain.playbooks import DEFAULT_PLAYBOOKS_PATH, load_playbooks  # noqa: E402
from slackbot.domain.reporting import our_zone  # noqa: E402
from slackbot.render.chart import render_chart  # noqa: E402
from slackbot.usecases.reporting import build_weekly_series  # noqa: E402
from storage.db import make_engine, write_session  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Case, CaseEvent  # noqa: E402

NOW = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "sample-report-chart.png"
#: Cases a week per playbook, roughly: the internal path is the busiest.
WEEKLY = {"tier3": 14, "idv": 8, "assister": 5}
#: Typical hours to resolve per playbook (the vendor paths wait on someone else).
TYPICAL_HOURS = {"tier3": 20, "idv": 60, "assister": 96}


def _event(session, case: Case, at: datetime, kind: str, status: str, previous: str | None):
    session.add(
        CaseEvent(
            case_id=case.id,
            at=at,
            actor="U0SAMPLE",
            kind=kind,
            from_status=previous,
            to_status=status,
        )
    )


def seed_case(session, rng: random.Random, playbook_id: str, opened_at: datetime) -> None:
    """One case: opened, acknowledged, and (unless it is still being worked) resolved."""
    resolve_after = timedelta(hours=rng.lognormvariate(0, 0.6) * TYPICAL_HOURS[playbook_id])
    resolved_at = opened_at + resolve_after
    done = resolved_at < NOW
    case = Case(
        playbook_id=playbook_id,
        summary="Sample case",
        status="resolved" if done else "acknowledged",
        priority="normal",
        category="other",
        requester_type="Sample",
        internal_ticket="SAMPLE",
        opened_by="U0SAMPLE",
        opened_at=opened_at,
        updated_at=resolved_at if done else opened_at,
        closed_at=resolved_at if done else None,
    )
    session.add(case)
    session.flush()
    _event(session, case, opened_at, "opened", "open", None)
    _event(session, case, opened_at + resolve_after / 10, "status_changed", "acknowledged", "open")
    if done:
        _event(session, case, resolved_at, "status_changed", "resolved", "acknowledged")


def seed(engine, rng: random.Random) -> None:
    """Thirteen weeks of cases, a little busier towards the end (open enrolment)."""
    start = NOW - timedelta(weeks=13)
    with write_session(engine) as session:
        for week in range(13):
            for playbook_id, usual in WEEKLY.items():
                count = max(0, round(rng.gauss(usual * (1 + week / 26), usual / 4)))
                for _ in range(count):
                    at = start + timedelta(weeks=week, seconds=rng.uniform(0, 7 * 86400))
                    if at < NOW:
                        seed_case(session, rng, playbook_id, at)


def main(argv: list[str] | None = None) -> int:
    """Seed a temporary store, draw the chart and write it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    playbooks = load_playbooks(DEFAULT_PLAYBOOKS_PATH)
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'sample.db'}")
        upgrade(engine)
        seed(engine, random.Random(15))
        series = build_weekly_series(
            engine, playbooks, now=NOW, zone=our_zone(playbooks), last=True
        )
        engine.dispose()
    args.output.write_bytes(render_chart(series))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
