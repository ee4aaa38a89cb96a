"""Intake validation against the shipped playbooks, with a fixed `now`."""

from __future__ import annotations

from datetime import UTC, datetime

from slackbot.domain.intake import phone_error, validate_intake
from slackbot.domain.playbooks import DEFAULT_PLAYBOOKS_PATH, load_playbooks

NOW = datetime(2026, 11, 18, 17, 0, tzinfo=UTC)
PLAYBOOKS = load_playbooks(DEFAULT_PLAYBOOKS_PATH)


def idv_raw(**overrides):
    raw = {
        "summary": "Prescriber cannot pass identity verification",
        "internal_ticket": "XQ123",
        "category": "access",
        "tier": "1",
        "requester_type": "Clinician",
        "agent_phone": "+1 555 555 0101",
        "agent_timezone": "America/Los_Angeles",
        "agent_availability": "Weekdays 9-15",
        "end_user_first_name": "Pat",
        "end_user_last_name": "Example",
        "end_user_email": "pat@clinic.example.com",
        "end_user_phone": "555-555-0102, 555-555-0103 ext 4",
        "preferred_contact": "Phone",
        "preferred_time": "Mornings",
        "end_user_timezone": "America/New_York",
        "description": "Fails at the selfie step.",
        "occurred_at": int(NOW.timestamp()) - 3600,
        "screenshots": [{"id": "F1", "name": "error.png", "size": 1000}],
    }
    raw.update(overrides)
    return raw


def test_a_complete_form_is_cleaned():
    result = validate_intake(PLAYBOOKS.get("idv"), idv_raw(), NOW)
    assert result.errors == {}
    assert result.values["tier"] == 1
    assert result.values["occurred_at"] == "2026-11-18T16:00:00+00:00"
    assert result.values["screenshots"] == [{"id": "F1", "name": "error.png", "size": 1000}]
    assert "alternate_contact" not in result.values


def test_each_kind_of_error_lands_on_its_field():
    result = validate_intake(
        PLAYBOOKS.get("idv"),
        idv_raw(
            summary="",
            internal_ticket="XQ 123; DROP",
            category="nope",
            end_user_email="pat@",
            end_user_phone="12",
            agent_timezone="Mars/Olympus",
            preferred_contact="Carrier pigeon",
            occurred_at=int(NOW.timestamp()) + 86400,
            description="x" * 3001,
            agent_availability=None,
        ),
        NOW,
    )
    assert set(result.errors) == {
        "summary",
        "internal_ticket",
        "category",
        "end_user_email",
        "end_user_phone",
        "agent_timezone",
        "preferred_contact",
        "occurred_at",
        "description",
        "agent_availability",
    }
    assert "3000 characters" in result.errors["description"]
    assert "required" in result.errors["agent_availability"]


def test_pii_in_free_text_is_refused_but_contact_fields_are_not_checked():
    result = validate_intake(
        PLAYBOOKS.get("idv"),
        idv_raw(description="Patient DOB 01/02/1960", end_user_first_name="Pat"),
        NOW,
    )
    assert list(result.errors) == ["description"]
    assert "date of birth" in result.errors["description"]


def test_a_few_minutes_of_clock_skew_is_not_the_future():
    result = validate_intake(
        PLAYBOOKS.get("idv"), idv_raw(occurred_at=int(NOW.timestamp()) + 120), NOW
    )
    assert "occurred_at" not in result.errors


def test_phone_numbers():
    assert phone_error("+1 (555) 555-0100") is None
    assert phone_error("555-555-0100 x12") is None
    assert phone_error("555-0100") is None
    assert phone_error("call me") is not None
    assert phone_error("12345") is not None
