"""The hand-off samples: the shipped playbooks, an identity-verification case and its sender."""

from __future__ import annotations

from datetime import UTC, datetime

from slackbot.domain.handoff import CaseFacts, Missing, Sender, ThreadRef
from slackbot.domain.playbooks import DEFAULT_PLAYBOOKS_PATH, Playbook, load_playbooks

NOW = datetime(2026, 11, 18, 17, 0, tzinfo=UTC)


PLAYBOOKS = load_playbooks(DEFAULT_PLAYBOOKS_PATH)


IDV = PLAYBOOKS.get("idv")


TIER3 = PLAYBOOKS.get("tier3")


ASSISTER = PLAYBOOKS.get("assister")


VENDOR = "ehr-support@idv-vendor.example.com"


AGENT_EMAIL = "agent@support.example.com"


SENDER = Sender("U0AGENT01", "Sam Agent", AGENT_EMAIL)


SUBJECT = "AcmeEHR; XQ123; pat@clinic.example.com"


SUMMARY = "Prescriber cannot pass identity verification"


THREAD = ThreadRef(
    subject=SUBJECT,
    message_id="<reply-2@mail.example.com>",
    references=("<handoff-1@mail.example.com>",),
)


MISSING_SENDER_EMAIL = Missing(
    "your email address (the vendor writes back to it)",
    "add an email to your Slack profile; the app needs the users:read.email scope to read it",
)


def idv_fields(*, drop: tuple[str, ...] = (), **overrides) -> dict:
    fields = {
        "agent_phone": "+1 555 555 0101",
        "agent_timezone": "America/Los_Angeles",
        "agent_availability": "Weekdays 9:00-15:00",
        "end_user_first_name": "Pat",
        "end_user_last_name": "Example",
        "end_user_email": "pat@clinic.example.com",
        "end_user_phone": "555-555-0102",
        "preferred_contact": "Phone",
        "preferred_time": "Mornings before 10:00",
        "end_user_timezone": "America/New_York",
        "alternate_contact": "Office manager\n555-555-0104",
        "description": "Fails at the selfie step.\nTried twice.",
        "occurred_at": "2026-11-17T17:20:00+00:00",
        "screenshots": [{"id": "F1", "name": "error.png"}],
        "additional_info": "Uses a shared office computer.",
    }
    fields.update(overrides)
    for key in drop:
        fields.pop(key)
    return fields


def idv_case(*, drop: tuple[str, ...] = (), vendor_ticket=None, **overrides) -> CaseFacts:
    return CaseFacts(
        key="ESC-42",
        summary=SUMMARY,
        internal_ticket="XQ123",
        category_label="Cannot pass identity verification",
        requester_type="Clinician",
        fields=idv_fields(drop=drop, **overrides),
        vendor_ticket=vendor_ticket,
    )


def with_template(playbook: Playbook, template: str) -> Playbook:
    receiver = playbook.receiver.model_copy(update={"subject_template": template})
    return playbook.model_copy(update={"receiver": receiver})


def assert_lines_in_order(text: str, expected: list[str]) -> None:
    """Every expected line appears as a whole line of `text`, in this order."""
    lines = text.splitlines()
    position = 0
    for line in expected:
        assert line in lines[position:], f"{line!r} missing or out of order"
        position = lines.index(line, position) + 1
