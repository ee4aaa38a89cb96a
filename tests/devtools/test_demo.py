"""`python -m slackbot demo`: run as a new user would, in a directory whose `.env` still holds
the placeholders, it shows a case from intake to resolution, exits 0 and leaves nothing behind;
its HTML page loads in a real browser (headless Chromium) with no console errors."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from matplotlib import image

from slackbot.devtools import demo, preview

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER_ENV = "SLACK_BOT_TOKEN=xoxb-your-bot-token\nSLACK_SIGNING_SECRET=your-signing-secret\n"


@dataclass
class DemoRun:
    """One run of the demo as a subprocess."""

    returncode: int
    stdout: str
    stderr: str
    html: Path
    seconds: float


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> DemoRun:
    """Run `python -m slackbot demo --html …` once for the module, from a fresh directory."""
    cwd = tmp_path_factory.mktemp("fresh-clone")
    (cwd / ".env").write_text(PLACEHOLDER_ENV, encoding="utf-8")
    html = cwd / "demo.html"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    env["PYTHONPATH"] = str(ROOT)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "slackbot", "demo", "--html", str(html)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    return DemoRun(done.returncode, done.stdout, done.stderr, html, time.monotonic() - started)


def test_done_when_the_demo_shows_a_case_from_intake_to_resolution_and_exits_0(demo_run):
    assert demo_run.returncode == 0, demo_run.stderr[-2000:]
    out = demo_run.stdout
    steps = [line for line in out.splitlines() if line.startswith("── ")]
    assert len(steps) == len(demo.STEPS)
    assert steps[0] == "── Sam (tier-1 agent) types /escalate idv in #support"
    assert steps[-1].startswith("── Dana notes the resolution")
    expected_in_order = [
        "Sam (tier-1 agent) sees (form):",
        "    Summary: Prescriber cannot pass identity verification",
        "#escalations-idv sees (new message):",
        "    *Status* · 🆕 open",
        "Sam (tier-1 agent) sees (ephemeral, only to them):",
        "    *Owner* · @Dana",
        "    *Status* · ⏳ waiting on vendor",
        "Vendor inbox sees (email to ehr-support@idv-vendor.example.com, sam@support.example.com):",
        "    Subject: AcmeEHR; XQ123; pat@clinic.example.com",
        "      Email used to sign up (unique match): pat@clinic.example.com",
        "    ⏰ @Dana Overdue by 0s: the vendor's acknowledgement (their ticket number).",
        "Sam (tier-1 agent) sees (form, with errors):",
        "PagerDuty sees (Events API v2):",
        "    trigger ESC-1",
        "    *Status* · ✅ resolved",
        "    resolve ESC-1",
    ]
    lines = out.splitlines()
    position = 0
    for line in expected_in_order:
        assert line in lines[position:], f"{line!r} missing or out of order"
        position = lines.index(line, position) + 1
    assert "Nobody was paged" in out
    # Contact details stay out of the channel: only the vendor's inbox and Sam's own view.
    channel_lines = [line for line in lines if line.startswith("#escalations-idv sees")]
    assert channel_lines and "pat@clinic" not in "".join(channel_lines)
    # The progress display went to stderr and reached the end.
    assert "10/10" in demo_run.stderr
    # Nothing but the progress bar: no log line, no warning, no traceback.
    noise = [line for line in demo_run.stderr.splitlines() if line.strip()]
    assert [line for line in noise if not line.lstrip().startswith("demo:")] == []


def test_the_demo_leaves_no_port_process_or_file_behind(demo_run):
    assert demo_run.returncode == 0
    where = next(line for line in demo_run.stdout.splitlines() if line.startswith("Bot on "))
    ports = [int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", where)]
    assert len(ports) == 4
    for port in ports:
        with socket.socket() as probe:
            probe.settimeout(1)
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still answers"
    workdir = Path(where.rsplit("database in ", 1)[1])
    assert workdir.name.startswith("escalations-demo-") and not workdir.exists()
    marker = str(demo_run.html)
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            assert marker not in cmdline.read_bytes().decode(errors="replace")
        except OSError:  # the process ended while we looked
            continue


@pytest.mark.parametrize("playbook_id", ["idv", "tier3"])
def test_the_demo_in_process_stops_every_thread_it_started(playbook_id, capsys):
    before = {t.ident for t in threading.enumerate()}
    assert demo.main(["--no-progress", "--playbook", playbook_id]) == 0
    deadline = time.monotonic() + 5
    while True:
        left = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert left == [], [t.name for t in left]
    assert "Done: the case went from intake to resolution" in capsys.readouterr().out


def test_an_unknown_playbook_is_refused_in_one_line(capsys):
    assert demo.main(["--no-progress", "--playbook", "nosuch"]) == 1
    err = capsys.readouterr().err
    assert "demo failed: no playbook 'nosuch'; the file has idv, tier3, assister" in err


# -- the page in a real browser ----------------------------------------------------------------


def chromium() -> str:
    """The headless browser, or a skip (only outside CI: .ci/run installs it)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed, and CI must run the browser test")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


def screenshot(page: Path, png: Path, profile: Path) -> list[str]:
    """Load `page` in headless Chromium, save a screenshot; its console messages."""
    done = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            "--window-size=1000,2000",
            "--enable-logging=stderr",
            "--v=0",
            f"--screenshot={png}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert png.exists(), done.stderr[-2000:]
    return [line for line in done.stderr.splitlines() if ":CONSOLE" in line]


def test_the_demo_page_renders_in_chromium_with_no_console_errors(demo_run, tmp_path):
    assert demo_run.html.exists()
    page = demo_run.html.read_text(encoding="utf-8")
    assert page.count('<section class="scene">') >= 20
    assert "Vendor inbox" in page and "Emergency page" in page and "escalations-idv" in page
    png = tmp_path / "demo.png"
    console = screenshot(demo_run.html, png, tmp_path / "profile")
    assert console == []
    pixels = image.imread(png)
    assert pixels.shape[0] >= 1000 and pixels.shape[1] >= 900
    # Not blank: the page's header, cards and text make the pixels vary.
    assert pixels[..., :3].std() > 0.05
    header = pixels[10:40, 10:200, :3].mean(axis=(0, 1))
    assert header[0] < 0.4 and header[2] < 0.4  # Slack's aubergine bar, not white


def test_the_browser_check_sees_console_errors_and_blank_pages(tmp_path):
    broken = tmp_path / "broken.html"
    broken.write_text("<html><body><script>nosuch()</script></body></html>", encoding="utf-8")
    png = tmp_path / "broken.png"
    console = screenshot(broken, png, tmp_path / "profile")
    assert any("nosuch is not defined" in line for line in console)
    assert image.imread(png)[..., :3].std() < 0.01


def test_a_playbook_preview_page_renders_in_chromium(tmp_path):
    page = tmp_path / "preview.html"
    assert preview.main(["--playbook", "idv", "--html", str(page)]) == 0
    png = tmp_path / "preview.png"
    assert screenshot(page, png, tmp_path / "profile") == []
    assert image.imread(png)[..., :3].std() > 0.05
