"""The report CSV: a header, then one row per figure and breakdown with both periods' values."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from slackbot.domain.playbooks import DEFAULT_PLAYBOOKS_PATH, load_playbooks
from slackbot.domain.reporting import (
    GroupCount,
    Measure,
    PeriodFigures,
    PeriodKind,
    Quantiles,
    Report,
    Timing,
    previous_period,
    report_period,
)
from slackbot.render.report_csv import COLUMNS, build_report_csv

LA = ZoneInfo("America/Los_Angeles")
PLAYBOOKS = load_playbooks(DEFAULT_PLAYBOOKS_PATH)


def figures(period, opened: int, resolution: timedelta | None) -> PeriodFigures:
    groups = [GroupCount("idv", 2, "access", "Clinician", "high", opened)] if opened else []
    timings = {timing: Quantiles() for timing in Timing}
    if resolution:
        timings[Timing.TO_RESOLUTION] = Quantiles(1, resolution, resolution)
    return PeriodFigures(period, {Measure.OPENED: groups}, timings, pages_sent={"idv": 1})


def parse(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_columns_and_rows():
    week = report_period(PeriodKind.WEEK, datetime(2026, 11, 18, 17, tzinfo=UTC), LA)
    report = Report(
        PeriodKind.WEEK,
        figures(week, 3, timedelta(hours=7, minutes=30)),
        figures(previous_period(PeriodKind.WEEK, week), 0, None),
        "America/Los_Angeles",
    )
    text = build_report_csv(report, PLAYBOOKS)
    assert text.splitlines()[0] == ",".join(COLUMNS)
    rows = parse(text)
    assert {row["period"] for row in rows} == {"week of 2026-11-16"}
    assert {(row["period_start"], row["period_end"]) for row in rows} == {
        ("2026-11-16", "2026-11-22")
    }
    assert {row["previous_period"] for row in rows} == {"week of 2026-11-09"}
    by = {(row["figure"], row["breakdown"], row["key"]): row for row in rows}
    opened = by[("opened", "total", "")]
    assert (opened["value"], opened["previous_value"], opened["change"]) == ("3", "0", "3")
    team = by[("opened", "team", "idv/2")]
    assert team["label"] == "Identity verification vendor: Tier 2 support"
    assert team["unit"] == "cases"
    median = by[("time_to_resolution_median", "total", "")]
    assert (median["value"], median["previous_value"], median["change"]) == ("7.50", "", "")
    assert by[("pages_sent", "playbook", "idv")]["change"] == "0"
    # Every figure is there even when nothing was counted.
    for measure in Measure:
        assert (measure.value, "total", "") in by
    assert len(rows) == len(by)  # one row per figure and breakdown key, no repeats


def test_labels_with_commas_and_quotes_survive_a_round_trip():
    week = report_period(PeriodKind.WEEK, datetime(2026, 11, 18, 17, tzinfo=UTC), LA)
    figures_now = figures(week, 1, None)
    report = Report(PeriodKind.WEEK, figures_now, figures_now, "America/Los_Angeles")
    rows = parse(build_report_csv(report, PLAYBOOKS))
    labels = {row["label"] for row in rows}
    assert "Portal tier 3 (platform team)" not in labels  # no tier3 case counted
    assert "Time to the vendor's first response: median" in labels
