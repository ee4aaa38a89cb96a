"""`python -m slackbot export`: cases and their event log for analysts, as CSV or JSON.

    python -m slackbot export --since 2026-01-01 [--until 2026-03-31] [--format csv|json]
                              [--output FILE] [--include-contacts]

Cases opened from `--since` to `--until` (both whole days, inclusive, in our team's time zone)
are read in batches (`yield_per`, with one event query per batch), never all at once, and
written as they are read; a progress bar goes to stderr for large exports.

Contact details stay out unless `--include-contacts`: intake fields the playbook marks
`contact = true` are dropped, so is any stored value the case's playbook no longer describes
(it may have been one), and every contact value is replaced by ••• wherever it appears in free
text (summary, other fields, thread replies and notes in the event log).

Needs only DATABASE_URL and ESCALATION_PLAYBOOKS: no Slack tokens.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import date, datetime, time, timedelta
from itertools import groupby
from typing import IO, Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from tqdm import tqdm

from slackbot.config import ConfigError, load_store_settings
from slackbot.domain.cases import case_key
from slackbot.domain.clock import ensure_utc
from slackbot.domain.handoff import private_values
from slackbot.domain.playbooks import Playbook, PlaybookError, Playbooks, load_playbooks
from slackbot.domain.privacy import redact_all, shareable_fields
from slackbot.domain.reporting import our_zone
from storage.db import make_reader_engine
from storage.models import Case, CaseEvent

BATCH = 500
#: Smaller exports finish before a progress bar is worth drawing.
PROGRESS_FROM = 1000
CASE_COLUMNS = (
    "case",
    "playbook",
    "status",
    "tier",
    "priority",
    "category",
    "requester_type",
    "internal_ticket",
    "vendor_ticket",
    "vendor_status",
    "summary",
    "opened_by",
    "owner",
    "opened_at",
    "handed_off_at",
    "last_update_at",
    "closed_at",
    "fields",
)
EVENT_COLUMNS = ("event", "at", "kind", "actor", "via", "from_status", "to_status", "detail")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The export's options (argparse exits 2 with a usage line on bad input)."""
    parser = argparse.ArgumentParser(
        prog="python -m slackbot export",
        description="Write cases and their event log for analysts.",
    )
    parser.add_argument("--since", type=date.fromisoformat, required=True, help="YYYY-MM-DD")
    parser.add_argument("--until", type=date.fromisoformat, help="YYYY-MM-DD, inclusive")
    parser.add_argument("--format", choices=("csv", "json"), default="csv")
    parser.add_argument("--output", help="file to write (default: standard output)")
    parser.add_argument(
        "--include-contacts", action="store_true", help="keep contact details (they go only here)"
    )
    return parser.parse_args(argv)


def _when(value: datetime | None) -> str | None:
    return ensure_utc(value).isoformat() if value is not None else None


def event_record(event: CaseEvent) -> dict[str, Any]:
    """One event of the log, as written."""
    return {
        "event": event.id,
        "at": _when(event.at),
        "kind": event.kind,
        "actor": event.actor,
        "via": event.via,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "detail": event.detail or {},
    }


def case_record(
    case: Case, events: Iterable[CaseEvent], playbook: Playbook | None, *, include_contacts: bool
) -> dict[str, Any]:
    """A case and its event log; contact details left out unless `include_contacts`."""
    record = {
        "case": case_key(case.id),
        "playbook": case.playbook_id,
        "status": case.status,
        "tier": case.tier,
        "priority": case.priority,
        "category": case.category,
        "requester_type": case.requester_type,
        "internal_ticket": case.internal_ticket,
        "vendor_ticket": case.vendor_ticket,
        "vendor_status": case.vendor_status,
        "summary": case.summary,
        "opened_by": case.opened_by,
        "owner": case.owner_id,
        "opened_at": _when(case.opened_at),
        "handed_off_at": _when(case.handed_off_at),
        "last_update_at": _when(case.last_update_at),
        "closed_at": _when(case.closed_at),
        "fields": dict(case.fields or {}),
        "events": [event_record(event) for event in events],
    }
    if include_contacts:
        return record
    secrets = private_values(playbook, case.fields or {}) if playbook else ()
    record["fields"] = shareable_fields(playbook, case.fields or {})
    return redact_all(record, secrets)


