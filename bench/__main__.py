"""`python -m bench [--quick]`, from the repository root: the bot measured against a bare Bolt app.

Prints one Markdown table (progress goes to stderr). In one run, on this machine:

- the HTTP answer (client-side p50/p99) for a signed `reaction_added`, a case button,
  `/escalate` (opens a modal) and `/escalate list`, from 20 concurrent keep-alive clients, for
  the bot and for bench/bare_app.py (one no-op listener per request type, same waitress
  settings), and the ratio;
- end-to-end reactions per second (event in → case status changed in the database → its Slack
  calls made), with the final states checked, and same-case bursts applied in order or not;
- SQL statements, connection checkouts and transactions per reaction and per `/escalate list`;
- the deadline sweep with 1,000 and 100,000 open cases, 100 due, warmed up (bench/sweep.py);
- peak RSS of the bot and its start-up time to the first 200 on /healthz;

on SQLite, and on PostgreSQL when BENCH_DATABASE_URL or TEST_DATABASE_URL is set (the bot's
tables go in a schema of their own, dropped afterwards). The bot runs as `python -m slackbot`
(HTTP mode, SLACK_API_URL at the suite's fake Slack started here, a bench playbook); only the
sweep calls the bot's code directly, in a process of its own. Machines are noisy: compare the
ratios of one run, not timings across runs. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from bench.load import LoadResult, Prepared, RequestBuilder, reaction_event, run_load, send_one
from bench.processes import ROOT, BareProcess, BotProcess, cpu_seconds, peak_rss_mb
from bench.profile import Spy, origins_report, py_spy, summarize
from slackbot.devtools.signed import block_actions, view_submission
from slackbot.devtools.slack_api import FakeSlack, start_fake_slack

SIGNING_SECRET = "bench-signing-secret-0123456789abcdef"
CLIENTS = 20
PLAYBOOKS = Path(__file__).resolve().parent / "playbooks.toml"
CHANNEL = "#bench-escalations"
CHANNEL_ID = "C0BENCH0001"
SUPPORT_CHANNEL = "C0SUPPORT1"
OPENER = "U0BENCHOPEN"
#: Tier-1 responders (members of the playbook's channel) who react and press buttons.
USERS = [f"U0BENCH{n:03d}" for n in range(1, 11)]
TIER2_GROUP = "S0BENCHTIER2"
#: A cycle any case can follow for ever: open/returned → acknowledged → waiting on vendor →
#: returned. (A resolve needs its note form since issue 13: ✅ alone moves nothing.)
REACTIONS = ("eyes", "hourglass_flowing_sand", "no_entry_sign")
#: The same cycle with the root message's buttons (their action ids are Slack-facing, stable).
BUTTONS = ("case_acknowledge", "case_resolve", "case_reopen")
#: The bot's scheduler tick: items left for the retry tick would otherwise stall a phase for the
#: production default of 60 s.
TICK_SECONDS = 5


@dataclass(frozen=True)
class Mode:
    """How much of everything one run does."""

    name: str
    requests: int
    cases: int
    e2e: int
    paced: int
    bursts: int
    sweep_sizes: tuple[int, int]
    warmup: int = 40


FULL = Mode(
    "full", requests=600, cases=200, e2e=300, paced=20, bursts=40, sweep_sizes=(1000, 100_000)
)
QUICK = Mode(
    "quick", requests=100, cases=40, e2e=60, paced=5, bursts=10, sweep_sizes=(1000, 10_000)
)


def log(message: str) -> None:
    """Progress, on stderr (stdout carries only the table)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class CaseRow:
    """What the benchmark reads back about a case (plain SQL on the bot's tables)."""

    id: int
    root_ts: str | None
    status: str


