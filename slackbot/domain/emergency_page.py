"""What a page says: its details, the email to the integration address, the Events API bodies.

Pure, like the rest of the emergency rules (`slackbot.domain.emergency`): the use cases build a
`PageDetails` from the stored page at delivery time and these turn it into text and JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from slackbot.domain.cases import case_key
from slackbot.domain.mrkdwn import one_line

#: PagerDuty Events API v2 limits (https://developer.pagerduty.com/docs/send-alert-event).
SUMMARY_LIMIT = 1024
SOURCE_LIMIT = 255


class EventAction(StrEnum):
    """Events API v2 actions."""

    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


@dataclass(frozen=True)
class PageDetails:
    """Everything a page says."""

    case_id: int
    playbook_title: str
    system: str
    what_is_down: str
    since: str
    impact: str
    paged_by: str
    paged_at: datetime
    criteria: tuple[str, ...]
    response_time: str
    thread_url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The case id as people say it: ESC-42."""
        return case_key(self.case_id)


def page_summary(details: PageDetails) -> str:
    """One line for the incident title."""
    return one_line(
        f"[{details.key}] PRODUCTION DOWN: {details.system}: {details.what_is_down}",
        SUMMARY_LIMIT,
    )


def page_subject(details: PageDetails) -> str:
    """The email subject: system and case id, stable so PagerDuty's email rules can dedup."""
    return one_line(f"EMERGENCY {details.key}: production system down: {details.system}", 200)


def page_email_body(details: PageDetails) -> str:
    """The email body: every detail, plain text."""
    lines = [
        "A production system is down and our team is paging on-call.",
        "",
        f"Case: {details.key} ({details.playbook_title})",
        f"Affected production system: {details.system}",
        f"What is down: {details.what_is_down}",
        f"Since: {details.since}",
        f"Impact: {details.impact}",
        f"Paged by: {details.paged_by}",
        f"Paged at: {details.paged_at:%Y-%m-%d %H:%M} UTC",
        f"Expected response: within {details.response_time}",
        "",
        "Criteria confirmed by the person paging:",
        *[f"  [x] {item}" for item in details.criteria],
    ]
    if details.thread_url:
        lines += ["", f"Slack thread: {details.thread_url}"]
    lines += ["", f"Please keep {details.key} in the subject when replying."]
    return "\n".join(lines) + "\n"


def custom_details(details: PageDetails) -> dict[str, Any]:
    """The incident's custom details."""
    data: dict[str, Any] = {
        "case": details.key,
        "playbook": details.playbook_title,
        "system": details.system,
        "what_is_down": details.what_is_down,
        "since": details.since,
        "impact": details.impact,
        "paged_by": details.paged_by,
        "paged_at": details.paged_at.isoformat(),
        "criteria_confirmed": list(details.criteria),
        "expected_response": details.response_time,
    }
    data.update(details.extra)
    return data


def trigger_event(routing_key: str, details: PageDetails, *, dedup_key: str) -> dict[str, Any]:
    """The Events API v2 trigger body."""
    event: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": EventAction.TRIGGER.value,
        "dedup_key": dedup_key,
        "payload": {
            "summary": page_summary(details),
            "source": one_line(details.system, SOURCE_LIMIT) or "production",
            "severity": "critical",
            "timestamp": details.paged_at.isoformat(),
            "custom_details": custom_details(details),
        },
    }
    if details.thread_url:
        event["links"] = [{"href": details.thread_url, "text": f"Slack thread {details.key}"}]
    return event


def follow_up_event(routing_key: str, action: EventAction, *, dedup_key: str) -> dict[str, Any]:
    """An acknowledge or resolve body: no payload (PagerDuty needs none)."""
    if action is EventAction.TRIGGER:
        raise ValueError("a trigger needs details: use trigger_event")
    return {"routing_key": routing_key, "event_action": action.value, "dedup_key": dedup_key}
