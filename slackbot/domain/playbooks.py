"""Playbooks: one TOML file describing every escalation path the bot knows.

A playbook says where a case's thread opens, who receives the escalation and how, what the
intake form must collect, who may move the case per tier, both sides' business hours, the
service-level durations and the emergency route. Loading validates everything once; an error
names the file, the playbook and the key.
"""

from __future__ import annotations

import string
import tomllib
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

#: The parts are imported from here by the rest of the code, with the playbook they make up.
__all__ = [
    "COMMON_FIELD_IDS",
    "DEFAULT_PLAYBOOKS_PATH",
    "DEFAULT_REACTIONS",
    "REACTION_ACTIONS",
    "SUBJECT_PLACEHOLDERS",
    "BusinessHours",
    "Category",
    "Contact",
    "Emergency",
    "FieldKind",
    "Hours",
    "InboundPatterns",
    "IntakeField",
    "Playbook",
    "PlaybookError",
    "Playbooks",
    "Processing",
    "Receiver",
    "Section",
    "Sla",
    "Tier",
    "Window",
    "load_playbooks",
    "parse_playbooks",
]

DEFAULT_PLAYBOOKS_PATH = Path(__file__).resolve().parent.parent / "playbooks.toml"


class PlaybookError(Exception):
    """The playbooks file is missing or invalid; the message says where and why."""


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
    title: str = Field(max_length=75)
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
    #: Team channels whose messages may become cases with `intake_reaction` (issue 13), as
    #: `#name` or channel id; "Escalate this message" works in any channel.
    intake_channels: tuple[str, ...] = ()
    #: The emoji that offers to escalate a message in an intake channel.
    intake_reaction: str = "ticket"

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
        ids = [field.id for field in self.fields]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"field ids must be unique, repeated: {dupes}")
        reserved = set(ids) & set(COMMON_FIELD_IDS)
        if reserved:
            raise ValueError(f"field ids {sorted(reserved)} are reserved for the common fields")
        tiers = [tier.tier for tier in self.tiers]
        if tiers != sorted(set(tiers)) or not tiers:
            raise ValueError("`tiers` must list distinct tiers in ascending order")
        known = set(ids) | set(SUBJECT_PLACEHOLDERS)
        unknown = sorted(
            name
            for _, name, _, _ in string.Formatter().parse(self.receiver.subject_template)
            if name is not None and name not in known
        )
        if unknown:
            raise ValueError(
                f"receiver.subject_template names {unknown}, which are neither field ids nor "
                f"{', '.join(SUBJECT_PLACEHOLDERS)}"
            )
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


#: Fields every intake form has, whatever the playbook; playbook fields may not reuse these ids.
COMMON_FIELD_IDS = ("summary", "internal_ticket", "category", "tier", "requester_type")
#: What a subject template may name besides the playbook's own field ids.
SUBJECT_PLACEHOLDERS = ("case_id", "summary", "internal_ticket", "vendor_ticket")


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


def parse_playbooks(data: dict[str, Any], *, source: str = "<memory>") -> Playbooks:
    """Validate the parsed TOML document; raise PlaybookError naming file, playbook and key."""
    raw = data.get("playbook")
    if not isinstance(raw, list) or not raw:
        raise PlaybookError(f"{source}: no [[playbook]] tables found")
    unknown = sorted(set(data) - {"playbook"})
    if unknown:
        raise PlaybookError(f"{source}: unknown top-level key(s) {unknown}; expected [[playbook]]")
    items: list[Playbook] = []
    for index, entry in enumerate(raw):
        name = entry.get("id", f"#{index + 1}") if isinstance(entry, dict) else f"#{index + 1}"
        try:
            items.append(Playbook.model_validate(entry))
        except ValidationError as exc:
            first = exc.errors()[0]
            key = _location(first["loc"]) or "(playbook)"
            message = first["msg"].removeprefix("Value error, ")
            more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
            raise PlaybookError(
                f"{source}: playbook {name!r}, key {key!r}: {message}{more}"
            ) from None
    ids = [pb.id for pb in items]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise PlaybookError(f"{source}: playbook id(s) {dupes} appear more than once")
    return Playbooks(items=tuple(items), source=source)


def load_playbooks(path: str | Path) -> Playbooks:
    """Read and validate a playbooks TOML file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlaybookError(f"{path}: cannot read playbooks file ({exc.strerror})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlaybookError(f"{path}: not valid TOML ({exc})") from None
    return parse_playbooks(data, source=str(path))
