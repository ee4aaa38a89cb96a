"""Business hours: open/closed, next opening, business time across weekends and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from slackbot.domain.business_hours import (
    add_business_days,
    add_business_time,
    end_of_business_days,
    is_open,
    next_opening,
    next_opening_after_today,
)
from slackbot.domain.playbooks import Hours

PACIFIC = Hours(timezone="America/Los_Angeles", open=time(5), close=time(17))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_open_inside_pacific_hours_and_closed_outside():
    # Wed 18 Nov 2026, PST (UTC-8): 05:00 local = 13:00 UTC.
    assert is_open(PACIFIC, utc(2026, 11, 18, 13, 0))
    assert not is_open(PACIFIC, utc(2026, 11, 18, 12, 59))
    assert not is_open(PACIFIC, utc(2026, 11, 19, 1, 0))  # 17:00 local: closed
    assert not is_open(PACIFIC, utc(2026, 11, 21, 18, 0))  # Saturday


def test_always_open_and_holidays():
    assert is_open(Hours(always=True), utc(2026, 12, 25, 3, 0))
    closed_xmas = Hours(timezone="America/Los_Angeles", holidays=(date(2026, 12, 25),))
    assert not is_open(closed_xmas, utc(2026, 12, 25, 18, 0))


def test_next_opening_skips_the_weekend():
    friday_evening = utc(2026, 11, 21, 2, 0)  # Fri 20 Nov 18:00 PST
    assert next_opening(PACIFIC, friday_evening) == utc(2026, 11, 23, 13, 0)  # Mon 05:00 PST


def test_next_opening_across_the_november_dst_change():
    # Fri 30 Oct 2026 18:00 PDT; clocks fall back Sun 1 Nov; Mon 05:00 PST = 13:00 UTC.
    assert next_opening(PACIFIC, utc(2026, 10, 31, 1, 0)) == utc(2026, 11, 2, 13, 0)
    # The previous Monday opened at 05:00 PDT = 12:00 UTC.
    assert next_opening(PACIFIC, utc(2026, 10, 26, 6, 0)) == utc(2026, 10, 26, 12, 0)


def test_next_opening_across_the_march_dst_change():
    # Fri 6 Mar 2026 18:00 PST; spring forward Sun 8 Mar; Mon 05:00 PDT = 12:00 UTC.
    assert next_opening(PACIFIC, utc(2026, 3, 7, 2, 0)) == utc(2026, 3, 9, 12, 0)


def test_add_business_time_carries_over_the_weekend():
    # Friday 15:00 PST plus 4 business hours: 2 h on Friday, 2 h from Monday's opening.
    start = utc(2026, 11, 20, 23, 0)
    assert add_business_time(PACIFIC, start, timedelta(hours=4)) == utc(2026, 11, 23, 15, 0)


def test_add_business_time_across_dst_counts_open_hours_not_wall_hours():
    # Fri 30 Oct 16:00 PDT (23:00 UTC) + 2 h: 1 h Friday, 1 h Monday 05:00 PST → 06:00 PST.
    assert add_business_time(PACIFIC, utc(2026, 10, 30, 23, 0), timedelta(hours=2)) == utc(
        2026, 11, 2, 14, 0
    )


def test_add_business_time_on_a_round_the_clock_calendar_is_plain_addition():
    start = utc(2026, 11, 21, 2, 0)
    assert add_business_time(Hours(always=True), start, timedelta(hours=30)) == start + timedelta(
        hours=30
    )


def test_business_days_and_their_end():
    assert add_business_days(PACIFIC, date(2026, 11, 20), 1) == date(2026, 11, 23)
    assert add_business_days(PACIFIC, date(2026, 11, 18), 3) == date(2026, 11, 23)
    # Three business days from Wednesday end at Monday's 17:00 PST.
    assert end_of_business_days(PACIFIC, utc(2026, 11, 18, 17, 0), 3) == utc(2026, 11, 24, 1, 0)


def test_tomorrows_opening():
    # Friday morning → Monday's opening; Monday evening → Tuesday's.
    assert next_opening_after_today(PACIFIC, utc(2026, 11, 20, 16, 0)) == utc(2026, 11, 23, 13, 0)
    assert next_opening_after_today(PACIFIC, utc(2026, 11, 24, 3, 0)) == utc(2026, 11, 24, 13, 0)
