"""`python -m slackbot playbooks check [FILE]`: every problem of a playbooks file, in one run.

    python -m slackbot playbooks check         # ESCALATION_PLAYBOOKS (or .env's), else the shipped file
    python -m slackbot playbooks check my-playbooks.toml

One line per problem, `FILE: playbook ID: key: rule` (TOML syntax errors give the line and
column, which stop the parse: fix that one first), exit 1 when there is any; otherwise one
summary line per playbook and exit 0. Needs no Slack tokens, database or `.env`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from dotenv import dotenv_values

from slackbot.domain.playbooks import DEFAULT_PLAYBOOKS_PATH, Playbook, check_playbooks_file


def default_path(env: Mapping[str, str]) -> Path:
    """The file the bot would load: ESCALATION_PLAYBOOKS, else the shipped playbooks."""
    return Path(env.get("ESCALATION_PLAYBOOKS", "").strip() or DEFAULT_PLAYBOOKS_PATH)


def summary(playbook: Playbook) -> str:
    """One line saying what a valid playbook sets up."""
    receiver = playbook.receiver
    route = f"email {receiver.email}" if receiver.email else "no email: handed off by hand"
    emergency = "none"
    if playbook.emergency is not None:
        ways = [
            w
            for w, on in (
                ("PagerDuty", playbook.emergency.pagerduty),
                ("email", bool(playbook.emergency.email)),
            )
            if on
        ]
        emergency = "+".join(ways) or "no route"
    return (
        f"ok: {playbook.title!r} in {playbook.channel} -> {receiver.name} ({route}); "
        f"{len(playbook.fields)} fields, {len(playbook.categories)} categories, "
        f"{len(playbook.tiers)} tiers, emergency {emergency}"
    )


def check(path: Path, out: TextIO) -> int:
    """Print every problem of `path` (exit 1) or a summary per playbook (exit 0)."""
    result = check_playbooks_file(path)
    if result.playbooks is None:
        for problem in result.problems:
            print(problem, file=out)
        count = len(result.problems)
        print(f"{path}: {count} problem{'s' if count != 1 else ''}", file=out)
        return 1
    for playbook in result.playbooks:
        print(f"{path}: playbook {playbook.id}: {summary(playbook)}", file=out)
    return 0


def main(argv: Sequence[str], env: Mapping[str, str] | None = None, out: TextIO | None = None):
    """`playbooks check [FILE]` (argv is what follows `playbooks`): 0 valid, 1 problems found."""
    parser = argparse.ArgumentParser(
        prog="python -m slackbot playbooks",
        description="Check a playbooks file (preview has its own command: playbooks preview).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    checker = sub.add_parser("check", help="name every problem of a playbooks file")
    checker.add_argument(
        "file", nargs="?", type=Path, help="default: ESCALATION_PLAYBOOKS or the shipped file"
    )
    args = parser.parse_args(list(argv))
    if env is None:  # the file the bot would load from here: `.env` fills what is not set
        env = {**{k: v for k, v in dotenv_values(Path.cwd() / ".env").items() if v}, **os.environ}
    path = args.file or default_path(env)
    return check(path, sys.stdout if out is None else out)
