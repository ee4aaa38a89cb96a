"""Email composition rules: the Reply-To that lets the vendor's reply reach the mailbox."""

from __future__ import annotations

import pytest

from slackbot.domain.email import EmailRejected, check_header, reply_to_with


def test_reply_to_names_the_agent_and_the_mailbox_when_replies_are_read():
    assert (
        reply_to_with("agent@support.example.com", "escalations@example.com")
        == "agent@support.example.com, escalations@example.com"
    )


def test_reply_to_is_the_agent_alone_without_a_mailbox_and_never_twice_the_same():
    assert reply_to_with("agent@support.example.com", None) == "agent@support.example.com"
    assert reply_to_with("Agent@Example.com", "agent@example.com") == "Agent@Example.com"
    assert reply_to_with(None, "escalations@example.com") == "escalations@example.com"
    assert reply_to_with(None, None) is None


def test_a_line_break_in_a_header_is_refused():
    with pytest.raises(EmailRejected):
        check_header("the subject", "Hello\r\nBcc: someone@example.com")
