"""Every Slack limit a playbook can reach: refused one unit over it, accepted at it.

The refusal is one line naming the file, the playbook, the key and the limit; the playbook at
every limit at once renders its forms uncut, and Slack's own SDK models accept them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk.models.views import View

from slackbot.domain import slack_limits as limits
from slackbot.domain.playbook_rules import MAX_FIELDS
from slackbot.domain.playbooks import PlaybookError, load_playbooks, parse_playbooks
from slackbot.render.blocks import build_intake_modal, build_playbook_picker
from slackbot.render.email_blocks import build_edit_modal
from slackbot.render.emergency_blocks import build_emergency_modal
from storage.models import Case, EmailDraft


def base() -> dict[str, Any]:
    """A small valid playbook with one field of each kind these limits reach."""
    return {
        "id": "vendor",
        "title": "Vendor",
        "description": "",
        "channel": "#vendor",
        "receiver": {"name": "Vendor support", "email": "support@vendor.example.com"},
        "fields": [
            {"id": "pick", "kind": "choice", "label": "Pick one", "choices": ["A", "B"]},
            {"id": "note", "kind": "text", "label": "Note", "placeholder": "Say it"},
        ],
        "emergency": {"email": "oncall@vendor.example.com"},
    }


def text(n: int) -> str:
    """n characters, distinct per length."""
    return ("x" * n)[:n]


def many(count: int, width: int = 5) -> list[str]:
    """`count` distinct entries."""
    return [f"{i:0{width}d}" for i in range(count)]


def _set(path: str, value: Callable[[int], Any]) -> Callable[[dict[str, Any], int], None]:
    """Set the dotted/indexed key `path` of a playbook dict to value(n)."""

    def apply(playbook: dict[str, Any], n: int) -> None:
        *parents, last = path.split(".")
        node: Any = playbook
        for part in parents:
            name, _, index = part.partition("[")
            node = node[name] if not index else node[name][int(index.rstrip("]"))]
        name, _, index = last.partition("[")
        if index:
            node[name][int(index.rstrip("]"))] = value(n)
        else:
            node[name] = value(n)

    return apply


def _fields(n: int) -> list[dict[str, Any]]:
    return [{"id": f"f{i}", "kind": "text", "label": f"Field {i}"} for i in range(n)]


def _tiers(n: int) -> list[dict[str, Any]]:
    return [{"tier": 1, "name": text(n)}]


def _categories(n: int) -> list[dict[str, Any]]:
    return [{"id": f"c{i}", "label": f"Category {i}"} for i in range(n)]


#: (key in the refusal, limit, how to set the playbook at n, what the line names)
LIMITS = [
    ("title", limits.OPTION_TEXT, _set("title", text), "an option's text is 75"),
    (
        "description",
        limits.SECTION_TEXT - len("*Vendor*\n"),
        _set("description", text),
        "a section's text is 3000",
    ),
    ("fields", MAX_FIELDS, _set("fields", _fields), "blocks in a modal (100"),
    (
        "fields[1].placeholder",
        limits.PLACEHOLDER,
        _set("fields[1].placeholder", text),
        "a placeholder is 150",
    ),
    (
        "fields[1].max_length",
        limits.PLAIN_TEXT_INPUT_MAX,
        _set("fields[1].max_length", int),
        "max_length is 3000",
    ),
    (
        "fields[0].choices",
        limits.SELECT_OPTIONS,
        _set("fields[0].choices", many),
        "options in a select menu is 100",
    ),
    (
        "fields[0].choices[0]",
        limits.OPTION_TEXT,
        _set("fields[0].choices[0]", text),
        "an option's text is 75",
    ),
    (
        "requester_types",
        limits.SELECT_OPTIONS,
        _set("requester_types", many),
        "options in a select menu is 100",
    ),
    (
        "requester_types[0]",
        limits.OPTION_TEXT,
        _set("requester_types", lambda n: [text(n)]),
        "an option's text is 75",
    ),
    (
        "categories",
        limits.SELECT_OPTIONS,
        _set("categories", _categories),
        "options in a select menu is 100",
    ),
    (
        "categories[0].label",
        limits.OPTION_TEXT,
        _set("categories", lambda n: [{"id": "c", "label": text(n)}]),
        "an option's text is 75",
    ),
    # The tier menu shows "1: <name>": three characters go to the number.
    ("tiers[0].name", limits.OPTION_TEXT - 3, _set("tiers", _tiers), "an option's text"),
    (
        "emergency.criteria",
        limits.CHECKBOX_OPTIONS,
        _set("emergency.criteria", many),
        "options in a checkbox group is 10",
    ),
    (
        "emergency.criteria[0]",
        limits.OPTION_TEXT,
        _set("emergency.criteria", lambda n: [text(n)]),
        "a checkbox option's text is 75",
    ),
    # Our own, stricter than Slack's 2000: labels and hints are cut shorter on the hand-off form.
    ("fields[1].label", 48, _set("fields[1].label", text), "at most 48 characters"),
    ("fields[1].help", 150, _set("fields[1].help", text), "at most 150 characters"),
]


def _doc(playbook: dict[str, Any]) -> dict[str, Any]:
    return {"playbook": [playbook]}


@pytest.mark.parametrize(("key", "limit", "apply", "names"), LIMITS, ids=[x[0] for x in LIMITS])
def test_the_loader_accepts_the_limit_and_refuses_one_over(tmp_path, key, limit, apply, names):
    at = base()
    apply(at, limit)
    assert parse_playbooks(_doc(at)).get("vendor") is not None
    over = base()
    apply(over, limit + 1)
    with pytest.raises(PlaybookError) as error:
        parse_playbooks(_doc(over), source="playbooks.toml")
    message = str(error.value)
    assert message.startswith(f"playbooks.toml: playbook vendor: {key}: "), message
    assert names in message
    assert "\n" not in message


@pytest.mark.parametrize("key", ["requester_types", "categories"])
def test_an_empty_menu_is_refused(key):
    playbook = {**base(), key: []}
    with pytest.raises(PlaybookError, match=rf"^<memory>: playbook vendor: {key}: an empty menu"):
        parse_playbooks(_doc(playbook))


def test_a_file_with_more_playbooks_than_the_picker_holds_is_refused():
    def doc(count: int) -> dict[str, Any]:
        return {"playbook": [{**base(), "id": f"p{i}"} for i in range(count)]}

    assert len(parse_playbooks(doc(limits.SELECT_OPTIONS))) == limits.SELECT_OPTIONS
    with pytest.raises(PlaybookError, match=r"^<memory>: playbook: 101 playbooks; .* is 100"):
        parse_playbooks(doc(limits.SELECT_OPTIONS + 1))


def test_the_loader_reads_the_file_and_names_it(tmp_path):
    path = tmp_path / "partners.toml"
    path.write_text(
        '[[playbook]]\nid = "v"\ntitle = "V"\nchannel = "#v"\n'
        '[playbook.receiver]\nname = "V"\n'
        f'[playbook.emergency]\ncriteria = ["{text(76)}"]\n'
    )
    with pytest.raises(PlaybookError) as error:
        load_playbooks(path)
    assert str(error.value) == (
        f"{path}: playbook v: emergency.criteria[0]: 76 characters; Slack's limit for a "
        "checkbox option's text is 75"
    )


def _at_every_limit() -> dict[str, Any]:
    playbook = base()
    playbook["title"] = text(limits.OPTION_TEXT)
    playbook["fields"][0]["choices"] = [f"{i:02d}" + text(73) for i in range(100)]
    playbook["fields"][1]["placeholder"] = text(limits.PLACEHOLDER)
    playbook["requester_types"] = [f"{i:02d}" + text(73) for i in range(100)]
    playbook["categories"] = [{"id": f"c{i}", "label": text(75)} for i in range(100)]
    playbook["tiers"] = [{"tier": 1, "name": text(72)}]
    playbook["emergency"]["criteria"] = [f"{i}" + text(74) for i in range(10)]
    playbook["fields"] += _fields(MAX_FIELDS - 2)
    return playbook


def _texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["text"]] if node.get("type") == "plain_text" else []
        return found + [t for value in node.values() for t in _texts(value)]
    if isinstance(node, list):
        return [t for value in node for t in _texts(value)]
    return []


def test_a_playbook_at_every_limit_renders_uncut_and_slack_sdk_accepts_it():
    raw = _at_every_limit()
    playbook = parse_playbooks(_doc(copy.deepcopy(raw))).get("vendor")
    intake = build_intake_modal(playbook, origin_channel="C0CHANNEL")
    emergency = build_emergency_modal(
        [playbook], now=datetime(2026, 3, 2, 12, tzinfo=UTC), origin_channel="C0CHANNEL"
    )
    picker = build_playbook_picker(parse_playbooks(_doc(raw)), origin_channel="C0CHANNEL")
    now = datetime(2026, 3, 2, 12, tzinfo=UTC)
    case = Case(id=1000, playbook_id="vendor", summary="Sign-in blocked", status="open", tier=1,
                priority="normal", category="c0", requester_type="00", internal_ticket="XQ1",
                fields={}, opened_by="U0AGENT01", opened_at=now, updated_at=now)  # fmt: skip
    draft = EmailDraft(id=7, case_id=1000, purpose="handoff", subject="s", body="b")
    edit = build_edit_modal(draft, case, playbook)
    assert len(intake["blocks"]) == limits.VIEW_BLOCKS  # nothing dropped
    assert len(edit["blocks"]) <= limits.VIEW_BLOCKS
    shown = set(_texts(intake)) | set(_texts(emergency)) | set(_texts(picker))
    expected = {
        raw["title"],
        raw["fields"][1]["placeholder"],
        *raw["fields"][0]["choices"],
        *raw["requester_types"],
        *(cat["label"] for cat in raw["categories"]),
        "1: " + raw["tiers"][0]["name"],
        *raw["emergency"]["criteria"],
    }
    assert expected <= shown, sorted(expected - shown)[:3]
    for view in (intake, emergency, picker, edit):
        View(**view).to_dict()  # runs slack_sdk's validators on every nested object
