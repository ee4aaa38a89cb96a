"""The resolution note and the rating: required parts, limits and the PII guard (issue 13)."""

from __future__ import annotations

from slackbot.domain.resolution import Resolution, validate_rating, validate_resolution

GOOD = {"issue": "Checks fail", "done": "Reset the check", "action_needed": "no"}


def test_a_complete_note_is_a_resolution():
    resolution, errors = validate_resolution(GOOD)
    assert errors == {}
    assert resolution == Resolution("Checks fail", "Reset the check", action_needed=False)


def test_every_part_is_required_and_action_needed_names_who():
    _, errors = validate_resolution({})
    assert set(errors) == {"issue", "done", "action_needed"}
    _, errors = validate_resolution({**GOOD, "action_needed": "yes"})
    assert set(errors) == {"action_by"}
    resolution, _ = validate_resolution({**GOOD, "action_needed": "yes", "action_by": "Tier 1"})
    assert resolution.action_needed and resolution.action_by == "Tier 1"


def test_by_whom_is_dropped_when_no_action_is_needed():
    resolution, _ = validate_resolution({**GOOD, "action_by": "Tier 1"})
    assert resolution.action_by is None


def test_pii_and_phi_are_refused_under_their_field():
    _, errors = validate_resolution({**GOOD, "done": "SSN 123-45-6789 was wrong"})
    assert "social security number" in errors["done"]
    _, errors = validate_resolution({**GOOD, "issue": "the user is pregnant"})
    assert "issue" in errors


def test_limits_are_said_not_cut():
    _, errors = validate_resolution({**GOOD, "issue": "x" * 1501})
    assert errors["issue"] == "Keep it to 1500 characters (this is 1501)."


def test_the_note_round_trips_through_its_stored_form():
    resolution = Resolution("a", "b", action_needed=True, action_by="c")
    assert Resolution.from_detail(resolution.as_detail()) == resolution
    assert Resolution.from_detail(None) is None and Resolution.from_detail({}) is None


def test_a_rating_is_one_to_five_with_an_optional_checked_comment():
    assert validate_rating("4", "") == (validate_rating(4, None)[0], {})
    assert validate_rating("4", " fine ")[0].comment == "fine"
    assert set(validate_rating("6", "")[1]) == {"score"}
    assert set(validate_rating("x", "")[1]) == {"score"}
    assert set(validate_rating("3", "diagnosed with cancer")[1]) == {"comment"}
