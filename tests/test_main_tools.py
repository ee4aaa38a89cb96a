"""`python -m slackbot <tool>`: tools are dispatched before any Slack setting is read."""

from __future__ import annotations

import signal

from slackbot import __main__ as entry
from slackbot.domain.playbooks import DEFAULT_PLAYBOOKS_PATH


def test_playbooks_check_runs_without_settings(capsys, monkeypatch):
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    assert entry.main(["playbooks", "check", str(DEFAULT_PLAYBOOKS_PATH)]) == 0
    assert capsys.readouterr().out.count(": ok: ") == 3


def test_tools_are_loaded_by_name_with_the_arguments_after_the_subcommand(capsys):
    assert entry.TOOLS == {
        ("demo",): "slackbot.devtools.demo",
        ("playbooks", "preview"): "slackbot.devtools.preview",
        ("export",): "slackbot.export",
        ("playbooks",): "slackbot.playbooks_cli",
    }
    # Any module with main(argv) -> int is run the same way; this one is real and ours.
    assert entry._devtool("slackbot.playbooks_cli", ["check", str(DEFAULT_PLAYBOOKS_PATH)]) == 0
    assert entry._devtool("slackbot.devtools.no_such_tool", []) == 2
    assert "slackbot.devtools.no_such_tool is not part of this installation" in (
        capsys.readouterr().err
    )


def test_without_a_tool_the_bot_starts_and_settings_errors_stay_one_line(capsys, monkeypatch):
    assert entry._tool(["--host", "127.0.0.1"]) is None
    monkeypatch.chdir("/")  # no .env
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        assert entry.main(["--host", "127.0.0.1"]) == 2
    finally:  # main() installs its own handlers
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    err = capsys.readouterr().err
    assert err.startswith("configuration error: SLACK_BOT_TOKEN")
    assert err.count("\n") == 1