def _bounds(
    since: date, until: date | None, playbooks: Playbooks
) -> tuple[datetime, datetime | None]:
    zone = our_zone(playbooks)
    start = datetime.combine(since, time(0), tzinfo=zone)
    end = datetime.combine(until + timedelta(days=1), time(0), tzinfo=zone) if until else None
    return start, end


def _window(statement, start: datetime, end: datetime | None):
    statement = statement.where(Case.opened_at >= start)
    return statement if end is None else statement.where(Case.opened_at < end)


def count_cases(session: Session, start: datetime, end: datetime | None) -> int:
    """How many cases the export will write."""
    return session.exec(_window(select(func.count()).select_from(Case), start, end)).one()


def iter_records(
    session: Session,
    playbooks: Playbooks,
    start: datetime,
    end: datetime | None,
    *,
    include_contacts: bool,
) -> Iterator[dict[str, Any]]:
    """Case records oldest first, read `BATCH` cases (and one query for their events) at a time."""
    statement = _window(select(Case), start, end).order_by(Case.id)
    result = session.exec(statement.execution_options(yield_per=BATCH))
    for batch in result.partitions():
        ids = [case.id for case in batch]
        events = session.exec(
            select(CaseEvent)
            .where(CaseEvent.case_id.in_(ids))
            .order_by(CaseEvent.case_id, CaseEvent.id)
        ).all()
        by_case = {case_id: list(rows) for case_id, rows in groupby(events, lambda e: e.case_id)}
        for case in batch:
            playbook = playbooks.get(case.playbook_id)
            yield case_record(
                case, by_case.get(case.id, []), playbook, include_contacts=include_contacts
            )
        # Written rows are not needed again: keep the identity map (and memory) flat. (Not
        # expunge_all(): the streaming result still holds the identity map it loads into.)
        for row in [*batch, *events]:
            session.expunge(row)


def write_json(records: Iterable[dict[str, Any]], out: IO[str]) -> None:
    """A JSON array of cases, each with its `events`, written one case at a time."""
    out.write("[")
    for index, record in enumerate(records):
        out.write(",\n" if index else "\n")
        out.write(json.dumps(record, ensure_ascii=False))
    out.write("\n]\n")


def _cell(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value


def write_csv(records: Iterable[dict[str, Any]], out: IO[str]) -> None:
    """One row per event, the case's columns repeated (a case without events gets one row)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CASE_COLUMNS + EVENT_COLUMNS)
    for record in records:
        case = [_cell(record[column]) for column in CASE_COLUMNS]
        events = record["events"] or [dict.fromkeys(EVENT_COLUMNS)]
        writer.writerows(
            case + [_cell(event[column]) for column in EVENT_COLUMNS] for event in events
        )


def export(
    engine: Engine,
    playbooks: Playbooks,
    out: IO[str],
    *,
    since: date,
    until: date | None = None,
    fmt: str = "csv",
    include_contacts: bool = False,
    progress: IO[str] | None = None,
) -> int:
    """Write the cases opened from `since` to `until` (inclusive days) to `out`; return how many."""
    start, end = _bounds(since, until, playbooks)
    with Session(engine) as session:
        total = count_cases(session, start, end)
        records = iter_records(session, playbooks, start, end, include_contacts=include_contacts)
        bar = tqdm(
            records,
            total=total,
            unit="case",
            file=progress or sys.stderr,
            disable=progress is None and total < PROGRESS_FROM,
        )
        (write_json if fmt == "json" else write_csv)(bar, out)
        bar.close()
    return total


def _output(path: str | None) -> AbstractContextManager[IO[str]]:
    if path is None:
        return nullcontext(sys.stdout)
    return open(path, "w", encoding="utf-8", newline="")


def main(argv: Sequence[str], env: Mapping[str, str] | None = None) -> int:
    """Run the export from the command line: 0 done, 2 bad settings, 1 the database failed."""
    args = parse_args(argv)
    try:
        settings = load_store_settings(env)
        playbooks = load_playbooks(settings.playbooks_path)
    except (ConfigError, PlaybookError) as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    engine = make_reader_engine(settings.database_url)
    try:
        with _output(args.output) as out:
            written = export(
                engine,
                playbooks,
                out,
                since=args.since,
                until=args.until,
                fmt=args.format,
                include_contacts=args.include_contacts,
            )
    except Exception as exc:  # database unreachable, schema missing, file not writable, …
        print(f"export failed: {type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"exported {written} case(s)", file=sys.stderr)
    return 0
