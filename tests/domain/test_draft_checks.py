"""What makes a composed draft unsafe to send: pure checks on drafts from the shipped playbooks."""

from __future__ import annotations

from dataclasses import replace

import pytest

from slackbot.domain.draft_checks import email_problems
from slackbot.domain.handoff import compose_handoff
from tests.support.handoff import IDV, SENDER, idv_case

# --- what is unsafe to send ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "problems"),
    [
        (
            {"subject": "AcmeEHR\r\nBcc: someone@example.com"},
            ["the subject contains a line break, which an email header can't carry"],
        ),
        ({"to": ("not-an-address",)}, ["“not-an-address” is not a valid email address"]),
        (
            {"cc": ("agent@example.com\nBcc: someone@example.com",)},
            ["“agent@example.com\nBcc: someone@example.com” is not a valid email address"],
        ),
        ({"reply_to": "agent@"}, ["“agent@” is not a valid email address"]),
        ({"text": "  \n"}, ["the body is empty"]),
        ({"subject": "   "}, ["the subject is empty"]),
        ({"subject": "x" * 251}, ["the subject is longer than 250 characters"]),
        (
            {"in_reply_to": "<a@mail.example.com>\r\nBcc: someone@example.com"},
            ["a threading header contains a line break"],
        ),
        (
            {"references": ("<a@mail.example.com>\nBcc: someone@example.com",)},
            ["a threading header contains a line break"],
        ),
    ],
)
def test_email_problems(change, problems):
    draft = replace(compose_handoff(IDV, idv_case(), SENDER), **change)
    assert email_problems(draft) == problems


def test_a_subject_of_exactly_the_limit_is_fine():
    draft = replace(compose_handoff(IDV, idv_case(), SENDER), subject="x" * 250)
    assert email_problems(draft) == []


def test_line_breaks_in_a_value_never_reach_the_subject():
    case = idv_case(end_user_email="pat@clinic.example.com\r\nBcc: someone@example.com")
    draft = compose_handoff(IDV, case, SENDER)
    assert draft.subject == "AcmeEHR; XQ123; pat@clinic.example.com Bcc: someone@example.com"
    assert email_problems(draft) == []
