"""A restart on a database at head skips Alembic: one SELECT, and neither Alembic nor matplotlib
is imported by the process, nor any other module the bot loads only when first used (start-up
time and memory, issue 16)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from alembic import command

from storage.db import make_engine
from storage.migrate import alembic_config, at_head, script_heads, upgrade
from tests.support.env import SIGNING_SECRET

ROOT = Path(__file__).resolve().parents[2]

#: What a starting bot does not import, with what each costs it (min of 5, 2-core machine):
#: Alembic when the schema is at head (with Mako and Pygments, 0.15-0.33 s), matplotlib and
#: numpy until a chart is drawn (~0.7 s), pypd and requests (with urllib3, idna and
#: charset_normalizer) until PagerDuty is called or an attachment downloaded (~60 ms), the
#: export and tqdm (~4 ms), the Socket Mode client in HTTP mode (~5 ms), the loopback stand-ins
#: ever (the import contract says so too).
DEFERRED = (
    "alembic",
    "matplotlib",
    "numpy",
    "pypd",
    "requests",
    "urllib3",
    "tqdm",
    "slackbot.export",
    "slackbot.playbooks_cli",
    "slack_bolt.adapter.socket_mode",
    "sqlalchemy.dialects.postgresql",
    "slackbot.devtools",
)

#: Builds the bot's services and app on DATABASE_URL the way `python -m slackbot` does (in HTTP
#: mode) and reports which of the deferred modules the process has imported by then.
START = f"""
import json, sys
from slackbot.app import build_app
from slackbot.config import load_settings
from slackbot.wiring import build_services
import slackbot.__main__
services = build_services(load_settings(dotenv=False))
build_app(services, token_verification=False)
print(json.dumps(sorted(m for m in {DEFERRED!r} if m in sys.modules)))
"""


def test_heads_are_read_from_the_revision_files():
    versions = (ROOT / "storage" / "migrations" / "versions").glob("*.py")
    newest = max(path.name.split("_", 1)[0] for path in versions)
    assert script_heads() == frozenset({newest})


def test_at_head_only_once_every_migration_has_run(database):
    _, engine = database
    assert not at_head(engine)  # fresh: no alembic_version table
    upgrade(engine)
    assert at_head(engine)
    with engine.begin() as connection:
        config = alembic_config(engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = connection
        command.downgrade(config, "-1")
    assert not at_head(engine)
    upgrade(engine)  # behind: goes through Alembic again
    assert at_head(engine)


def _imported_at_start(database_url: str) -> list[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_MODE": "http",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
    }
    done = subprocess.run(
        [sys.executable, "-c", START], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_restart_at_head_imports_none_of_the_deferred_modules(tmp_path):
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    # A fresh database is migrated by Alembic (whose DDL modules load PostgreSQL's dialect).
    assert _imported_at_start(url) == ["alembic", "sqlalchemy.dialects.postgresql"]
    engine = make_engine(url)
    assert at_head(engine)
    engine.dispose()
    assert _imported_at_start(url) == []
