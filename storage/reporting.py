"""Report queries: every figure counted or measured in SQL, for SQLite and PostgreSQL alike.

Queries only, never a commit. Each answer is small: counts grouped by the case's playbook,
tier, category, requester type and priority (`GroupCount`, a few dozen rows however many cases
there are), counts by a key, or a percentile read with ORDER BY … OFFSET … LIMIT 2.

Definitions (bounds are UTC instants; periods are half-open [start, end)):

- *opened*: the case's `opened_at` falls in the period;
- *resolved* / *closed unreachable*: a status change into that status in the period which still
  held at the period's end (no later status change before the end). So a case resolved and
  reopened in the same week is not "resolved" that week, undoing a resolve undoes the count, and
  a past period's figures never change when later events come in;
- *still open*: the case's last status change before the period's end left it in a status that is
  not closed;
- *reopened*: cases with a move into "reopened" in the period;
- *time to acknowledge*: opening to the case's first status change (anyone taking any action);
- *time to the vendor's first response*: hand-off to the first update recorded after it (or the
  vendor starting to contact the end user, or returning the case);
- *time to resolution*: opening to the resolution counted in the period;
- *service-level misses*: first reminders (miss 1) of each clock, by clock kind;
- *pages sent*: pages of on-call recorded in the period, by playbook.

Percentiles: the database sorts the durations and only the two values around each rank are
fetched (`OFFSET k LIMIT 2`), then interpolated in `slackbot.domain.reporting`: portable (SQLite
has no `percentile_cont`; picking ranks with window functions needs `floor`, which SQLite only
has when built with its math functions) and O(1) rows moved whatever the period's size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import DateTime, Float, and_, distinct, exists, func, literal, or_, select
from sqlalchemy import case as when
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session

from slackbot.domain.cases import CaseStatus
from slackbot.domain.reporting import (
    MEDIAN,
    P90,
    GroupCount,
    Measure,
    Quantiles,
    Satisfaction,
    Timing,
    interpolate,
    percentile_rank,
    seconds,
)
from storage.models import Case, CaseEvent, Inquiry, Page

STATUS_CHANGED = "status_changed"
UPDATE = "update"
REMINDER = "reminder"
CLOSED = (CaseStatus.RESOLVED.value, CaseStatus.CLOSED_UNREACHABLE.value)
#: Moves that only the vendor's answer explains: they count as its first response.
VENDOR_ANSWERS = (CaseStatus.VENDOR_CONTACTING_USER.value, CaseStatus.RETURNED.value)
#: A playbook id to count only its cases, or None for every playbook.
Scope = str | None
GROUP_COLUMNS = (Case.playbook_id, Case.tier, Case.category, Case.requester_type, Case.priority)


class SecondsBetween(FunctionElement):
    """Seconds from the first timestamp to the second, as a float."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(SecondsBetween, "sqlite")
def _seconds_sqlite(element, compiler, **kw) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


@compiles(SecondsBetween, "postgresql")
def _seconds_postgresql(element, compiler, **kw) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) AS DOUBLE PRECISION)"


def _instant(value: datetime) -> ColumnElement:
    return literal(value, DateTime(timezone=True))


def _scope(statement: Select, playbook_id: str | None) -> Select:
    return statement if playbook_id is None else statement.where(Case.playbook_id == playbook_id)


def _held(event, until) -> ColumnElement[bool]:
    """The status `event` set was still the case's status at `until` (no later status change)."""
    later = aliased(CaseEvent, name="later")
    return ~exists().where(
        later.case_id == event.case_id,
        later.to_status.is_not(None),
        later.id > event.id,
        later.at < until,
    )


def _groups(session: Session, statement: Select) -> list[GroupCount]:
    return [GroupCount(*row) for row in session.execute(statement.group_by(*GROUP_COLUMNS))]


# --- counts by group -------------------------------------------------------------------------


def opened(
    session: Session, start: datetime, end: datetime, playbook_id: str | None = None
) -> list[GroupCount]:
    """Cases opened in [start, end), by group."""
    statement = select(*GROUP_COLUMNS, func.count(Case.id)).where(
        Case.opened_at >= start, Case.opened_at < end
    )
    return _groups(session, _scope(statement, playbook_id))


