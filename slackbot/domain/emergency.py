"""The emergency route's rules: when to page on-call, how its routes stand, when to remind.

Paging for anything less than a confirmed production outage burns the goodwill of the people on
call; not paging for a real one costs far more. So the rule is explicit: a page goes out only
when every one of the playbook's criteria is confirmed, and a refusal says why and what the
normal route is. Pure: `now` is passed in, nothing here touches Slack, a database or a network.
What the page itself says (its email, the Events API bodies) is `slackbot.domain.emergency_page`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from slackbot.domain.business_hours import is_open
from slackbot.domain.cases import case_key, parse_case_key
from slackbot.domain.durations import format_duration, parse_duration
from slackbot.domain.pii import pii_error
from slackbot.domain.playbooks import Contact, Emergency, Playbook
from slackbot.domain.vocabulary import OutboxState, RouteState


class PageRoute(StrEnum):
    """How on-call is reached."""

    PAGERDUTY = "pagerduty"
    EMAIL = "email"


class PageAction(StrEnum):
    """What a new `/emergency` for a case does."""

    NEW = "new"
    UPDATE = "update"


# --- criteria ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CriteriaCheck:
    """Whether a page may go out; if not, which criteria are missing and what to say."""

    ok: bool
    missing: tuple[str, ...] = ()
    refusal: str = ""


def routes(emergency: Emergency) -> tuple[PageRoute, ...]:
    """The routes a playbook's emergency configures, PagerDuty first."""
    found: list[PageRoute] = []
    if emergency.pagerduty:
        found.append(PageRoute.PAGERDUTY)
    if emergency.email:
        found.append(PageRoute.EMAIL)
    return tuple(found)


def check_criteria(playbook: Playbook, confirmed: Iterable[str]) -> CriteriaCheck:
    """A page goes out only when every criterion of the playbook's emergency is confirmed."""
    emergency = playbook.emergency
    if emergency is None:
        return CriteriaCheck(
            ok=False,
            refusal=(
                f"Nobody was paged: “{playbook.title}” has no emergency route. "
                f"{normal_route(playbook)}"
            ),
        )
    ticked = set(confirmed)
    missing = tuple(item for item in emergency.criteria if item not in ticked)
    if not missing:
        return CriteriaCheck(ok=True)
    return CriteriaCheck(ok=False, missing=missing, refusal=refusal_text(playbook, missing))


def refusal_text(playbook: Playbook, missing: Sequence[str]) -> str:
    """Why nobody was paged, and the normal route instead (fits a modal field error)."""
    if len(missing) == 1:
        why = f"“{missing[0]}” is not confirmed"
    else:
        why = "these are not confirmed: " + "; ".join(f"“{item}”" for item in missing)
    return (
        f"Nobody was paged: {why}. On-call is paged only when every criterion holds. "
        f"{normal_route(playbook)}"
    )


#: Slack shows modal field errors in a line under the field; keep them this short.
FIELD_ERROR_LIMIT = 150


def short_refusal(check: CriteriaCheck) -> str:
    """The refusal as a modal field error: why, and the normal route, in one short line."""
    suffix = ". Use /escalate and the technical escalation contacts (business hours)."
    why = "not every criterion is checked"
    if len(check.missing) == 1:
        named = f"“{check.missing[0]}” is unchecked"
        if len("Nobody was paged: ") + len(named) + len(suffix) <= FIELD_ERROR_LIMIT:
            why = named
    text = f"Nobody was paged: {why}{suffix}"
    return text if len(text) <= FIELD_ERROR_LIMIT else text[: FIELD_ERROR_LIMIT - 1] + "…"


def normal_route(playbook: Playbook) -> str:
    """The normal route: `/escalate`, and the technical contacts during business hours."""
    text = "Use `/escalate` to open a case"
    if playbook.technical_contacts:
        names = ", ".join(contact.name for contact in playbook.technical_contacts)
        text += (
            f", and reach the technical escalation contacts ({names}) during "
            f"{playbook.receiver.name}'s business hours ({playbook.hours.theirs.describe()})"
        )
    return text + "."


# --- partner's business hours -----------------------------------------------------------------
# TODO(integrator): unify with slackbot/domain/business_hours.py (written in parallel) once it
# lands; this is the minimal check the emergency modal needs.


def partner_support_open(playbook: Playbook, now: datetime) -> bool:
    """Whether the partner's normal technical support (playbook.hours.theirs) is open at `now`."""
    return is_open(playbook.hours.theirs, now)


def support_hint(playbook: Playbook, now: datetime) -> str:
    """What the modal says about the normal route right now (never blocks a page)."""
    hours = playbook.hours.theirs.describe()
    if not partner_support_open(playbook, now):
        return (
            f":crescent_moon: {playbook.receiver.name}'s normal technical support is closed "
            f"right now ({hours}): the emergency route is the way to reach them."
        )
    contacts = playbook.technical_contacts
    if contacts:
        who = "; ".join(_contact_line(contact) for contact in contacts)
        suggestion = f" Try the technical escalation contacts first: {who}."
    else:
        suggestion = " Try `/escalate` first."
    return (
        f":sunny: {playbook.receiver.name}'s normal technical support is open right now "
        f"({hours}).{suggestion} A page whose criteria are all confirmed still goes out."
    )


def _contact_line(contact: Contact) -> str:
    title = f", {contact.title}" if contact.title else ""
    return f"{contact.name}{title} ({contact.email})"


