"""The weekly chart: opened vs resolved per team over the last weeks, and the median time to
resolution, as one PNG readable at Slack's preview size (1200 × 800 px).

Drawn with matplotlib's Agg canvas directly (`FigureCanvasAgg`), never through pyplot: no
display is needed, no global figure state is shared between threads, and no backend choice
depends on the machine's matplotlib configuration.
"""

from __future__ import annotations

import importlib
import io
import math
from collections.abc import Sequence
from datetime import timedelta
from types import ModuleType
from typing import TYPE_CHECKING

from slackbot.domain.report_views import WeeklySeries

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _mpl(module: str) -> ModuleType:
    """A matplotlib module, imported when the first chart is drawn (not at start-up: matplotlib
    and numpy are ~0.7 s and ~40 MB of the process, and most processes never draw one)."""
    return importlib.import_module(f"matplotlib.{module}")


WIDTH, HEIGHT, DPI = 1200, 800, 100
#: More teams than this are drawn as one "Other teams" panel: small multiples stay readable.
MAX_TEAM_PANELS = 5
OPENED_COLOUR, RESOLVED_COLOUR, MEDIAN_COLOUR = "#1f6fb4", "#2ca02c", "#d9730d"
TITLE_LIMIT = 48


def _short(text: str, limit: int = TITLE_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def team_panels(series: WeeklySeries) -> list[tuple[str, Sequence[int], Sequence[int]]]:
    """(team, opened per week, resolved per week), busiest first; the tail folded into one."""
    weeks = len(series.weeks)
    zeros = (0,) * weeks
    teams = series.teams
    panels = [
        (team, series.opened.get(team, zeros), series.resolved.get(team, zeros))
        for team in teams[:MAX_TEAM_PANELS]
    ]
    rest = teams[MAX_TEAM_PANELS:]
    if rest:
        opened = [sum(series.opened.get(team, zeros)[i] for team in rest) for i in range(weeks)]
        resolved = [sum(series.resolved.get(team, zeros)[i] for team in rest) for i in range(weeks)]
        panels.append((f"Other teams ({len(rest)})", opened, resolved))
    return panels


def _week_labels(series: WeeklySeries) -> list[str]:
    return [f"{week.start:%b} {week.start.day}" for week in series.weeks]


def _draw_team(axes: Axes, title: str, opened, resolved, labels: list[str]) -> None:
    x = range(len(labels))
    width = 0.4
    axes.bar([i - width / 2 for i in x], opened, width, color=OPENED_COLOUR, label="Opened")
    axes.bar([i + width / 2 for i in x], resolved, width, color=RESOLVED_COLOUR, label="Resolved")
    axes.set_title(_short(title), fontsize=12, loc="left")
    # Counts are whole numbers; an empty panel still starts at 0, never shows negative cases.
    axes.yaxis.set_major_locator(_mpl("ticker").MaxNLocator(nbins=5, integer=True))
    axes.set_ylim(0, max([1, *opened, *resolved]) * 1.1)
    axes.set_ylabel("cases", fontsize=10)
    _week_axis(axes, labels)


def _week_axis(axes: Axes, labels: list[str]) -> None:
    axes.set_xticks(range(len(labels)))
    axes.set_xticklabels(labels, rotation=45, ha="right", fontsize=9)
    axes.set_xlim(-0.6, len(labels) - 0.4)
    axes.grid(axis="y", alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)


def _unit(medians: Sequence[timedelta | None]) -> tuple[str, float]:
    """Hours, or days once a median passes three days: the axis stays in small numbers."""
    longest = max((m.total_seconds() for m in medians if m is not None), default=0)
    return ("days", 86400.0) if longest > 3 * 86400 else ("hours", 3600.0)


def _draw_median(axes: Axes, series: WeeklySeries, labels: list[str]) -> None:
    unit, scale = _unit(series.median_resolution)
    values = [
        m.total_seconds() / scale if m is not None else math.nan for m in series.median_resolution
    ]
    axes.plot(
        range(len(labels)),
        values,
        marker="o",
        color=MEDIAN_COLOUR,
        linewidth=2,
        label="Median time to resolution",
    )
    axes.set_title("Median time to resolution, all teams", fontsize=12, loc="left")
    axes.set_ylabel(unit, fontsize=10)
    axes.set_ylim(bottom=0, top=max([v for v in values if not math.isnan(v)], default=1) * 1.2)
    if all(math.isnan(v) for v in values):
        axes.text(0.5, 0.5, "nothing resolved", transform=axes.transAxes, ha="center", alpha=0.6)
    _week_axis(axes, labels)


def _title(series: WeeklySeries) -> str:
    first = series.weeks[0].start
    last_day = series.weeks[-1].end - timedelta(days=1)  # wall-clock: the week's Sunday
    return (
        "Escalations: opened vs resolved per team, and time to resolution\n"
        f"{len(series.weeks)} weeks, {first.day} {first:%b %Y} – {last_day.day} {last_day:%b %Y}"
        f" (weeks start Monday, {series.zone})"
    )


def build_chart_figure(series: WeeklySeries) -> Figure:
    """The chart as a matplotlib figure (drawn on an Agg canvas): team panels, then the median."""
    panels = team_panels(series) or [("No cases in these weeks", (), ())]
    columns = 2 if len(panels) + 1 > 2 else len(panels) + 1
    rows = math.ceil((len(panels) + 1) / columns)
    figure = _mpl("figure").Figure(
        figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, layout="constrained"
    )
    _mpl("backends.backend_agg").FigureCanvasAgg(figure)
    grid = figure.subplots(rows, columns, squeeze=False).flatten()
    labels = _week_labels(series)
    for axes, (team, opened, resolved) in zip(grid, panels, strict=False):
        _draw_team(axes, team, opened or (0,) * len(labels), resolved or (0,) * len(labels), labels)
    _draw_median(grid[len(panels)], series, labels)
    for spare in grid[len(panels) + 1 :]:
        spare.set_visible(False)
    figure.suptitle(_title(series), fontsize=14, linespacing=1.5)
    handles = grid[0].get_legend_handles_labels()[0] + grid[len(panels)].get_lines()
    figure.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=10, frameon=False)
    return figure


def render_chart(series: WeeklySeries) -> bytes:
    """The chart as PNG bytes, 1200 × 800 px."""
    buffer = io.BytesIO()
    build_chart_figure(series).savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
