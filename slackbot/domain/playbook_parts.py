"""The parts a playbook is made of, each validated on load: the intake form's fields, the
receiving side and its contacts, both sides' business hours, the service levels and processing
windows, the emergency route, the tiers and the patterns for reading the receiver's replies.

`slackbot.domain.playbooks` puts them together (and is where the rest of the code imports them).
"""

from __future__ import annotations

import re
import string
from datetime import date, time
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from slackbot.domain.durations import parse_duration

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


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


class Strict(BaseModel):
    """Every part refuses unknown keys (a typo is an error, not a silent default) and is frozen."""

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


class IntakeField(Strict):
    """One question of the intake modal."""

    id: str
    kind: FieldKind
    label: str = Field(max_length=48)
    #: How the hand-off email names it, when the form's wording speaks to our agent ("Your …").
    email_label: str = Field(default="", max_length=60)
    help: str = Field(default="", max_length=150)
    #: Slack limits (placeholder 150, text input max_length 3000, option text 75, 100 options)
    #: are checked with the rest of the file in `playbook_rules`.
    placeholder: str = ""
    required: bool = False
    max_length: int = Field(default=0, ge=0)
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
        if not ID_PATTERN.match(value):
            raise ValueError("use lower-case letters, digits, '_' or '-', starting with a letter")
        return value

    @model_validator(mode="after")
    def _check_choices(self) -> IntakeField:
        if self.kind is FieldKind.CHOICE and not self.choices:
            raise ValueError(f"field {self.id!r} is a choice and needs `choices`")
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


class Category(Strict):
    """A case category; blockers (access, enrollment) are worked first."""

    id: str
    #: Shown as a menu option: at most 75 characters (checked in `playbook_rules`).
    label: str
    blocker: bool = False


class Contact(Strict):
    """A named escalation contact at the receiving party."""

    name: str
    title: str = ""
    email: Email


class Receiver(Strict):
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


class Hours(Strict):
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


class BusinessHours(Strict):
    """Our side's and the receiving side's hours."""

    ours: Hours = Hours()
    theirs: Hours = Hours(always=True)


class Sla(Strict):
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


class Window(Strict):
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


class Season(Strict):
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


class Processing(Strict):
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


class Emergency(Strict):
    """The after-hours emergency route: who is paged, how, and only when."""

    email: Email | None = None
    pagerduty: bool = False
    criteria: tuple[str, ...] = ("A production system is down and inoperative",)
    response_time: Duration = "30m"
    dedup_window: Duration = "4h"
    #: The on-call user group ("S0123ABC") whose members may acknowledge a page or page again,
    #: besides the person who paged; without one, the case's current tier's responders may.
    responders: str | None = Field(default=None, pattern=r"^S[0-9A-Z]+$")

    @field_validator("criteria")
    @classmethod
    def _check_criteria(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("an emergency route needs at least one criterion")
        return value


class Tier(Strict):
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


class InboundPatterns(Strict):
    """How to read the receiver's emails: regular expressions per kind, matched
    case-insensitively against the subject and the new text of a reply (issue 14)."""

    #: "We received your request, ticket 12345": each names the number in (?P<ticket>...).
    acknowledgement: tuple[TicketRegex, ...] = ()
    needs_info: tuple[Regex, ...] = ()
    resolved: tuple[Regex, ...] = ()
    not_our_issue: tuple[Regex, ...] = ()
    unreachable: tuple[Regex, ...] = ()
