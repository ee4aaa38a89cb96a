"""`python -m slackbot playbooks check`: the shipped file passes, a broken copy is named line by
line (one planted mistake per rule), and the blank template passes once filled in."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

from pydantic import BaseModel

from slackbot import playbooks_cli
from slackbot.domain.playbooks import DEFAULT_PLAYBOOKS_PATH, Playbook, load_playbooks

TEMPLATE = DEFAULT_PLAYBOOKS_PATH.with_name("playbooks.template.toml")
ROOT = Path(__file__).resolve().parent.parent


def run(*argv: str, env: dict[str, str] | None = None) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = playbooks_cli.main(list(argv), env={} if env is None else env, out=out)
    return code, out.getvalue().splitlines()


def test_the_shipped_file_passes_with_one_summary_line_per_playbook():
    code, lines = run("check")  # no FILE and no ESCALATION_PLAYBOOKS: the shipped file
    assert code == 0
    ids = load_playbooks(DEFAULT_PLAYBOOKS_PATH).ids
    assert [line.split(": ")[1] for line in lines] == [f"playbook {i}" for i in ids]
    assert all(line.startswith(f"{DEFAULT_PLAYBOOKS_PATH}: playbook ") for line in lines)
    assert ": ok: 'Identity verification vendor' in #escalations-idv -> " in lines[0]


def test_the_default_file_is_the_configured_one(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(GOOD)
    code, lines = run("check", env={"ESCALATION_PLAYBOOKS": str(path)})
    assert (code, len(lines)) == (0, 1)
    assert lines[0].startswith(f"{path}: playbook v: ok: 'Vendor' in #vendor -> Vendor support")


def test_without_env_the_default_comes_from_the_environment_or_dot_env(tmp_path, monkeypatch):
    path = tmp_path / "mine.toml"
    path.write_text(GOOD)
    (tmp_path / ".env").write_text(f"ESCALATION_PLAYBOOKS={path}\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ESCALATION_PLAYBOOKS", raising=False)
    out = io.StringIO()
    assert playbooks_cli.main(["check"], out=out) == 0
    assert out.getvalue().startswith(f"{path}: playbook v: ok: ")


GOOD = """
[[playbook]]
id = "v"
title = "Vendor"
channel = "#vendor"
[playbook.receiver]
name = "Vendor support"
email = "support@vendor.example.com"
"""

#: One playbook with one mistake per rule (and a second one repeating its id).
BROKEN = f"""
colour = "red"

[[playbook]]
id = "v"
title = "{"T" * 76}"
channel = "#vendor"
requester_types = ["Patient", "Patient"]
lead = "S0LEADS0001"

[playbook.receiver]
name = "Vendor support"
email = "support at vendor"
subject_template = "{{case_id}}: {{nope}}"

[[playbook.categories]]
id = "access"
label = "{"L" * 76}"

[[playbook.tiers]]
tier = 2
name = "Second"
[[playbook.tiers]]
tier = 1
name = "First"

[[playbook.fields]]
id = "pick"
kind = "choice"
label = "Pick one"
choices = [{", ".join(f'"c{i}"' for i in range(101))}]
[[playbook.fields]]
id = "note"
kind = "text"
label = "Note"
placeholder = "{"p" * 151}"
max_length = 3001
[[playbook.fields]]
id = "note"
kind = "text"
label = "Note again"
[[playbook.fields]]
id = "tier"
kind = "text"
label = "Tier"

[playbook.hours.ours]
open = 17:00:00
close = 09:00:00
[playbook.hours.theirs]
timezone = "Mars/Olympus_Mons"
days = ["monday"]

[playbook.sla]
progress_update = "soon"

[playbook.emergency]
email = "FILL IN: the on-call address"
criteria = [{", ".join(f'"criterion {i}"' for i in range(11))}]
response_time = "half an hour"

[playbook.inbound]
acknowledgement = ['ticket (\\d+)']

