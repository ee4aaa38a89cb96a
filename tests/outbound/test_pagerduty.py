"""The PagerDuty adapter against the fake PagerDuty over real HTTP: exact bodies, errors."""

from __future__ import annotations

import socket

import pytest

from slackbot.devtools.pagerduty import start_fake_pagerduty
from slackbot.outbound.pagerduty import (
    EventInvalid,
    PagerDuty,
    PagerDutyRejected,
    PagerDutyTransient,
)

KEY = "R" * 32
TRIGGER = {
    "routing_key": KEY,
    "event_action": "trigger",
    "dedup_key": "ESC-42",
    "payload": {"summary": "[ESC-42] PRODUCTION DOWN", "source": "IDV API", "severity": "critical"},
}


@pytest.fixture
def fake_pd():
    state = start_fake_pagerduty()
    yield state
    state.stop()


@pytest.fixture
def pd(fake_pd):
    return PagerDuty(events_url=fake_pd.events_url, api_url=fake_pd.url, api_key="api-key-1")


def test_trigger_sends_exactly_the_event_without_trailing_slash_or_auth(pd, fake_pd):
    answer = pd.send(TRIGGER)
    assert answer["dedup_key"] == "ESC-42"
    [request] = fake_pd.events()
    assert request.method == "POST"
    assert request.path == "/v2/enqueue"  # not "/v2/enqueue/" as pypd would have it
    assert request.body == TRIGGER
    assert "Authorization" not in request.headers
    assert request.headers["Content-Type"] == "application/json"


def test_resolve_needs_no_payload(pd, fake_pd):
    body = {"routing_key": KEY, "event_action": "resolve", "dedup_key": "ESC-42"}
    pd.send(body)
    assert fake_pd.events()[0].body == body


def test_invalid_events_are_refused_before_sending(pd, fake_pd):
    with pytest.raises(EventInvalid, match="dedup_key"):
        pd.send({"routing_key": KEY, "event_action": "acknowledge"})
    with pytest.raises(EventInvalid, match="severity"):
        pd.send({**TRIGGER, "payload": {**TRIGGER["payload"], "severity": "meh"}})
    with pytest.raises(EventInvalid, match="PAGERDUTY_ROUTING_KEY"):
        pd.send({**TRIGGER, "routing_key": ""})
    assert fake_pd.events() == []


def test_400_is_permanent_with_pagerdutys_message(pd, fake_pd):
    fake_pd.answer_next(400)
    with pytest.raises(PagerDutyRejected) as info:
        pd.send(TRIGGER)
    assert not isinstance(info.value, PagerDutyTransient)
    assert info.value.status == 400
    assert "Event object is invalid" in info.value.reason
    assert "routing_key" in info.value.reason


@pytest.mark.parametrize("status", [429, 500, 503])
def test_429_and_5xx_are_transient(pd, fake_pd, status):
    fake_pd.answer_next(status)
    with pytest.raises(PagerDutyTransient) as info:
        pd.send(TRIGGER)
    assert info.value.status == status
    if status == 429:
        assert info.value.retry_after == 1.0
    pd.send(TRIGGER)  # the next one goes through
    assert len(fake_pd.events()) == 2


def test_unreachable_is_transient():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pd = PagerDuty(events_url=f"http://127.0.0.1:{port}/v2/enqueue", api_url="http://127.0.0.1:1")
    with pytest.raises(PagerDutyTransient, match="could not reach"):
        pd.send(TRIGGER)


def test_silent_server_times_out():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # accepts the connection, never answers
        port = silent.getsockname()[1]
        pd = PagerDuty(
            events_url=f"http://127.0.0.1:{port}/v2/enqueue",
            api_url="http://127.0.0.1:1",
            timeout=(0.5, 0.2),
        )
        with pytest.raises(PagerDutyTransient, match="in time"):
            pd.send(TRIGGER)


def test_incident_status_lookup(pd, fake_pd):
    assert pd.incident_status("ESC-42") is None
    fake_pd.set_incident("ESC-42", "acknowledged", acknowledger="On-call Engineer")
    status = pd.incident_status("ESC-42")
    assert status.acknowledged and status.acknowledged_by == "On-call Engineer"
    lookup = [r for r in fake_pd.requests if r.path == "/incidents"][-1]
    assert lookup.query["incident_key"] == ["ESC-42"]
    assert lookup.headers["Authorization"] == "Token token=api-key-1"


def test_incident_lookup_needs_an_api_key(fake_pd):
    pd = PagerDuty(events_url=fake_pd.events_url, api_url=fake_pd.url)
    assert not pd.can_look_up
    with pytest.raises(PagerDutyRejected, match="PAGERDUTY_API_KEY"):
        pd.incident_status("ESC-42")


def test_two_adapters_keep_their_own_urls(fake_pd):
    other = start_fake_pagerduty()
    try:
        a = PagerDuty(events_url=fake_pd.events_url, api_url=fake_pd.url)
        b = PagerDuty(events_url=other.events_url, api_url=other.url)
        a.send(TRIGGER)
        b.send(TRIGGER)
        assert len(fake_pd.events()) == 1 and len(other.events()) == 1
    finally:
        other.stop()
