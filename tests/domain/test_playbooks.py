"""Playbook loading: the shipped file, and errors that name file, playbook and key."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from slackbot.domain.cases import Priority, derive_priority, parse_case_key
from slackbot.domain.durations import format_duration, parse_duration
from slackbot.domain.mrkdwn import escape
from slackbot.domain.playbooks import DEFAULT_PLAYBOOKS_PATH, PlaybookError, load_playbooks


def test_shipped_playbooks_load():
    playbooks = load_playbooks(DEFAULT_PLAYBOOKS_PATH)
    assert playbooks.ids == ["idv", "tier3", "assister"]
    idv = playbooks.get("idv")
    assert idv.hours.ours.describe() == "05:00–17:00 America/Los_Angeles, Mon–Fri"
    assert idv.hours.theirs.describe() == "24x7x365"
    assert idv.emergency.criteria == ("A production system is down and inoperative",)
    assert idv.reaction_map["eyes"] == "acknowledge"
    assert "example.com" in idv.receiver.email


def test_seasons_switch_processing_windows_and_wrap_over_new_year():
    assister = load_playbooks(DEFAULT_PLAYBOOKS_PATH).get("assister")
    window = assister.processing.window
    assert window(escalation=True, day=date(2026, 12, 31)).describe() == "3–5 business days"
    assert window(escalation=True, day=date(2027, 1, 15)).describe() == "3–5 business days"
    assert window(escalation=True, day=date(2027, 1, 16)).describe() == "2–3 business days"
    assert window(escalation=False, day=date(2026, 10, 31)).describe() == "3–5 business days"
    assert window(escalation=False, day=date(2026, 11, 1)).describe() == "5–7 business days"


def _write(tmp_path, text):
    path = tmp_path / "playbooks.toml"
    path.write_text(text)
    return path


def test_errors_name_file_playbook_and_key(tmp_path):
    path = _write(
        tmp_path,
        """
[[playbook]]
id = "vendor"
title = "Vendor"
channel = "#x"
[playbook.receiver]
name = "Vendor"
email = "not-an-address"
""",
    )
    with pytest.raises(PlaybookError) as error:
        load_playbooks(path)
    message = str(error.value)
    assert str(path) in message
    assert message.startswith(f"{path}: playbook vendor: receiver.email: ")


def test_bad_duration_and_unknown_key(tmp_path):
    base = '[[playbook]]\nid = "v"\ntitle = "V"\nchannel = "#x"\n[playbook.receiver]\nname = "V"\n'
    with pytest.raises(PlaybookError, match=r"sla.progress_update.*number and a unit"):
        load_playbooks(_write(tmp_path, base + '[playbook.sla]\nprogress_update = "soon"\n'))
    with pytest.raises(PlaybookError, match="colour"):
        load_playbooks(_write(tmp_path, base + 'colour = "red"\n'))
    with pytest.raises(PlaybookError, match="not valid TOML"):
        load_playbooks(_write(tmp_path, "[[playbook]\n"))
    with pytest.raises(PlaybookError, match="cannot read"):
        load_playbooks(tmp_path / "missing.toml")


def test_durations():
    assert parse_duration("24h") == timedelta(hours=24)
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("3d") == timedelta(days=3)
    with pytest.raises(ValueError):
        parse_duration("24")
    assert format_duration(timedelta(days=2, hours=3)) == "2d 3h"
    assert format_duration(timedelta(minutes=45)) == "45m"


def test_priority_case_keys_and_escaping():
    idv = load_playbooks(DEFAULT_PLAYBOOKS_PATH).get("idv")
    assert derive_priority(idv, "access") is Priority.HIGH
    assert derive_priority(idv, "other") is Priority.NORMAL
    assert parse_case_key("esc-42") == 42
    assert parse_case_key("ESC-4x") is None
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"


INBOUND_BASE = (
    '[[playbook]]\nid = "v"\ntitle = "V"\nchannel = "#x"\n[playbook.receiver]\nname = "V"\n'
    "[playbook.inbound]\n"
)


@pytest.mark.parametrize(
    ("table", "key", "says"),
    [
        ("resolved = ['(unclosed']", "inbound.resolved[0]", "not a valid regular expression"),
        (
            "needs_info = ['fine', '[z-a]']",
            "inbound.needs_info[1]",
            "not a valid regular expression",
        ),
        (
            r"acknowledgement = ['ticket (\d+)']",
            "inbound.acknowledgement[0]",
            "named group (?P<ticket>",
        ),
        ("acknowledged = ['x']", "inbound.acknowledged", "unknown key"),
    ],
)
def test_bad_inbound_patterns_name_file_playbook_and_key(tmp_path, table, key, says):
    path = _write(tmp_path, INBOUND_BASE + table + "\n")
    with pytest.raises(PlaybookError) as error:
        load_playbooks(path)
    message = str(error.value)
    assert message.startswith(f"{path}: playbook v: {key}: ")
    assert says in message
    assert "\n" not in message


def test_inbound_patterns_are_optional_and_shipped_for_idv(tmp_path):
    plain = load_playbooks(_write(tmp_path, INBOUND_BASE.replace("[playbook.inbound]\n", "")))
    assert plain.get("v").inbound is None
    idv = load_playbooks(DEFAULT_PLAYBOOKS_PATH).get("idv").inbound
    assert idv.acknowledgement and idv.needs_info and idv.resolved
    assert idv.not_our_issue and idv.unreachable
