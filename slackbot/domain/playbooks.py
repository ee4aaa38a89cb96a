"""Playbooks: one TOML file describing every escalation path the bot knows.

A playbook says where a case's thread opens, who receives the escalation and how, what the
intake form must collect, who may move the case per tier, both sides' business hours, the
service-level durations and the emergency route. Loading validates everything once and collects
every problem (`check_playbooks_file`, what `python -m slackbot playbooks check` prints); the
loader raises with the first, one line naming the file, the playbook, the key and the rule.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from slackbot.domain.durations import parse_duration
from slackbot.domain.playbook_parts import (
    ID_PATTERN,
    BusinessHours,
    Category,
    Contact,
    Emergency,
    FieldKind,
    Hours,
    InboundPatterns,
    IntakeField,
    Processing,
    Receiver,
    Section,
    Sla,
    Strict,
    Tier,
    Window,
)
from slackbot.domain.playbook_rules import (
    COMMON_FIELD_IDS,
    FILL_IN,
    SUBJECT_PLACEHOLDERS,
    document_problems,
    is_fill_in,
    playbook_problems,
)

#: The parts are imported from here by the rest of the code, with the playbook they make up.
__all__ = [
    "COMMON_FIELD_IDS",
    "DEFAULT_PLAYBOOKS_PATH",
    "DEFAULT_REACTIONS",
    "REACTION_ACTIONS",
    "SUBJECT_PLACEHOLDERS",
    "BusinessHours",
    "Category",
    "CheckResult",
    "Contact",
    "Emergency",
    "FieldKind",
    "Hours",
    "InboundPatterns",
    "IntakeField",
    "Playbook",
    "PlaybookError",
    "Playbooks",
    "Problem",
    "Processing",
    "Receiver",
    "Section",
    "Sla",
    "Tier",
    "Window",
    "check_playbooks",
    "check_playbooks_file",
    "check_playbooks_text",
    "load_playbooks",
    "parse_playbooks",
]

DEFAULT_PLAYBOOKS_PATH = Path(__file__).resolve().parent.parent / "playbooks.toml"


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a playbooks file: where (file, playbook, key) and which rule."""

    source: str
    playbook: str | None
    key: str
    rule: str

    def __str__(self) -> str:
        where = f"playbook {self.playbook}: " if self.playbook is not None else ""
        return f"{self.source}: {where}{self.key}: {self.rule}"


