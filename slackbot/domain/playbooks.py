"""Playbooks: one TOML file describing every escalation path the bot knows.

A playbook says where a case's thread opens, who receives the escalation and how, what the
intake form must collect, who may move the case per tier, both sides' business hours, the
service-level durations and the emergency route. Loading validates everything once; an error
names the file, the playbook and the key.
"""

from __future__ import annotations

import re
import string
import tomllib
from datetime import date, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from slackbot.domain.durations import parse_duration

DEFAULT_PLAYBOOKS_PATH = Path(__file__).resolve().parent.parent / "playbooks.toml"

_ID = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class PlaybookError(Exception):
    """The playbooks file is missing or invalid; the message says where and why."""


def _duration(value: str) -> str:
    parse_duration(value)
    return value


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an email address")
    return value


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f'{value!r} is not an IANA time zone like "America/Los_Angeles"') from exc
    return value


Duration = Annotated[str, AfterValidator(_duration)]
Email = Annotated[str, AfterValidator(_email)]
TimeZoneName = Annotated[str, AfterValidator(_timezone)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldKind(StrEnum):
    """The catalogue of intake field kinds a playbook may ask for."""

    TEXT = "text"
    MULTILINE = "multiline"
    EMAIL = "email"
    PHONE = "phone"
    TIMEZONE = "timezone"
    DATETIME = "datetime"
    CHOICE = "choice"
    PEOPLE = "people"
    FILE = "file"


class Section(StrEnum):
    """Where a field goes in the hand-off email (the vendor's order), or `internal`: not sent."""

    SENDER = "sender"
    END_USER = "end_user"
    ALTERNATE = "alternate"
    PROBLEM = "problem"
    ATTACHMENTS = "attachments"
    ADDITIONAL = "additional"
    INTERNAL = "internal"


class IntakeField(_Strict):
    """One question of the intake modal."""

    id: str
    kind: FieldKind
    label: str = Field(max_length=48)
    #: How the hand-off email names it, when the form's wording speaks to our agent ("Your …").
    email_label: str = Field(default="", max_length=60)
    help: str = Field(default="", max_length=150)
    placeholder: str = Field(default="", max_length=150)
    required: bool = False
    max_length: int = Field(default=0, ge=0, le=3000)
    choices: tuple[str, ...] = ()
    #: Contact details (names, emails, phone numbers) travel only to the receiving party:
    #: they are never shown on the root message or in list views.
    contact: bool = False
    #: Free text is checked for PII/PHI unless the field is itself a contact detail.
    pii_check: bool | None = None
    #: Where the hand-off email puts it; by default files are attachments, people stay internal
    #: (Slack ids mean nothing to a vendor) and everything else describes the problem.
    section: Section | None = None

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("use lower-case letters, digits, '_' or '-', starting with a letter")
        return value

    @model_validator(mode="after")
    def _check_choices(self) -> IntakeField:
        if self.kind is FieldKind.CHOICE and not self.choices:
            raise ValueError(f"field {self.id!r} is a choice and needs `choices`")
        if len(self.choices) > 100:
            raise ValueError(f"field {self.id!r} has more than 100 choices")
        return self

    @property
    def limit(self) -> int:
        """The longest value accepted, by kind when the playbook sets none."""
        if self.max_length:
            return self.max_length
        return {FieldKind.MULTILINE: 3000, FieldKind.EMAIL: 254, FieldKind.PHONE: 40}.get(
            self.kind, 200
        )

    @property
    def email_section(self) -> Section:
        """The hand-off email section this field belongs to."""
        if self.section is not None:
            return self.section
        if self.kind is FieldKind.FILE:
            return Section.ATTACHMENTS
        if self.kind is FieldKind.PEOPLE:
            return Section.INTERNAL
        return Section.PROBLEM

    @property
    def checks_pii(self) -> bool:
        """Whether free text in this field goes through the PII/PHI guard."""
        if self.pii_check is not None:
            return self.pii_check
        return self.kind in (FieldKind.TEXT, FieldKind.MULTILINE) and not self.contact


class Category(_Strict):
    """A case category; blockers (access, enrollment) are worked first."""

    id: str
    label: str = Field(max_length=75)
    blocker: bool = False


class Contact(_Strict):
    """A named escalation contact at the receiving party."""

    name: str
    title: str = ""
    email: Email


class Receiver(_Strict):
    """The party that receives the escalation: a vendor, a partner or an internal tier."""

    name: str
    kind: str = Field(default="vendor", pattern="^(vendor|partner|internal)$")
    email: Email | None = None
    subject_template: str = "{case_id}: {summary}"
    phone: str = ""
    #: What the receiver calls the person we escalate for, in the email ("Prescriber").
    end_user_label: str = Field(default="End user", max_length=40)

    @field_validator("subject_template")
    @classmethod
    def _check_subject(cls, value: str) -> str:
        if any(ch in value for ch in "\r\n"):
            raise ValueError("the subject template must be one line")
        try:
            list(string.Formatter().parse(value))
        except ValueError as exc:
            raise ValueError(
                f"not a valid template ({exc}); use {{field_id}} placeholders"
            ) from None
        return value


class Hours(_Strict):
    """Business hours of one side: a time zone, days and opening hours, or round the clock."""

    timezone: TimeZoneName = "UTC"
    always: bool = False
    days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    open: time = time(9, 0)
    close: time = time(17, 0)
    holidays: tuple[date, ...] = ()

    @field_validator("days")
    @classmethod
    def _check_days(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [day for day in value if day not in _WEEKDAYS]
        if bad:
            raise ValueError(f"unknown day(s) {bad}; use {', '.join(_WEEKDAYS)}")
        return value

    @model_validator(mode="after")
    def _check_span(self) -> Hours:
        if not self.always and self.close <= self.open:
            raise ValueError("`close` must be later than `open`")
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The time zone as a ZoneInfo."""
        return ZoneInfo(self.timezone)

    def describe(self) -> str:
        """Say the hours the way people do: "5:00–17:00 America/Los_Angeles, Mon–Fri"."""
        if self.always:
            return "24x7x365"
        days = ", ".join(day.capitalize() for day in self.days)
        if tuple(self.days) == ("mon", "tue", "wed", "thu", "fri"):
            days = "Mon–Fri"
        return f"{self.open:%H:%M}–{self.close:%H:%M} {self.timezone}, {days}"


class BusinessHours(_Strict):
    """Our side's and the receiving side's hours."""

    ours: Hours = Hours()
    theirs: Hours = Hours(always=True)


class Sla(_Strict):
    """Service-level durations promised by the receiving party (and to our requester)."""

    vendor_ack: Duration = "4h"
    progress_update: Duration = "24h"
    contact_attempts: tuple[Duration, ...] = ("0h", "24h", "48h")
    unreachable_close: Duration = "72h"
    callback: Duration = "1d"
    #: Count these durations in our business time instead of calendar time.
    business_time: bool = False
    #: Unanswered reminders repeat after this long; the second miss goes to the leads.
    reminder_repeat: Duration = "4h"


class Window(_Strict):
    """A processing-time window, in days: "estimated 2–3 business days"."""

    min_days: int = Field(ge=0)
    max_days: int = Field(ge=0)
    business_days: bool = True

    @model_validator(mode="after")
    def _check_order(self) -> Window:
        if self.max_days < self.min_days:
            raise ValueError("`max_days` must not be less than `min_days`")
        return self

    def describe(self) -> str:
        """Say the window: "2–3 business days"."""
        unit = "business days" if self.business_days else "days"
        if self.min_days == self.max_days:
            return f"{self.max_days} {unit}"
        return f"{self.min_days}–{self.max_days} {unit}"


_MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")


class Season(_Strict):
    """A recurring season (e.g. open enrollment) with its own windows; MM-DD dates, inclusive."""

    name: str
    start: str
    end: str
    general: Window
    escalation: Window

    @field_validator("start", "end")
    @classmethod
    def _check_month_day(cls, value: str) -> str:
        if not _MONTH_DAY.match(value):
            raise ValueError(f'{value!r} is not a month-day like "11-01"')
        return value

    def contains(self, day: date) -> bool:
        """Whether `day` falls in this season (seasons may wrap over the new year)."""
        key = f"{day.month:02d}-{day.day:02d}"
        if self.start <= self.end:
            return self.start <= key <= self.end
        return key >= self.start or key <= self.end


class Processing(_Strict):
    """Processing-time windows for general tickets and escalations, optionally by season."""

    general: Window | None = None
    escalation: Window | None = None
    seasons: tuple[Season, ...] = ()

    def window(self, *, escalation: bool, day: date) -> Window | None:
        """The window that applies to a ticket opened on `day`."""
        for season in self.seasons:
            if season.contains(day):
                return season.escalation if escalation else season.general
        return self.escalation if escalation else self.general


class Emergency(_Strict):
    """The after-hours emergency route: who is paged, how, and only when."""

    email: Email | None = None
    pagerduty: bool = False
    criteria: tuple[str, ...] = ("A production system is down and inoperative",)
    response_time: Duration = "30m"
    dedup_window: Duration = "4h"

    @field_validator("criteria")
    @classmethod
    def _check_criteria(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("an emergency route needs at least one criterion")
        return value


class Tier(_Strict):
    """Who may act on a case at one tier: a Slack user group, or the channel's members."""

    tier: int = Field(ge=1, le=3)
    name: str
    #: A user group id like "S0123ABC", or "channel" for everyone in the playbook's channel.
    responders: str = "channel"


def _regex(value: str) -> str:
    try:
        re.compile(value, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"{value!r} is not a valid regular expression ({exc})") from None
    return value


def _ticket_regex(value: str) -> str:
    if "ticket" not in re.compile(_regex(value), re.IGNORECASE).groupindex:
        raise ValueError(
            f"{value!r} needs a named group (?P<ticket>...) around the vendor's ticket number"
        )
    return value


Regex = Annotated[str, AfterValidator(_regex)]
TicketRegex = Annotated[str, AfterValidator(_ticket_regex)]


class InboundPatterns(_Strict):
    """How to read the receiver's emails: regular expressions per kind, matched
    case-insensitively against the subject and the new text of a reply (issue 14)."""

    #: "We received your request, ticket 12345": each names the number in (?P<ticket>...).
    acknowledgement: tuple[TicketRegex, ...] = ()
    needs_info: tuple[Regex, ...] = ()
    resolved: tuple[Regex, ...] = ()
    not_our_issue: tuple[Regex, ...] = ()
    unreachable: tuple[Regex, ...] = ()


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


class Playbook(_Strict):
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

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not _ID.match(value):
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
