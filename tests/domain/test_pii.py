"""The PII/PHI guard: what it catches and what it leaves alone."""

from __future__ import annotations

import pytest

from slackbot.domain.pii import find_pii, pii_error


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("her SSN is 123-45-6789", "social security number"),
        ("ssn: 123456789", "social security number"),
        ("DOB 04/12/1961", "date of birth"),
        ("date of birth: March 3, 1970", "date of birth"),
        ("MRN 00123456", "medical record number"),
        ("member id: ABC123456", "member or policy number"),
        ("card 4111 1111 1111 1111 was declined", "card number"),
        ("patient was diagnosed with asthma", "health information"),
        ("code E11.9 on the chart", "diagnosis code"),
    ],
)
def test_finds_pii_and_phi(text, kind):
    assert kind in [finding.kind for finding in find_pii(text)]


@pytest.mark.parametrize(
    "text",
    [
        "Verification fails at the selfie step with error 42.",
        "Ticket XQ123 opened 2026-11-18; call back weekdays 9-15.",
        "Order 1234 5678 9012 3456 is not a card (fails Luhn).",
        "The user cannot see an appointment scheduled for next week.",
        "",
    ],
)
def test_leaves_ordinary_support_text_alone(text):
    assert find_pii(text) == []


def test_error_says_what_to_remove():
    message = pii_error("SSN 123-45-6789 and DOB 1/2/1960")
    assert message.startswith("Remove the social security number (“123-45-6789”)")
    assert "date of birth" in message
    assert "PII or PHI" in message
    assert pii_error("nothing to see") is None
