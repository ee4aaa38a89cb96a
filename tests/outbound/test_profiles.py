"""Profiles read from Slack are kept a minute per user id (issue 16: user lookups cached with
expiry), against the fake Web API counting `users.info` calls: errors and incomplete profiles
are not kept, and the cache holds at most its bound."""

from __future__ import annotations

from datetime import timedelta

import pytest
from slack_sdk import WebClient

from slackbot.devtools.slack_api import Failure
from slackbot.domain.clock import FixedClock
from slackbot.effects import RetryLater
from slackbot.outbound.profiles import ProfileCache
from slackbot.outbound.slack import SlackPoster
from tests.support.env import START

AGENT = "U0AGENT01"
OTHER = "U0OTHER01"


def _poster(fake_slack, clock) -> SlackPoster:
    return SlackPoster(WebClient(token="xoxb-test-token", base_url=fake_slack.url), clock=clock)


def _lookups(fake_slack, user: str | None = None) -> int:
    calls = fake_slack.calls_to("users.info")
    return sum(1 for call in calls if user is None or call.body.get("user") == user)


def test_within_the_ttl_one_lookup_per_person_after_it_another(fake_slack):
    clock = FixedClock(START)
    poster = _poster(fake_slack, clock)
    first = poster.profile(AGENT)
    assert first["email"]
    assert poster.profile(AGENT) == first
    assert _lookups(fake_slack) == 1
    poster.profile(OTHER)  # kept per user id
    assert (_lookups(fake_slack, AGENT), _lookups(fake_slack, OTHER)) == (1, 1)
    clock.advance(ProfileCache.TTL - timedelta(seconds=1))
    poster.profile(AGENT)
    assert _lookups(fake_slack, AGENT) == 1
    clock.advance(timedelta(seconds=1))
    assert poster.profile(AGENT) == first
    assert _lookups(fake_slack, AGENT) == 2


def test_what_slack_changed_is_seen_once_the_ttl_has_passed(fake_slack):
    clock = FixedClock(START)
    poster = _poster(fake_slack, clock)
    fake_slack.profiles[AGENT] = {"real_name": "Sam Agent", "email": "sam@support.example.com"}
    poster.profile(AGENT)
    fake_slack.profiles[AGENT] = {"real_name": "Sam Agent", "email": "sam.a@support.example.com"}
    assert poster.profile(AGENT)["email"] == "sam@support.example.com"
    clock.advance(ProfileCache.TTL)
    assert poster.profile(AGENT)["email"] == "sam.a@support.example.com"


def test_failures_and_profiles_without_an_address_are_read_again(fake_slack):
    clock = FixedClock(START)
    poster = _poster(fake_slack, clock)
    fake_slack.fail("users.info", Failure(error="internal_error"))
    with pytest.raises(RetryLater):
        poster.profile(AGENT)
    assert poster.profile(AGENT)["email"]  # the outage was not kept
    assert _lookups(fake_slack, AGENT) == 2

    fake_slack.fail("users.info", Failure(error="user_not_found"))
    assert poster.profile(OTHER)["profile_error"] == "user_not_found"
    assert poster.profile(OTHER)["email"]
    assert _lookups(fake_slack, OTHER) == 2

    missing = "U0NOMAIL1"
    fake_slack.profiles[missing] = {"real_name": "No Mail", "email": ""}
    poster.profile(missing)
    fake_slack.profiles[missing] = {"real_name": "No Mail", "email": "nomail@support.example.com"}
    # They were told to add an address to their profile and try again: it is read again.
    assert poster.profile(missing)["email"] == "nomail@support.example.com"
    assert _lookups(fake_slack, missing) == 2


def test_the_cache_keeps_at_most_its_bound_dropping_the_oldest():
    clock = FixedClock(START)
    cache = ProfileCache(clock, max_users=2)
    for n, user in enumerate(("U1", "U2", "U3")):
        cache.put(user, {"name": f"Person {n}", "email": f"p{n}@support.example.com"})
    assert cache.get("U1") is None  # the oldest went
    assert cache.get("U2") is not None and cache.get("U3") is not None
    clock.advance(timedelta(seconds=30))
    cache.put("U2", {"name": "Person 1", "email": "p1@support.example.com"})  # refreshed
    clock.advance(timedelta(seconds=40))  # U3 expired, U2 not yet
    cache.put("U4", {"name": "Person 4", "email": "p4@support.example.com"})
    assert cache.get("U3") is None
    assert cache.get("U2") is not None and cache.get("U4") is not None
    assert len(cache._profiles) == 2