def entered(
    session: Session, status: str, start: datetime, end: datetime, playbook_id: Scope = None
) -> list[GroupCount]:
    """Cases moved into `status` in [start, end) and still in it at `end`, by group."""
    event = aliased(CaseEvent, name="moved")
    statement = (
        select(*GROUP_COLUMNS, func.count(distinct(event.case_id)))
        .select_from(event)
        .join(Case, Case.id == event.case_id)
        .where(event.to_status == status, event.at >= start, event.at < end, _held(event, end))
    )
    return _groups(session, _scope(statement, playbook_id))


def still_open(session: Session, end: datetime, playbook_id: Scope = None) -> list[GroupCount]:
    """Cases whose status at `end` was not a closed one, by group."""
    event = aliased(CaseEvent, name="moved")
    statement = (
        select(*GROUP_COLUMNS, func.count(distinct(event.case_id)))
        .select_from(event)
        .join(Case, Case.id == event.case_id)
        .where(
            Case.opened_at < end,
            # A case closed before `end` and never changed since was closed at `end`: skip it
            # here so that the correlated check only runs for the few cases that may be open.
            or_(Case.closed_at.is_(None), Case.closed_at >= end, Case.status.not_in(CLOSED)),
            event.to_status.is_not(None),
            event.to_status.not_in(CLOSED),
            event.at < end,
            _held(event, end),
        )
    )
    return _groups(session, _scope(statement, playbook_id))


def reopened(
    session: Session, start: datetime, end: datetime, playbook_id: Scope = None
) -> list[GroupCount]:
    """Cases reopened in [start, end), by group."""
    statement = (
        select(*GROUP_COLUMNS, func.count(distinct(CaseEvent.case_id)))
        .select_from(CaseEvent)
        .join(Case, Case.id == CaseEvent.case_id)
        .where(
            CaseEvent.kind == STATUS_CHANGED,
            CaseEvent.to_status == CaseStatus.REOPENED.value,
            CaseEvent.at >= start,
            CaseEvent.at < end,
        )
    )
    return _groups(session, _scope(statement, playbook_id))


def measure(
    session: Session, which: Measure, start: datetime, end: datetime, playbook_id: Scope = None
) -> list[GroupCount]:
    """One measure of the report, by group."""
    if which is Measure.OPENED:
        return opened(session, start, end, playbook_id)
    if which is Measure.STILL_OPEN:
        return still_open(session, end, playbook_id)
    if which is Measure.REOPENED:
        return reopened(session, start, end, playbook_id)
    status = CaseStatus.RESOLVED if which is Measure.RESOLVED else CaseStatus.CLOSED_UNREACHABLE
    return entered(session, status.value, start, end, playbook_id)


# --- durations -------------------------------------------------------------------------------


def resolution_seconds(start: datetime, end: datetime, playbook_id: Scope = None) -> Select:
    """Opening to resolution of the cases resolved in [start, end), one column `seconds`."""
    event = aliased(CaseEvent, name="moved")
    statement = (
        select(SecondsBetween(Case.opened_at, event.at).label("seconds"))
        .select_from(event)
        .join(Case, Case.id == event.case_id)
        .where(
            event.to_status == CaseStatus.RESOLVED.value,
            event.at >= start,
            event.at < end,
            _held(event, end),
        )
    )
    return _scope(statement, playbook_id)


def acknowledge_seconds(start: datetime, end: datetime, playbook_id: Scope = None) -> Select:
    """Opening to the first status change, for first changes in [start, end)."""
    event, earlier = aliased(CaseEvent, name="moved"), aliased(CaseEvent, name="earlier")
    statement = (
        select(SecondsBetween(Case.opened_at, event.at).label("seconds"))
        .select_from(event)
        .join(Case, Case.id == event.case_id)
        .where(
            event.kind == STATUS_CHANGED,
            event.at >= start,
            event.at < end,
            ~exists().where(
                earlier.case_id == event.case_id,
                earlier.kind == STATUS_CHANGED,
                earlier.id < event.id,
            ),
        )
    )
    return _scope(statement, playbook_id)


