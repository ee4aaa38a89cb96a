"""Business-hours arithmetic on a playbook's `Hours`: open or not, next opening, business time.

All inputs and outputs are timezone-aware datetimes (returned in UTC). Local wall-clock times are
built with `zoneinfo`, so an opening at 05:00 Pacific is 13:00 UTC in winter and 12:00 UTC in
summer, and a day on which the clocks change is 23 or 25 hours long.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from slackbot.domain.playbooks import Hours

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: How far ahead to look for an opening before deciding the calendar has none.
_HORIZON_DAYS = 400


class NoOpeningError(ValueError):
    """The hours never open (every day is a holiday within the horizon)."""


def _local(hours: Hours, at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("business-hours rules need timezone-aware datetimes")
    return at.astimezone(hours.zone)


def _at(hours: Hours, day: date, clock: time) -> datetime:
    """`day` at wall-clock `clock` in the hours' zone, as UTC (a time skipped by DST moves on)."""
    local = datetime.combine(day, clock, tzinfo=hours.zone)
    # A wall time inside a spring-forward gap does not exist; round-tripping through UTC lands
    # on the real instant just after the gap.
    return local.astimezone(UTC)


def is_business_day(hours: Hours, day: date) -> bool:
    """Whether `day` (a local date in the hours' zone) is a working day."""
    if hours.always:
        return True
    return _WEEKDAYS[day.weekday()] in hours.days and day not in hours.holidays


def is_open(hours: Hours, at: datetime) -> bool:
    """Whether the side is working at instant `at`."""
    if hours.always:
        return True
    local = _local(hours, at)
    if not is_business_day(hours, local.date()):
        return False
    return _at(hours, local.date(), hours.open) <= at < _at(hours, local.date(), hours.close)


def next_opening(hours: Hours, at: datetime) -> datetime:
    """`at` itself when open, otherwise the next instant the side opens (UTC)."""
    if is_open(hours, at):
        return at.astimezone(UTC)
    day = _local(hours, at).date()
    for offset in range(_HORIZON_DAYS):
        candidate = day + timedelta(days=offset)
        if not is_business_day(hours, candidate):
            continue
        opening = _at(hours, candidate, hours.open)
        if opening > at:
            return opening
    raise NoOpeningError(f"{hours.describe()} has no opening within {_HORIZON_DAYS} days")


def closing_of(hours: Hours, at: datetime) -> datetime:
    """The end of the open period that contains `at` (which must be open)."""
    if hours.always:
        raise ValueError("round-the-clock hours never close")
    return _at(hours, _local(hours, at).date(), hours.close)


def next_opening_after_today(hours: Hours, at: datetime) -> datetime:
    """The first opening on a later local day than `at`'s: "tomorrow's opening"."""
    tomorrow = _local(hours, at).date() + timedelta(days=1)
    if hours.always:
        return datetime.combine(tomorrow, time(0), tzinfo=hours.zone).astimezone(UTC)
    return next_opening(hours, _at(hours, tomorrow, time(0)))


def add_business_time(hours: Hours, start: datetime, delta: timedelta) -> datetime:
    """`start` plus `delta` of open time: the clock only runs while the side is open."""
    if delta < timedelta(0):
        raise ValueError("business time only runs forward")
    if hours.always:
        return start.astimezone(UTC) + delta
    if delta == timedelta(0):
        return start.astimezone(UTC)
    cursor = next_opening(hours, start)
    remaining = delta
    while True:
        closing = closing_of(hours, cursor)
        available = closing - cursor
        if remaining <= available:
            return cursor + remaining
        remaining -= available
        cursor = next_opening(hours, closing)


def add_business_days(hours: Hours, day: date, count: int) -> date:
    """The `count`-th business day after `day` (`count` = 0 gives `day` itself)."""
    if count < 0:
        raise ValueError("business days only run forward")
    current = day
    for _ in range(count):
        current += timedelta(days=1)
        guard = 0
        while not is_business_day(hours, current):
            current += timedelta(days=1)
            guard += 1
            if guard > _HORIZON_DAYS:
                raise NoOpeningError(f"{hours.describe()} has no business day ahead")
    return current


def end_of_business_days(hours: Hours, start: datetime, count: int) -> datetime:
    """When `count` business days after `start`'s local day end: the close of that day (UTC)."""
    day = add_business_days(hours, _local(hours, start).date(), count)
    if hours.always:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=hours.zone).astimezone(UTC)
    return _at(hours, day, hours.close)
