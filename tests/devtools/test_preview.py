"""`python -m slackbot playbooks preview`: each shipped playbook's form, root message, details
reply, hand-off email (as the vendor receives it) and reminder, in the terminal and as HTML."""

from __future__ import annotations

import re

import pytest

from slackbot.__main__ import main as slackbot_main
from slackbot.devtools import preview
from slackbot.domain.playbooks import DEFAULT_PLAYBOOKS_PATH
from tests.support.handoff import PLAYBOOKS


@pytest.mark.parametrize("playbook_id", PLAYBOOKS.ids)
def test_preview_renders_each_shipped_playbook(playbook_id, tmp_path, capsys):
    page = tmp_path / "preview.html"
    assert (
        slackbot_main(["playbooks", "preview", "--playbook", playbook_id, "--html", str(page)]) == 0
    )
    out = capsys.readouterr().out
    playbook = PLAYBOOKS.get(playbook_id)
    steps = [line for line in out.splitlines() if line.startswith("── ")]
    expected = ["Intake form (sample answers)", "Root message", "Details reply"]
    expected += ["Hand-off email"] if playbook.receiver.email else []
    assert steps == [f"── {step}" for step in [*expected, "Reminder"]]
    # Every field of the playbook is in the form, with its sample answer.
    for spec in playbook.fields:
        assert any(line.strip().startswith(spec.label) for line in out.splitlines()), spec.id
    assert f"{playbook.channel} sees (new message):" in out
    assert "*ESC-42*" in out and "⏰" in out
    html = page.read_text(encoding="utf-8")
    assert html.count('<section class="scene">') == len(expected) + 1
    assert '<div class="modal-title">Escalate a case</div>' in html
    assert not re.search(r"<(link|script|img)\b|src=|url\(", html)


def test_the_idv_email_reads_as_the_vendor_receives_it(capsys):
    assert preview.main(["--playbook", "idv"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    start = lines.index("Identity verification vendor support sees (as the vendor receives it):")
    email = "\n".join(lines[start : lines.index("── Reminder")])
    assert "    To: ehr-support@idv-vendor.example.com" in email
    assert "    Subject: AcmeEHR; XQ123; pat@clinic.example.com" in email
    # The contact details travel to the vendor (in the email only, never the channel).
    assert "      First name: Pat" in email and "      Phone number(s): 555-555-0102" in email
    assert "⚠ missing" not in email
    channel = out[: out.index("── Hand-off email")]
    assert "pat@clinic.example.com" not in channel.split("── Root message")[1]


def test_a_file_of_playbooks_and_a_wrong_id(tmp_path, capsys):
    copy = tmp_path / "mine.toml"
    copy.write_text(DEFAULT_PLAYBOOKS_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    assert preview.main([str(copy), "--playbook", "tier3"]) == 0
    assert f"from {copy}" in capsys.readouterr().out
    assert preview.main([str(copy), "--playbook", "nosuch"]) == 1
    assert "no playbook 'nosuch'; it has idv, tier3, assister" in capsys.readouterr().err
    broken = tmp_path / "broken.toml"
    broken.write_text("[[playbook]]\nid = 'x'\nnot_a_key = 1\n", encoding="utf-8")
    assert preview.main([str(broken), "--playbook", "x"]) == 1
    assert "broken.toml" in capsys.readouterr().err


def test_an_html_file_that_cannot_be_written_is_one_line(tmp_path, capsys):
    nowhere = tmp_path / "no" / "such" / "dir" / "p.html"
    assert preview.main(["--playbook", "idv", "--html", str(nowhere)]) == 1
    assert capsys.readouterr().err.startswith(f"preview: cannot write {nowhere}: ")