def _vendor_answer(event) -> ColumnElement[bool]:
    moved = and_(event.kind == STATUS_CHANGED, event.to_status.in_(VENDOR_ANSWERS))
    return and_(event.at >= Case.handed_off_at, or_(event.kind == UPDATE, moved))


def vendor_response_seconds(
    start: datetime, end: datetime, playbook_id: str | None = None
) -> Select:
    """Hand-off to the vendor's first response, for first responses in [start, end)."""
    event, earlier = aliased(CaseEvent, name="answer"), aliased(CaseEvent, name="earlier")
    statement = (
        select(SecondsBetween(Case.handed_off_at, event.at).label("seconds"))
        .select_from(event)
        .join(Case, Case.id == event.case_id)
        .where(
            Case.handed_off_at.is_not(None),
            event.at >= start,
            event.at < end,
            _vendor_answer(event),
            ~exists().where(
                earlier.case_id == event.case_id, earlier.id < event.id, _vendor_answer(earlier)
            ),
        )
    )
    return _scope(statement, playbook_id)


TIMINGS: dict[Timing, Callable[..., Select]] = {
    Timing.TO_ACKNOWLEDGE: acknowledge_seconds,
    Timing.TO_VENDOR_RESPONSE: vendor_response_seconds,
    Timing.TO_RESOLUTION: resolution_seconds,
}


def quantiles(
    session: Session, durations: Select, qs: Sequence[float] = (MEDIAN, P90)
) -> Quantiles:
    """Count, median and 90th percentile of a one-column `seconds` query, sorted by the database."""
    rows = durations.subquery()
    count = session.execute(select(func.count()).select_from(rows)).scalar_one()
    if count == 0:
        return Quantiles()
    values = []
    for q in qs:
        index, fraction = percentile_rank(count, q)
        pair = session.execute(
            select(rows.c.seconds).order_by(rows.c.seconds).offset(index).limit(2)
        ).scalars()
        values.append(seconds(interpolate(list(pair), fraction)))
    return Quantiles(count, *values)


def timing(
    session: Session, which: Timing, start: datetime, end: datetime, playbook_id: Scope = None
) -> Quantiles:
    """Count, median and 90th percentile of one timing in [start, end)."""
    return quantiles(session, TIMINGS[which](start, end, playbook_id))


# --- counts by key ---------------------------------------------------------------------------


def _count_by(session: Session, inner: Select) -> dict[str, int]:
    """Count the rows of `inner` by its `key` column.

    Grouping happens on the subquery's column: PostgreSQL cannot tell that two renderings of
    an expression with bound parameters (a JSON path, a CASE over bounds) are the same.
    """
    rows = inner.subquery()
    statement = select(rows.c.key, func.count()).group_by(rows.c.key).order_by(rows.c.key)
    return {str(key): count for key, count in session.execute(statement)}


def sla_misses(
    session: Session, start: datetime, end: datetime, playbook_id: Scope = None
) -> dict[str, int]:
    """Service-level clocks missed in [start, end) (their first reminder), by clock kind."""
    inner = (
        select(CaseEvent.detail["deadline"].as_string().label("key"))
        .join(Case, Case.id == CaseEvent.case_id)
        .where(
            CaseEvent.kind == REMINDER,
            CaseEvent.at >= start,
            CaseEvent.at < end,
            CaseEvent.detail["miss"].as_integer() == 1,
        )
    )
    return _count_by(session, _scope(inner, playbook_id))


def pages_sent(
    session: Session, start: datetime, end: datetime, playbook_id: Scope = None
) -> dict[str, int]:
    """Pages of on-call recorded in [start, end), by playbook."""
    inner = select(Page.playbook_id.label("key")).where(Page.paged_at >= start, Page.paged_at < end)
    if playbook_id is not None:
        inner = inner.where(Page.playbook_id == playbook_id)
    return _count_by(session, inner)


# --- figures the store does not record yet: hooks that answer "none" (inquiries now do) -------