[[playbook]]
id = "v"
title = "Vendor again"
channel = "#vendor"
[playbook.receiver]
name = "Vendor support"
"""

#: key → what its line must say.
PLANTED = {
    "colour": "unknown top-level key",
    "playbook v: id": "appears more than once",
    "playbook v: lead": "unknown key",
    "playbook v: title": "76 characters; Slack's limit for an option's text is 75",
    "playbook v: requester_types[1]": "'Patient' appears twice",
    "playbook v: receiver.email": "is not an email address",
    "playbook v: receiver.subject_template": "names ['nope']",
    "playbook v: categories[0].label": "an option's text is 75",
    "playbook v: tiers": "ascending order",
    "playbook v: fields[0].choices": "101 entries; Slack's limit for options in a select menu",
    "playbook v: fields[1].placeholder": "151 characters; Slack's limit for a placeholder",
    "playbook v: fields[1].max_length": "3001; Slack's limit for a text input's max_length",
    "playbook v: fields": "field id 'note' is used twice",
    "playbook v: fields ": "field id 'tier' is reserved",
    "playbook v: hours.ours": "`close` must be later than `open`",
    "playbook v: hours.theirs.timezone": "is not an IANA time zone",
    "playbook v: hours.theirs.days": "unknown day(s) ['monday']",
    "playbook v: sla.progress_update": "'soon' is not a duration",
    "playbook v: emergency.email": "fill in: the on-call address",
    "playbook v: emergency.criteria": "11 entries; Slack's limit for options in a checkbox group",
    "playbook v: emergency.response_time": "is not a duration",
    "playbook v: inbound.acknowledgement[0]": "named group (?P<ticket>",
}


def test_a_broken_copy_is_named_line_by_line_one_per_planted_mistake(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text(BROKEN)
    code, lines = run("check", str(path))
    assert code == 1
    assert lines[-1] == f"{path}: {len(PLANTED)} problems"
    problems = lines[:-1]
    for where, says in PLANTED.items():
        prefix = f"{path}: {where.strip()}: "
        assert any(line.startswith(prefix) and says in line for line in problems), (where, lines)
    assert len(problems) == len(PLANTED), "\n".join(problems)  # each named once, nothing else
    order = [": title: ", ": receiver.email: ", ": fields: ", ": hours.ours: ", ": inbound."]
    at = [next(i for i, line in enumerate(problems) if part in line) for part in order]
    assert at == sorted(at), problems  # in the file's order


def test_a_toml_syntax_error_names_its_line(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text(GOOD + 'title = "unclosed\n')
    code, lines = run("check", str(path))
    assert code == 1
    assert re.fullmatch(
        rf"{re.escape(str(path))}: line {GOOD.count(chr(10)) + 1}, column \d+: not valid TOML \(.+\)",
        lines[0],
    ), lines
    code, lines = run("check", str(tmp_path / "missing.toml"))
    assert code == 1
    assert lines[0].startswith(f"{tmp_path / 'missing.toml'}: (file): cannot read")


def test_the_command_needs_no_slack_settings(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text(BROKEN)
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}  # no tokens, no .env here
    for file, code in ((str(DEFAULT_PLAYBOOKS_PATH), 0), (str(path), 1)):
        done = subprocess.run(
            [sys.executable, "-m", "slackbot", "playbooks", "check", file],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == code, done.stderr
        assert done.stdout.startswith(f"{file}: "), done.stdout
        assert len(done.stdout.splitlines()) == (3 if code == 0 else len(PLANTED) + 1)


def fill_in(text: str) -> str:
    """Replace each "FILL IN: …, like X" with X, as a new partner would."""
    return re.sub(r'"FILL IN: [^"]*?like ([^"]+)"', r'"\1"', text)


def test_the_template_as_shipped_names_each_fill_in_and_nothing_else():
    code, lines = run("check", str(TEMPLATE))
    assert code == 1
    count = len(re.findall(r'= "FILL IN: ', TEMPLATE.read_text()))
    assert count >= 5
    assert lines[-1] == f"{TEMPLATE}: {count} problems"
    assert all(": fill in: " in line for line in lines[:-1]), lines


def test_the_template_filled_in_passes_check(tmp_path):
    path = tmp_path / "partner.toml"
    path.write_text(fill_in(TEMPLATE.read_text()))
    assert '= "FILL IN' not in path.read_text()
    code, lines = run("check", str(path))
    assert code == 0, lines
    assert lines == [f"{path}: playbook acme-idv: " + lines[0].split("acme-idv: ", 1)[1]]
    playbook = load_playbooks(path).get("acme-idv")
    assert playbook.receiver.email == "support@acme.example.com"


def _keys(model: type[BaseModel]) -> set[str]:
    keys: set[str] = set()
    for name, info in model.model_fields.items():
        keys.add(name)
        for arg in _types(info.annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                keys |= _keys(arg)
    return keys


def _types(annotation: object) -> list[object]:
    args = getattr(annotation, "__args__", ())
    return [annotation, *[t for arg in args for t in _types(arg)]]


def test_the_template_mentions_every_key_a_playbook_accepts():
    text = TEMPLATE.read_text()
    missing = sorted(key for key in _keys(Playbook) if not re.search(rf"\b{key}\b", text))
    assert not missing