class PlaybookError(Exception):
    """The playbooks file is missing or invalid; the message says where and why (one line)."""

    def __init__(self, message: str, problems: tuple[Problem, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


REACTION_ACTIONS = (
    "acknowledge",
    "hand_to_vendor",
    "wait_on_vendor",
    "vendor_contacting_user",
    "escalate_tier",
    "not_vendor_issue",
    "resolve",
    "reopen",
)

DEFAULT_REACTIONS: dict[str, str] = {
    "eyes": "acknowledge",
    "outbox_tray": "hand_to_vendor",
    "hourglass_flowing_sand": "wait_on_vendor",
    "telephone_receiver": "vendor_contacting_user",
    "arrow_up": "escalate_tier",
    "no_entry_sign": "not_vendor_issue",
    "white_check_mark": "resolve",
    "repeat": "reopen",
}


class Playbook(Strict):
    """One escalation path."""

    id: str
    #: Offered by its title in the `/escalate` and `/emergency` pickers: at most 75 characters.
    title: str
    description: str = ""
    channel: str
    receiver: Receiver
    fields: tuple[IntakeField, ...] = ()
    categories: tuple[Category, ...] = (
        Category(id="access", label="Access / sign-in blocked", blocker=True),
        Category(id="other", label="Other"),
    )
    requester_types: tuple[str, ...] = ("End user", "Clinician", "Coordinator", "Assister")
    tiers: tuple[Tier, ...] = (
        Tier(tier=1, name="Tier 1"),
        Tier(tier=2, name="Tier 2"),
        Tier(tier=3, name="Tier 3"),
    )
    #: User group pinged when a reminder is missed twice.
    lead_group: str = ""
    leadership_contacts: tuple[Contact, ...] = ()
    technical_contacts: tuple[Contact, ...] = ()
    hours: BusinessHours = BusinessHours()
    sla: Sla = Sla()
    processing: Processing = Processing()
    emergency: Emergency | None = None
    #: Overrides of the default emoji → action map, e.g. {"rocket" = "hand_to_vendor"}.
    reactions: dict[str, str] = Field(default_factory=dict)
    #: How to read the receiver's replies; without it every reply is a progress update.
    inbound: InboundPatterns | None = None

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not ID_PATTERN.match(value):
            raise ValueError("use lower-case letters, digits, '_' or '-', starting with a letter")
        return value

    @field_validator("reactions")
    @classmethod
    def _check_reactions(cls, value: dict[str, str]) -> dict[str, str]:
        bad = {emoji: action for emoji, action in value.items() if action not in REACTION_ACTIONS}
        if bad:
            raise ValueError(f"unknown action(s) {bad}; use one of {', '.join(REACTION_ACTIONS)}")
        return value

    @model_validator(mode="after")
    def _check_playbook(self) -> Playbook:
        # The same rules `check_playbooks` applies to the raw table (which also sees them when
        # other keys are broken); here they keep a Playbook built in code honest.
        problems = playbook_problems(self.model_dump())
        if problems:
            key, rule = problems[0]
            raise ValueError(f"{key}: {rule}")
        return self

    @property
    def reaction_map(self) -> dict[str, str]:
        """The emoji → action map with this playbook's overrides applied."""
        return {**DEFAULT_REACTIONS, **self.reactions}

    def field(self, field_id: str) -> IntakeField | None:
        """The intake field with this id, if the playbook asks for it."""
        return next((field for field in self.fields if field.id == field_id), None)

    def category(self, category_id: str) -> Category | None:
        """The category with this id."""
        return next((cat for cat in self.categories if cat.id == category_id), None)

    def tier(self, number: int) -> Tier | None:
        """The tier with this number."""
        return next((tier for tier in self.tiers if tier.tier == number), None)

    @property
    def top_tier(self) -> int:
        """The last tier: the end of the line."""
        return self.tiers[-1].tier

    def duration(self, value: str) -> timedelta:
        """Parse one of this playbook's duration strings."""
        return parse_duration(value)


class Playbooks(BaseModel):
    """All playbooks, by id, in file order."""

    model_config = ConfigDict(frozen=True)

    items: tuple[Playbook, ...]
    source: str = ""

    def get(self, playbook_id: str) -> Playbook | None:
        """The playbook with this id, or None."""
        return next((pb for pb in self.items if pb.id == playbook_id), None)

    def __iter__(self):  # type: ignore[override]
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def ids(self) -> list[str]:
        """Playbook ids in file order."""
        return [pb.id for pb in self.items]


def _location(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts[-1:] = [f"{parts[-1]}[{part}]"] if parts else [f"[{part}]"]
        else:
            parts.append(str(part))
    return ".".join(parts)


@dataclass(frozen=True)
class CheckResult:
    """What checking a playbooks file found: the playbooks when it is valid, else every problem."""

    playbooks: Playbooks | None
    problems: tuple[Problem, ...]


def _model_problems(
    entry: Any, name: str, source: str, raw: list[tuple[str, str]]
) -> list[Problem]:
    said = {f"{key}: {rule}" for key, rule in raw}
    unfilled = {key for key, rule in raw if is_fill_in(rule)}
    try:
        Playbook.model_validate(entry)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = _location(error["loc"])
            message = str(error["msg"]).removeprefix("Value error, ")
            if (not key and message in said) or key in unfilled:
                continue  # said already (the model repeats the raw rules), or not filled in yet
            if error["type"] == "extra_forbidden":
                message = "unknown key (playbooks.template.toml lists every key)"
            problems.append(Problem(source, name, key or "(playbook)", message))
        return problems
    return []


def _file_order(entry: Any, key: str) -> int:
    """Where a key's table sits in the playbook (TOML keeps the file's order), to list its
    problems top to bottom."""
    keys = list(entry) if isinstance(entry, dict) else []
    root = re.split(r"[.\[]", key, maxsplit=1)[0]
    return keys.index(root) if root in keys else len(keys)


def check_playbooks(data: dict[str, Any], *, source: str = "<memory>") -> CheckResult:
    """Validate a parsed TOML document, collecting every problem rather than stopping."""
    problems: list[Problem] = []
    raw_list = data.get("playbook")
    if not isinstance(raw_list, list) or not raw_list:
        problems.append(Problem(source, None, "playbook", "no [[playbook]] tables found"))
        raw_list = []
    for key in sorted(set(data) - {"playbook"}):
        problems.append(
            Problem(source, None, key, "unknown top-level key; expected [[playbook]] tables")
        )
    problems += [Problem(source, None, key, rule) for key, rule in document_problems(len(raw_list))]
    ids: list[str] = []
    for index, entry in enumerate(raw_list):
        name = entry.get("id") if isinstance(entry, dict) else None
        name = name if isinstance(name, str) and not name.startswith(FILL_IN) else f"#{index + 1}"
        raw = playbook_problems(entry) if isinstance(entry, dict) else []
        found = [Problem(source, name, key, rule) for key, rule in raw]
        found += _model_problems(entry, name, source, raw)
        problems += sorted(found, key=lambda problem: _file_order(entry, problem.key))
        ids.append(name)
    for dupe in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(Problem(source, dupe, "id", "appears more than once; ids must be unique"))
    if problems:
        return CheckResult(None, tuple(problems))
    items = tuple(Playbook.model_validate(entry) for entry in raw_list)
    return CheckResult(Playbooks(items=items, source=source), ())


_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def check_playbooks_text(text: str, *, source: str) -> CheckResult:
    """Parse and check a playbooks file's text; a TOML error is one problem with its line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        where = _TOML_WHERE.search(message)
        key = f"line {where[1]}, column {where[2]}" if where else "(file)"
        rule = f"not valid TOML ({_TOML_WHERE.sub('', message)})"
        return CheckResult(None, (Problem(source, None, key, rule),))
    return check_playbooks(data, source=source)


def check_playbooks_file(path: str | Path) -> CheckResult:
    """Read and check a playbooks TOML file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        return CheckResult(
            None, (Problem(str(path), None, "(file)", f"cannot read playbooks file ({reason})"),)
        )
    return check_playbooks_text(text, source=str(path))


def _valid(result: CheckResult) -> Playbooks:
    if result.playbooks is not None:
        return result.playbooks
    first, more = result.problems[0], len(result.problems) - 1
    also = f" (and {more} more: python -m slackbot playbooks check {first.source})" if more else ""
    raise PlaybookError(f"{first}{also}", result.problems)


def parse_playbooks(data: dict[str, Any], *, source: str = "<memory>") -> Playbooks:
    """Validate the parsed TOML document; raise PlaybookError naming file, playbook and key."""
    return _valid(check_playbooks(data, source=source))


def load_playbooks(path: str | Path) -> Playbooks:
    """Read and validate a playbooks TOML file."""
    return _valid(check_playbooks_file(path))
