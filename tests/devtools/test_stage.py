"""The demo's stage: clocks scaled an hour to a second, and a start inside business hours."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from slackbot.devtools.stage import DemoClock, scaled_playbooks, scaled_sla, start_time
from tests.support.handoff import IDV, PLAYBOOKS

LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def test_every_service_level_clock_is_scaled_an_hour_to_a_second():
    sla = scaled_sla(IDV.sla)
    assert (sla.vendor_ack, sla.progress_update, sla.reminder_repeat) == ("4s", "24s", "4s")
    assert sla.contact_attempts == ("0s", "24s", "48s")
    assert (sla.unreachable_close, sla.callback) == ("72s", "24s")
    scaled = scaled_playbooks(PLAYBOOKS)
    assert scaled.ids == PLAYBOOKS.ids
    assert scaled.get("idv").fields == IDV.fields  # nothing else changes
    assert PLAYBOOKS.get("idv").sla.vendor_ack == "4h"  # the loaded file is left alone


def test_the_demo_starts_at_ten_on_an_open_day_in_our_zone():
    saturday_night = datetime(2026, 11, 21, 23, 30, tzinfo=LOS_ANGELES)
    start = start_time(IDV, saturday_night).astimezone(LOS_ANGELES)
    assert (start.strftime("%a"), start.hour, start.minute) == ("Mon", 10, 0)
    tuesday_dawn = datetime(2026, 12, 1, 3, 0, tzinfo=LOS_ANGELES)
    assert start_time(IDV, tuesday_dawn).astimezone(LOS_ANGELES) == datetime(
        2026, 12, 1, 10, 0, tzinfo=LOS_ANGELES
    )


def test_the_demo_clock_runs_from_its_start():
    start = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    clock = DemoClock(start)
    first = clock.now()
    assert start <= first < start.replace(second=5) and first.tzinfo is UTC
    assert clock.now() >= first