class Reader:
    """Reads the bot's database from the benchmark's own process, with plain SQL."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = create_engine(url)

    def cases(self) -> list[CaseRow]:
        """Every case, oldest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, root_ts, status FROM escalation_case ORDER BY id")
            ).all()
        return [CaseRow(*row) for row in rows]

    def statuses(self) -> dict[int, str]:
        """Each case's status."""
        return {row.id: row.status for row in self.cases()}

    def outbox_busy(self) -> int:
        """Side effects not yet done or given up."""
        with self.engine.connect() as connection:
            return connection.execute(
                text("SELECT count(*) FROM outbox WHERE state IN ('pending', 'in_flight')")
            ).scalar_one()

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()


@dataclass
class Database:
    """One database the bot runs on in this benchmark."""

    label: str
    url: str
    cleanup: Callable[[], None] = lambda: None


def sqlite_database(workdir: Path) -> Database:
    """A fresh SQLite file in the scratch directory."""
    return Database("SQLite", f"sqlite:///{workdir / 'bench.db'}")


def postgres_database(base_url: str) -> Database:
    """A fresh schema in the PostgreSQL database at `base_url`, dropped by `cleanup`."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})

    def cleanup() -> None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return Database("PostgreSQL", url.render_as_string(hide_password=False), cleanup)


def intake_values(n: int) -> dict[str, dict]:
    """A valid submission of the bench playbook's form, as Slack's state.values."""

    def plain(value: str) -> dict:
        return {"value": {"type": "plain_text_input", "value": value}}

    def choice(value: str) -> dict:
        option = {"value": value, "text": {"type": "plain_text", "text": value}}
        return {"value": {"type": "static_select", "selected_option": option}}

    return {
        "f_summary": plain(f"Bench case {n}: portal sign-in fails"),
        "f_internal_ticket": plain(f"BENCH-{n}"),
        "f_category": choice("outage"),
        "f_tier": choice("1"),
        "f_requester_type": choice("Patient"),
        "f_description": plain("Sign-in fails for every user since 09:00; nothing else changed."),
    }


@dataclass
class Run:
    """The bot on one database, with what the benchmark needs to drive and observe it."""

    database: Database
    bot: BotProcess
    bare: BareProcess
    fake: FakeSlack
    reader: Reader
    builder: RequestBuilder = field(default_factory=lambda: RequestBuilder(SIGNING_SECRET))
    events: itertools.count = field(default_factory=itertools.count)
    results: dict[str, object] = field(default_factory=dict)
    profile: Path | None = None

    def spy(self, phase: str) -> AbstractContextManager:
        """py-spy on the bot for one phase when profiling (see bench/profile.py)."""
        if self.profile is None or py_spy() is None:
            return nullcontext()
        return _Profiled(self, phase)

    def write(self, name: str, content: str) -> None:
        """A profile file, DIR/<database>-<name>.txt."""
        if self.profile is not None:
            path = self.profile / f"{self.database.label.lower()}-{name}.txt"
            path.write_text(content)
            log(f"wrote {path}")

    def event_id(self) -> str:
        """A fresh event id (Slack's retries reuse one; the benchmark never retries)."""
        return f"EvBENCH{next(self.events):08d}"

    def settle(self, timeout: float = 60.0) -> bool:
        """Wait until nothing is left to deliver and fake Slack has heard nothing for 0.3 s."""
        deadline = time.monotonic() + timeout
        last, quiet_since = -1, time.monotonic()
        while time.monotonic() < deadline:
            heard = len(self.fake.calls)
            if heard != last:
                last, quiet_since = heard, time.monotonic()
            elif time.monotonic() - quiet_since >= 0.3 and self.reader.outbox_busy() == 0:
                return True
            time.sleep(0.05)
        log(f"{self.database.label}: still busy after {timeout:.0f} s; going on")
        return False

    def open_cases(self, count: int, timeout: float = 180.0) -> list[CaseRow]:
        """Open `count` cases through /escalate and its form, and wait for their threads."""
        known = {row.id for row in self.reader.cases()}
        self.fake.reset()
        command = self.builder.command("/escalate", "", user=OPENER, channel=SUPPORT_CHANNEL)
        send_one(self.bot.port, command)
        view = self.fake.wait_for("views.open", timeout=10)[0].body["view"]
        submissions = [
            self.builder.interactive(view_submission(view, intake_values(n), user=OPENER))
            for n in range(count)
        ]
        answered = run_load(self.bot.port, submissions, clients=CLIENTS)
        if answered.failed:
            raise RuntimeError(f"{answered.failed} form submissions failed: {answered.statuses}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            new = [row for row in self.reader.cases() if row.id not in known]
            if len(new) == count and all(row.root_ts for row in new):
                self.settle()
                return new
            time.sleep(0.1)
        raise RuntimeError(f"only {len(new)} of {count} cases were opened with a root message")


class _Profiled:
    """py-spy around a phase, summarised into the profile directory afterwards."""

    def __init__(self, run: Run, phase: str) -> None:
        assert run.profile is not None
        slug = re.sub(r"[^a-z0-9]+", "-", phase.lower()).strip("-")
        self.run, self.slug = run, slug
        self.raw = run.profile / f"{run.database.label.lower()}-{slug}.raw"
        self.spy = Spy(run.bot.pid, self.raw)

    def __enter__(self) -> _Profiled:
        self.spy.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.spy.__exit__(*exc)
        if self.raw.exists():
            self.run.write(f"profile-{self.slug}", summarize(self.raw))


def latency(run: Run, mode: Mode, cases: list[CaseRow]) -> dict[str, tuple[LoadResult, LoadResult]]:
    """p50/p99 of each request type, bare app first, then the bot (after a warm-up each)."""
    seq = itertools.count()

    def reaction(n: int) -> Prepared:
        case = cases[n % len(cases)]
        emoji = REACTIONS[(n // len(cases)) % len(REACTIONS)]
        user = USERS[n % len(USERS)]
        event = reaction_event(user, emoji, CHANNEL_ID, case.root_ts or "")
        return run.builder.event(event, event_id=run.event_id())

    def button(n: int) -> Prepared:
        case = cases[n % len(cases)]
        action_id = BUTTONS[(n // len(cases)) % len(BUTTONS)]
        payload = block_actions(
            action_id,
            str(case.id),
            user=USERS[n % len(USERS)],
            channel=CHANNEL_ID,
            message_ts=case.root_ts or "",
            block_id="case_actions",
        )
        return run.builder.interactive(payload)

    def modal(n: int) -> Prepared:
        return run.builder.command("/escalate", "", user=USERS[n % len(USERS)])

    def listing(_n: int) -> Prepared:
        return run.builder.command("/escalate", "list", user=OPENER)

    kinds = {
        "/escalate list": listing,
        "/escalate": modal,
        "reaction_added": reaction,
        "case button": button,
    }
    results = {}
    for kind, build in kinds.items():
        measured = {}
        servers = (("bare", run.bare.port, run.bare.pid), ("ours", run.bot.port, run.bot.pid))
        for name, port, pid in servers:
            # The bot's cases move through their cycle: one sequence across warm-up and run.
            counter = seq if name == "ours" else itertools.count()
            run_load(port, [build(next(counter)) for _ in range(mode.warmup)], clients=CLIENTS)
            run.settle()
            requests = [build(next(counter)) for _ in range(mode.requests)]
            cpu_before = cpu_seconds(pid)
            with run.spy(kind) if name == "ours" else nullcontext():
                measured[name] = run_load(port, requests, clients=CLIENTS)
                run.settle()
            result = measured[name]
            result.cpu_ms = (cpu_seconds(pid) - cpu_before) * 1000 / len(requests)
            log(
                f"{run.database.label} {kind:15} {name}: p50 {result.percentile(50) * 1000:7.1f} ms"
                f"  p99 {result.percentile(99) * 1000:7.1f} ms  ({result.failed} not 200)"
            )
        results[kind] = (measured["ours"], measured["bare"])
    return results


def counted(run: Run, action: Callable[[], None]) -> tuple[dict[str, int], Counter[str]]:
    """The bot's SQL statements, checkouts and transactions while `action` runs and settles,
    and (when profiling) its statements by origin."""
    before = run.bot.counts()
    action()
    run.settle()
    after = run.bot.counts()
    origins = Counter(after.pop("origins", {}))
    origins.subtract(before.pop("origins", {}))
    delta = {key: after[key] - before[key] for key in after}
    delta["transactions"] = delta.pop("commits") + delta.pop("rollbacks")
    delta.pop("begins")
    return delta, +origins


def end_to_end(run: Run, cases: list[CaseRow]) -> dict[str, object]:
    """Each fresh case gets one 👀 from 20 concurrent clients; time until all are applied."""
    ids = {case.id for case in cases}
    roots = {case.root_ts for case in cases}
    run.settle()
    run.fake.reset()
    requests = [
        run.builder.event(
            reaction_event(USERS[n % len(USERS)], "eyes", CHANNEL_ID, case.root_ts or ""),
            event_id=run.event_id(),
        )
        for n, case in enumerate(cases)
    ]
    before, cpu_before = run.bot.counts(), cpu_seconds(run.bot.pid)
    with run.spy("end to end"):
        began = time.perf_counter()
        acks = run_load(run.bot.port, requests, clients=CLIENTS)
        acked = time.perf_counter() - began
        deadline = time.monotonic() + 120
        while True:
            statuses = run.reader.statuses()
            moved = sum(1 for case_id in ids if statuses.get(case_id) == "acknowledged")
            edited = {call.body.get("ts") for call in run.fake.calls_to("chat.update")} & roots
            if moved == len(ids) and len(edited) == len(roots) and run.reader.outbox_busy() == 0:
                break
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
        elapsed = time.perf_counter() - began
        cpu = cpu_seconds(run.bot.pid) - cpu_before
    run.settle()
    after = run.bot.counts()
    after.pop("origins", None)
    before.pop("origins", None)
    per = {key: (after[key] - before[key]) / len(cases) for key in after}
    return {
        "events_per_s": len(cases) / elapsed,
        "acks_per_s": len(cases) / acked,
        "moved": moved,
        "edited": len(edited),
        "total": len(cases),
        "failed_acks": acks.failed,
        "cpu_ms": cpu * 1000 / len(cases),
        "sql": per["sql"],
        "checkouts": per["checkouts"],
        "transactions": per["commits"] + per["rollbacks"],
        "sql_ms": per["sql_seconds"] * 1000,
        "begin_ms": per["begin_seconds"] * 1000,
        "connects": per["connects"],
    }


def paced(run: Run, cases: list[CaseRow]) -> dict[str, float]:
    """One ⏳ at a time, each waited for: the median cost of one reaction (a move), alone."""
    samples: dict[str, list[float]] = {
        "sql": [],
        "checkouts": [],
        "transactions": [],
        "sql_seconds": [],
        "begin_seconds": [],
        "connects": [],
    }
    origins: Counter[str] = Counter()
    for n, case in enumerate(cases):
        emoji = "hourglass_flowing_sand"
        event = reaction_event(USERS[n % len(USERS)], emoji, CHANNEL_ID, case.root_ts)
        request = run.builder.event(event, event_id=run.event_id())
        delta, where = counted(run, lambda request=request: send_one(run.bot.port, request))
        origins.update(where)
        for key in samples:
            samples[key].append(delta[key])
    if origins:
        run.write("sql-per-reaction", origins_report(origins, len(cases), "reaction (alone)"))
    return {key: statistics.median(values) for key, values in samples.items()}


def listing_cost(run: Run, times: int = 5) -> dict[str, float]:
    """SQL statements and checkouts of one `/escalate list` (median of a few, one at a time)."""
    samples: dict[str, list[int]] = {"sql": [], "checkouts": [], "transactions": []}
    origins: Counter[str] = Counter()
    for _ in range(times):
        request = run.builder.command("/escalate", "list", user=OPENER)
        delta, where = counted(run, lambda request=request: send_one(run.bot.port, request))
        origins.update(where)
        for key in samples:
            samples[key].append(delta[key])
    if origins:
        run.write("sql-per-list", origins_report(origins, times, "/escalate list"))
    return {key: statistics.median(values) for key, values in samples.items()}


def bursts(run: Run, cases: list[CaseRow]) -> tuple[int, int]:
    """⏳ then 🚫 on one case, back to back from one client (20 cases at once): in order?"""
    units = []
    for n, case in enumerate(cases):
        user = USERS[n % len(USERS)]
        units.append(
            tuple(
                run.builder.event(
                    reaction_event(user, emoji, CHANNEL_ID, case.root_ts or ""),
                    event_id=run.event_id(),
                )
                for emoji in ("hourglass_flowing_sand", "no_entry_sign")
            )
        )
    run_load(run.bot.port, units, clients=CLIENTS)
    run.settle()
    statuses = run.reader.statuses()
    return sum(1 for case in cases if statuses.get(case.id) == "returned"), len(cases)


def run_database(
    database: Database, mode: Mode, fake: FakeSlack, workdir: Path, profile: Path | None
) -> dict:
    """Everything measured on one database."""
    env = {
        "SLACK_BOT_TOKEN": "xoxb-bench-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_MODE": "http",
        "SLACK_APP_TOKEN": "",
        "SLACK_API_URL": fake.url,
        "DATABASE_URL": database.url,
        "ESCALATION_PLAYBOOKS": str(PLAYBOOKS),
        "LOG_LEVEL": "WARNING",
        "SCHEDULER_INTERVAL_SECONDS": str(TICK_SECONDS),
    }
    if profile is not None:
        env["BENCH_SQL_ORIGINS"] = "1"
    name = database.label.lower()
    first = BotProcess(env, workdir, f"{name}-first")
    results: dict[str, object] = {"startup_fresh": first.start()}
    first.stop()
    bot = BotProcess(env, workdir, name)
    results["startup"] = bot.start()
    log(
        f"{database.label}: start-up {results['startup_fresh']:.2f} s fresh, "
        f"{results['startup']:.2f} s migrated"
    )
    bare = BareProcess(SIGNING_SECRET, fake.url, list(BUTTONS), workdir)
    reader = Reader(database.url)
    run = Run(database, bot, bare, fake, reader, profile=profile)
    try:
        cases = run.open_cases(mode.cases)
        log(f"{database.label}: {len(cases)} cases opened")
        results["listing_cost"] = listing_cost(run)
        results["latency"] = latency(run, mode, cases)
        fresh = run.open_cases(mode.e2e + mode.paced)
        results["e2e"] = end_to_end(run, fresh[: mode.e2e])
        log(f"{database.label}: end to end {results['e2e']}")
        results["paced"] = paced(run, fresh[mode.e2e :])
        log(f"{database.label}: paced {results['paced']}")
        results["bursts"] = bursts(run, fresh[: mode.bursts])
        results["rss"] = peak_rss_mb(bot.pid)
    except Exception:
        log(f"{database.label}: failed; the bot's log ends:\n{bot.log_tail()}")
        raise
    finally:
        bare.stop()
        status = bot.stop()
        reader.close()
        if status not in (0, None):
            log(f"{database.label}: the bot exited with {status}:\n{bot.log_tail()}")
    return results


def sweep(mode: Mode, database_url: str | None) -> dict[int, float] | str:
    """bench/sweep.py in its own process: warmed median seconds per size, or what went wrong."""
    args = [sys.executable, "-m", "bench.sweep", "--json", "--sizes", *map(str, mode.sweep_sizes)]
    if database_url:
        args += ["--database-url", database_url]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return lines[-1] if lines else f"exit status {done.returncode}"
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {row["open"]: row["seconds"] for row in rows}


def machine() -> str:
    """nproc, CPU model, Python version, the date and the load average."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    # Shared machines: the load at the end of the run says how much the numbers were disturbed.
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, {when}, "
        f"load average {load}"
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def _ratio(ours: LoadResult, bare: LoadResult, q: float) -> str:
    cell = f"{_ms(ours.percentile(q))} / {_ms(bare.percentile(q))} = "
    cell += f"**{ours.percentile(q) / bare.percentile(q):.2f}×**"
    failed = ours.failed + bare.failed
    return cell + (f" ({failed} not 200)" if failed else "")


def table(mode: Mode, results: dict[str, dict], sweeps: dict[str, object]) -> str:
    """The one table: a row per measure, a column per database."""
    labels = ["SQLite", "PostgreSQL"]

    def row(measure: str, cell: Callable[[dict], str], target: str) -> str:
        cells = [cell(results[label]) if label in results else "not run" for label in labels]
        return f"| {measure} | " + " | ".join(cells) + f" | {target} |"

    lines = [
        f"Mode {mode.name}: {mode.requests} requests per type and server from {CLIENTS} "
        f"concurrent clients; /escalate list over {mode.cases} open cases; {mode.e2e} cases "
        f"end to end; scheduler tick {TICK_SECONDS} s. {machine()}.",
        "",
        "| measure | SQLite | PostgreSQL | target |",
        "|---|---|---|---|",
    ]
    for kind in ("reaction_added", "case button", "/escalate", "/escalate list"):
        for q in (50, 99):
            target = "≤ 1.5× bare" if q == 99 else ""
            lines.append(
                row(
                    f"`{kind}` p{q} ms, ours / bare",
                    lambda r, kind=kind, q=q: _ratio(*r["latency"][kind], q),
                    target,
                )
            )
    for kind in ("reaction_added", "case button", "/escalate", "/escalate list"):
        lines.append(
            row(
                f"`{kind}` server CPU ms per request (work after the ack included), ours / bare",
                lambda r, kind=kind: (
                    f"{r['latency'][kind][0].cpu_ms:.1f} / {r['latency'][kind][1].cpu_ms:.1f}"
                ),
                "",
            )
        )
    lines += [
        row(
            "reactions/s end to end (event → DB → Slack calls)",
            lambda r: f"**{r['e2e']['events_per_s']:.1f}** (acks {r['e2e']['acks_per_s']:.0f}/s)",
            "≥ 150",
        ),
        row(
            "final states checked (acknowledged; root edited)",
            lambda r: (
                f"{r['e2e']['moved']}/{r['e2e']['total']}; {r['e2e']['edited']}/{r['e2e']['total']}"
            ),
            "all",
        ),
        row("bot CPU per reaction, ms", lambda r: f"{r['e2e']['cpu_ms']:.1f}", ""),
        row(
            "SQL statements per reaction (SQLite's BEGINs apart): alone / 20 concurrent",
            lambda r: f"**{r['paced']['sql']:.0f}** / {r['e2e']['sql']:.1f}",
            "≤ 12",
        ),
        row(
            "connection checkouts per reaction: alone / concurrent",
            lambda r: f"{r['paced']['checkouts']:.0f} / {r['e2e']['checkouts']:.1f}",
            "",
        ),
        row(
            "transactions per reaction: alone / concurrent",
            lambda r: f"{r['paced']['transactions']:.0f} / {r['e2e']['transactions']:.1f}",
            "",
        ),
        row(
            "new database connections per reaction: alone / concurrent",
            lambda r: f"{r['paced']['connects']:.0f} / {r['e2e']['connects']:.1f}",
            "",
        ),
        row(
            "wall time in SQL execute per reaction, ms, summed over threads: alone / concurrent",
            lambda r: f"{r['paced']['sql_seconds'] * 1000:.1f} / {r['e2e']['sql_ms']:.0f}",
            "",
        ),
        row(
            "of which beginning SQLite writes (the bot's writer gate and SQLite's lock), ms",
            lambda r: f"{r['paced']['begin_seconds'] * 1000:.1f} / {r['e2e']['begin_ms']:.0f}",
            "",
        ),
        row(
            "SQL statements / checkouts per `/escalate list`",
            lambda r: f"{r['listing_cost']['sql']:.0f} / {r['listing_cost']['checkouts']:.0f}",
            "",
        ),
        row(
            "same-case bursts (⏳ then 🚫) ending returned",
            lambda r: f"{r['bursts'][0]}/{r['bursts'][1]}",
            "all",
        ),
        row("peak RSS of the bot, MB", lambda r: f"{r['rss']:.0f}", "< 120"),
        row(
            "start-up to first 200 on /healthz, s: migrated DB (fresh DB)",
            lambda r: f"**{r['startup']:.2f}** ({r['startup_fresh']:.2f})",
            "< 1",
        ),
    ]
    small, large = mode.sweep_sizes
    lines += [
        _sweep_row(f"sweep, {small:,} open / 100 due, ms (warmed median)", sweeps, small),
        _sweep_row(f"sweep, {large:,} open / 100 due, ms (warmed median)", sweeps, large),
        _sweep_ratio(f"sweep {large:,} / {small:,}", sweeps, small, large),
    ]
    return "\n".join(lines)


def _sweep_row(measure: str, sweeps: dict[str, object], size: int) -> str:
    cells = []
    for label in ("SQLite", "PostgreSQL"):
        result = sweeps.get(label)
        if result is None:
            cells.append("not run")
        elif isinstance(result, str):
            cells.append(f"failed: {result[:80]}")
        else:
            cells.append(_ms(result[size]))
    return f"| {measure} | " + " | ".join(cells) + " |  |"


def _sweep_ratio(measure: str, sweeps: dict[str, object], small: int, large: int) -> str:
    cells = []
    for label in ("SQLite", "PostgreSQL"):
        result = sweeps.get(label)
        if isinstance(result, dict):
            cells.append(f"**{result[large] / result[small]:.2f}×**")
        else:
            cells.append("—")
    return f"| {measure} | " + " | ".join(cells) + " | ≤ 1.5 |"


def main() -> int:
    """Run every measure on SQLite (and PostgreSQL when configured) and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests, smaller sweep")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument(
        "--strict-rate-limits",
        action="store_true",
        help="the fake Slack enforces Slack's per-method rate-limit tiers (429 + Retry-After)",
    )
    parser.add_argument("--workdir", type=Path, help="keep the logs and databases here")
    parser.add_argument(
        "--profile", type=Path, metavar="DIR", help="py-spy and SQL origins per phase into DIR"
    )
    args = parser.parse_args()
    mode = QUICK if args.quick else FULL
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
        if py_spy() is None:
            log("py-spy not found (pip install -e '.[bench]'): SQL origins only")
    postgres_url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if args.sqlite_only:
        postgres_url = None
    fake, server = start_fake_slack(strict_rate_limits=args.strict_rate_limits)
    fake.channel_ids[CHANNEL] = CHANNEL_ID
    fake.channel_members[CHANNEL_ID] = [OPENER, *USERS]
    fake.usergroups[TIER2_GROUP] = list(USERS)
    results: dict[str, dict] = {}
    sweeps: dict[str, object] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
            workdir = args.workdir or Path(tmp)
            workdir.mkdir(parents=True, exist_ok=True)
            databases = [sqlite_database(workdir)]
            if postgres_url:
                databases.append(postgres_database(postgres_url))
            for database in databases:
                try:
                    results[database.label] = run_database(
                        database, mode, fake, workdir, args.profile
                    )
                finally:
                    database.cleanup()
            log("sweep on SQLite")
            sweeps["SQLite"] = sweep(mode, None)
            if postgres_url:
                log("sweep on PostgreSQL")
                sweeps["PostgreSQL"] = sweep(mode, postgres_url)
    finally:
        server.shutdown()
        server.server_close()
    print(table(mode, results, sweeps))
    refused = fake.refused_payloads()
    if refused:
        log(f"the fake Slack refused {len(refused)} call(s) Slack would refuse: {refused[:3]}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