# --- dedup window and response watch -----------------------------------------------------------


def decide_page(
    *, last_paged_at: datetime | None, now: datetime, window: timedelta, page_again: bool
) -> PageAction:
    """A second page for the same case within the window updates the first, unless re-paged."""
    if page_again or last_paged_at is None:
        return PageAction.NEW
    return PageAction.UPDATE if now - last_paged_at < window else PageAction.NEW


def page_dedup_key(case_id: int, sequence: int) -> str:
    """PagerDuty's dedup key: the case id; a deliberate re-page gets its own incident."""
    key = case_key(case_id)
    return key if sequence <= 1 else f"{key}/page-{sequence}"


def response_due(paged_at: datetime, emergency: Emergency) -> datetime:
    """When on-call should have answered (the playbook's response time after the page)."""
    return paged_at + emergency_duration(emergency.response_time)


def emergency_duration(value: str) -> timedelta:
    """Parse an emergency duration ("30m")."""
    return parse_duration(value)


def needs_reminder(
    *,
    response_due_at: datetime,
    acknowledged_at: datetime | None,
    reminded_at: datetime | None,
    resolved: bool,
    now: datetime,
) -> bool:
    """Remind the thread once when nobody acknowledged the page within the response time."""
    if acknowledged_at is not None or reminded_at is not None or resolved:
        return False
    return now >= response_due_at


#: What a route shows while its outbox item is in each state.
ROUTE_STATE_OF_ITEM = {
    OutboxState.PENDING: RouteState.QUEUED,
    OutboxState.IN_FLIGHT: RouteState.SENDING,
    OutboxState.DONE: RouteState.SENT,
    OutboxState.FAILED: RouteState.FAILED,
}


def route_state(item_state: str, attempts: int) -> str:
    """A route's state from its outbox item's: a pending item already tried is retrying."""
    if item_state == OutboxState.PENDING and attempts > 0:
        return RouteState.RETRYING
    return ROUTE_STATE_OF_ITEM.get(item_state, item_state)


def all_routes_down(routes: Mapping[str, Any]) -> bool:
    """Whether every route the page has is retrying or failed: nobody has been reached yet."""
    states = [state for route, state in routes.items() if route in tuple(PageRoute)]
    return bool(states) and all(
        state in (RouteState.RETRYING, RouteState.FAILED) for state in states
    )


# --- what the thread says ---------------------------------------------------------------------


def describe_since(value: datetime | date | str | None) -> str:
    """Say "since when" in UTC for a picked timestamp, or pass typed text through."""
    if value is None:
        return "not given"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M} UTC"
    return str(value)


def response_time_text(emergency: Emergency) -> str:
    """ "30m" → "30 minutes"; anything else as the duration formatter says it."""
    delta = emergency_duration(emergency.response_time)
    minutes = int(delta.total_seconds() // 60)
    if delta.total_seconds() % 60 == 0 and minutes < 120:
        return f"{minutes} minutes"
    return format_duration(delta)


# --- the /emergency form ----------------------------------------------------------------------

FORM_LIMITS = {"system": 200, "what_is_down": 3000, "since": 200, "impact": 3000}


@dataclass(frozen=True)
class EmergencyReport:
    """What the person paging told us, validated."""

    system: str
    what_is_down: str
    since: str
    impact: str
    criteria: tuple[str, ...]
    case_id: int | None = None
    page_again: bool = False


@dataclass(frozen=True)
class FormResult:
    """A validated report, or errors by form key (system, what_is_down, …, criteria)."""

    report: EmergencyReport | None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the page may go out."""
        return self.report is not None and not self.errors


def criterion_value(index: int) -> str:
    """The checkbox value that stands for the playbook's criterion number `index`."""
    return f"c{index}"


def parse_emergency_form(playbook: Playbook, raw: dict[str, Any]) -> FormResult:
    """Validate the modal's values; an unconfirmed criterion is an error that says why."""
    errors: dict[str, str] = {}
    text: dict[str, str] = {}
    for key, limit in FORM_LIMITS.items():
        if key in ("what_is_down", "impact"):
            value = str(raw.get(key) or "").strip()
        else:
            value = " ".join(str(raw.get(key) or "").split())
        if not value:
            errors[key] = "Required: the people on call need this."
        elif len(value) > limit:
            errors[key] = f"Keep it under {limit} characters."
        elif error := pii_error(value):
            errors[key] = error
        text[key] = value
    case_id = None
    typed_case = str(raw.get("case") or "").strip()
    if typed_case:
        case_id = parse_case_key(typed_case)
        if case_id is None:
            errors["case"] = "Write the case id like ESC-42, or leave it empty to open a new case."
    criteria = playbook.emergency.criteria if playbook.emergency else ()
    ticked = set(raw.get("criteria") or [])
    confirmed = tuple(item for i, item in enumerate(criteria) if criterion_value(i) in ticked)
    check = check_criteria(playbook, confirmed)
    if not check.ok:
        errors["criteria"] = short_refusal(check) if playbook.emergency else check.refusal
    if errors:
        return FormResult(report=None, errors=errors)
    return FormResult(
        report=EmergencyReport(
            system=text["system"],
            what_is_down=text["what_is_down"],
            since=text["since"],
            impact=text["impact"],
            criteria=confirmed,
            case_id=case_id,
            page_again=bool(raw.get("page_again")),
        )
    )