def resolutions_needing_action(
    session: Session, start: datetime, end: datetime, playbook_id: Scope = None
) -> int:
    """Cases resolved in [start, end), still resolved at `end`, whose note said action is still
    needed (read from the resolve's own event, so a later resolve never changes the past)."""
    event = aliased(CaseEvent, name="moved")
    statement = (
        select(func.count(distinct(event.case_id)))
        .select_from(event)
        .join(Case, Case.id == event.case_id)
        .where(
            event.to_status == CaseStatus.RESOLVED.value,
            event.at >= start,
            event.at < end,
            event.detail["action_needed"].as_boolean().is_(True),
            _held(event, end),
        )
    )
    return int(session.execute(_scope(statement, playbook_id)).scalar() or 0)


def satisfaction_ratings(
    session: Session, start: datetime, end: datetime, playbook_id: Scope = None
) -> Satisfaction:
    """The openers' ratings given in [start, end): how many, and their mean (1-5)."""
    statement = select(func.count(Case.id), func.avg(Case.rating)).where(
        Case.rated_at >= start, Case.rated_at < end, Case.rating.is_not(None)
    )
    count, mean = session.execute(_scope(statement, playbook_id)).one()
    return Satisfaction(int(count or 0), round(float(mean), 2) if count else None)


def general_inquiries(
    session: Session, start: datetime, end: datetime, playbook_id: Scope = None
) -> dict[str, int]:
    """General inquiries logged in [start, end) (`/escalate inquiry`), by "playbook/category"."""
    statement = (
        select(Inquiry.playbook_id, Inquiry.category, func.count())
        .where(Inquiry.logged_at >= start, Inquiry.logged_at < end)
        .group_by(Inquiry.playbook_id, Inquiry.category)
    )
    if playbook_id is not None:
        statement = statement.where(Inquiry.playbook_id == playbook_id)
    return {f"{pb}/{category}": count for pb, category, count in session.execute(statement)}


# --- weekly series for the chart --------------------------------------------------------------


def _bucket(column, bounds: Sequence[datetime]) -> ColumnElement:
    """The index of the bucket [bounds[i], bounds[i + 1]) `column` falls in."""
    return when(*((column < _instant(bound), index) for index, bound in enumerate(bounds[1:])))


def _bucket_end(column, bounds: Sequence[datetime]) -> ColumnElement:
    """The end of the bucket `column` falls in."""
    return when(*((column < _instant(bound), _instant(bound)) for bound in bounds[1:]))


def _count_weekly(session: Session, inner: Select, counted) -> list[tuple[int, str, int]]:
    rows = inner.subquery()
    statement = select(rows.c.week, rows.c.playbook_id, func.count(counted(rows))).group_by(
        rows.c.week, rows.c.playbook_id
    )
    return [(int(week), playbook, count) for week, playbook, count in session.execute(statement)]


def weekly_opened(
    session: Session, bounds: Sequence[datetime], playbook_id: Scope = None
) -> list[tuple[int, str, int]]:
    """(bucket index, playbook id, cases opened) for consecutive buckets between `bounds`."""
    inner = select(
        _bucket(Case.opened_at, bounds).label("week"), Case.playbook_id.label("playbook_id")
    ).where(Case.opened_at >= bounds[0], Case.opened_at < bounds[-1])
    return _count_weekly(session, _scope(inner, playbook_id), lambda rows: rows.c.week)


def weekly_resolved(
    session: Session, bounds: Sequence[datetime], playbook_id: Scope = None
) -> list[tuple[int, str, int]]:
    """(bucket index, playbook id, cases resolved), each bucket as `entered` counts a period."""
    event = aliased(CaseEvent, name="moved")
    inner = (
        select(
            _bucket(event.at, bounds).label("week"),
            Case.playbook_id.label("playbook_id"),
            event.case_id.label("case_id"),
        )
        .select_from(event)
        .join(Case, Case.id == event.case_id)
        .where(
            event.to_status == CaseStatus.RESOLVED.value,
            event.at >= bounds[0],
            event.at < bounds[-1],
            _held(event, _bucket_end(event.at, bounds)),
        )
    )
    return _count_weekly(session, _scope(inner, playbook_id), lambda rows: distinct(rows.c.case_id))
