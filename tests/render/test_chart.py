"""The chart: a PNG of Slack's preview size, drawn from the weekly series it is given."""

from __future__ import annotations

import io
import struct
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from matplotlib.patches import Rectangle

from slackbot.domain.report_views import WeeklySeries
from slackbot.domain.reporting import PeriodKind, report_period, trailing_weeks
from slackbot.render.chart import HEIGHT, MAX_TEAM_PANELS, WIDTH, build_chart_figure, render_chart

LA = ZoneInfo("America/Los_Angeles")
WEEKS = tuple(
    trailing_weeks(
        report_period(PeriodKind.WEEK, datetime(2026, 11, 24, 17, tzinfo=UTC), LA, last=True)
    )
)
OPENED = {"Tier 3": tuple(range(12)), "Vendor": (2,) * 12}
RESOLVED = {"Tier 3": tuple(range(1, 13)), "Vendor": (1,) * 12}
MEDIANS = (None,) + (timedelta(hours=30),) * 11


def series(opened=OPENED, resolved=RESOLVED, medians=MEDIANS) -> WeeklySeries:
    return WeeklySeries(WEEKS, "America/Los_Angeles", opened, resolved, medians)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def bar_heights(axes) -> list[float]:
    return [patch.get_height() for patch in axes.patches if isinstance(patch, Rectangle)]


def test_the_png_has_the_preview_size():
    data = render_chart(series())
    assert png_size(data) == (WIDTH, HEIGHT) == (1200, 800)
    assert len(data) > 20_000  # something was drawn
    assert io.BytesIO(data).read(4) == b"\x89PNG"


def test_panels_are_drawn_from_the_series():
    figure = build_chart_figure(series())
    visible = [axes for axes in figure.axes if axes.get_visible()]
    titles = [axes.get_title(loc="left") for axes in visible]
    assert titles == ["Tier 3", "Vendor", "Median time to resolution, all teams"]
    tier3 = visible[0]
    assert bar_heights(tier3) == [float(n) for n in OPENED["Tier 3"] + RESOLVED["Tier 3"]]
    assert [label.get_text() for label in tier3.get_xticklabels()][:2] == ["Aug 31", "Sep 7"]
    median = visible[2].get_lines()[0].get_ydata()
    assert list(median[1:]) == [30.0] * 11 and median[0] != median[0]  # NaN: nothing resolved
    assert "31 Aug 2026 – 22 Nov 2026" in figure.get_suptitle()
    assert "America/Los_Angeles" in figure.get_suptitle()


def test_many_teams_fold_into_one_panel():
    opened = {f"Team {n}": (n,) * 12 for n in range(1, 9)}
    figure = build_chart_figure(series(opened, {}, (None,) * 12))
    titles = [axes.get_title(loc="left") for axes in figure.axes if axes.get_visible()]
    assert titles[:MAX_TEAM_PANELS] == [f"Team {n}" for n in range(8, 3, -1)]
    assert titles[MAX_TEAM_PANELS] == "Other teams (3)"
    other = [axes for axes in figure.axes if axes.get_title(loc="left") == "Other teams (3)"][0]
    assert bar_heights(other)[:12] == [6.0] * 12  # teams 1 + 2 + 3


def test_an_empty_span_still_renders():
    data = render_chart(series({}, {}, (None,) * 12))
    assert png_size(data) == (1200, 800)
