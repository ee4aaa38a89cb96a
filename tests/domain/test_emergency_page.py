"""What a page says and the Events API bodies, with no fakes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from slackbot.domain import emergency_page as ep

DOWN = "A production system is down and inoperative"
NOW = datetime(2026, 11, 19, 6, 0, tzinfo=UTC)


def details(**overrides):
    values = dict(
        case_id=42,
        playbook_title="Identity verification vendor",
        system="Identity verification API",
        what_is_down="Every verification returns 503",
        since="2026-11-19 05:40 UTC",
        impact="No prescriber can sign controlled-substance prescriptions",
        paged_by="agent (U0AGENT01)",
        paged_at=NOW,
        criteria=(DOWN,),
        response_time="30 minutes",
        thread_url="https://example.slack.com/archives/C1/p1",
    )
    values.update(overrides)
    return ep.PageDetails(**values)


def test_email_subject_and_body_carry_the_case_and_every_detail():
    d = details()
    assert ep.page_subject(d) == (
        "EMERGENCY ESC-42: production system down: Identity verification API"
    )
    body = ep.page_email_body(d)
    for text in (
        "ESC-42",
        "Identity verification API",
        "Every verification returns 503",
        "2026-11-19 05:40 UTC",
        "No prescriber can sign",
        "agent (U0AGENT01)",
        "within 30 minutes",
        f"[x] {DOWN}",
        "https://example.slack.com/archives/C1/p1",
    ):
        assert text in body


def test_trigger_event_body():
    event = ep.trigger_event("R" * 32, details(), dedup_key="ESC-42")
    assert event == {
        "routing_key": "R" * 32,
        "event_action": "trigger",
        "dedup_key": "ESC-42",
        "payload": {
            "summary": "[ESC-42] PRODUCTION DOWN: Identity verification API: "
            "Every verification returns 503",
            "source": "Identity verification API",
            "severity": "critical",
            "timestamp": "2026-11-19T06:00:00+00:00",
            "custom_details": {
                "case": "ESC-42",
                "playbook": "Identity verification vendor",
                "system": "Identity verification API",
                "what_is_down": "Every verification returns 503",
                "since": "2026-11-19 05:40 UTC",
                "impact": "No prescriber can sign controlled-substance prescriptions",
                "paged_by": "agent (U0AGENT01)",
                "paged_at": "2026-11-19T06:00:00+00:00",
                "criteria_confirmed": [DOWN],
                "expected_response": "30 minutes",
            },
        },
        "links": [
            {"href": "https://example.slack.com/archives/C1/p1", "text": "Slack thread ESC-42"}
        ],
    }


def test_summary_is_cut_to_pagerduty_limit():
    event = ep.trigger_event("R" * 32, details(what_is_down="x" * 5000), dedup_key="ESC-42")
    assert len(event["payload"]["summary"]) == ep.SUMMARY_LIMIT


def test_follow_up_events_have_no_payload():
    assert ep.follow_up_event("K", ep.EventAction.RESOLVE, dedup_key="ESC-42") == {
        "routing_key": "K",
        "event_action": "resolve",
        "dedup_key": "ESC-42",
    }
    with pytest.raises(ValueError):
        ep.follow_up_event("K", ep.EventAction.TRIGGER, dedup_key="ESC-42")
