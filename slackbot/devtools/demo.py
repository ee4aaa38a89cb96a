"""`python -m slackbot demo [--playbook ID] [--html FILE]`: one case from intake to resolution,
driven through the bot's signed HTTP endpoint exactly as Slack would, with no account anywhere.

The bot's real wiring runs on 127.0.0.1 against the loopback stand-ins (slackbot/devtools/): the
fake Slack Web API, an SMTP sink and a PagerDuty stand-in, on a temporary SQLite database. The
playbook's service-level clocks are scaled (one hour lasts one second) so that a reminder comes
within seconds. It prints what each person would see, writes the same as one HTML page when asked,
and stops everything it started before it returns.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from tqdm import tqdm

from slackbot.devtools import slack_html
from slackbot.devtools.demo_steps import STEPS, DemoError, Run
from slackbot.devtools.stage import close_stage, open_stage
from slackbot.devtools.transcript import Transcript
from slackbot.domain.playbooks import DEFAULT_PLAYBOOKS_PATH, load_playbooks


def run_demo(playbook_id: str, write: Callable[[str], None], *, progress: bool = True) -> Run:
    """Run every step on a fresh stage; the stage is closed whatever happens."""
    stage = open_stage(playbook_id, DEFAULT_PLAYBOOKS_PATH)
    write(stage.describe())
    try:
        assert stage.services is not None
        playbook = stage.services.playbooks.get(playbook_id)
        assert playbook is not None
        shipped = load_playbooks(DEFAULT_PLAYBOOKS_PATH).get(playbook_id)
        assert shipped is not None
        run = Run(stage, Transcript(stage, write), playbook, shipped)
        tqdm.monitor_interval = 0  # no monitor thread: the demo leaves no thread running
        bar = tqdm(STEPS, desc="demo", unit="step", file=sys.stderr, disable=not progress)
        for title, step, actor in bar:
            heading = title.format(pb=playbook.id)
            bar.set_postfix_str(step.__name__.removeprefix("step_"))
            run.transcript.begin(heading)
            step(run)
            run.transcript.settle()
            run.transcript.flush(actor)
        bar.close()
        return run
    finally:
        close_stage(stage)


def write_html(run: Run, path: Path) -> None:
    """The run's scenes as one self-contained HTML page."""
    title = f"Escalations demo: {run.playbook.title}"
    subtitle = (
        "Everything each person saw, from /escalate to resolution, rendered from the bot's "
        "own Block Kit (loopback stand-ins, no Slack account)."
    )
    path.write_text(slack_html.page_html(title, subtitle, run.transcript.scenes), encoding="utf-8")


def main(argv: list[str]) -> int:
    """Run the demo; 0 when every step saw what it expected."""
    parser = argparse.ArgumentParser(prog="python -m slackbot demo", description=__doc__)
    parser.add_argument("--playbook", default="idv", help="playbook id (default: idv)")
    parser.add_argument("--html", type=Path, help="also write every message and modal here")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)

    def write(line: str) -> None:
        tqdm.write(line, file=sys.stdout)

    write("Escalations demo: the bot's real code on 127.0.0.1, no Slack account needed.")
    try:
        run = run_demo(args.playbook, write, progress=not args.no_progress)
    except (DemoError, LookupError) as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        return 1
    if args.html:
        try:
            write_html(run, args.html)
        except OSError as exc:
            print(f"demo: cannot write {args.html}: {exc.strerror}", file=sys.stderr)
            return 1
        write(f"\nHTML: {args.html} ({len(run.transcript.scenes)} messages and modals)")
    write("\nDone: the case went from intake to resolution; everything started was stopped.")
    write("Going live: create the Slack app (README, 'Create the Slack app'), fill .env, then")
    write("run `.venv/bin/python -m slackbot`.")
    return 0
