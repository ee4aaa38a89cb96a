"""The rules behind issue 13's items 5, 6, 7 and 9: no fakes, a fixed clock where time matters."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from slackbot.domain.clock import FixedClock
from slackbot.domain.intake_sources import (
    CARRIED_TEXT,
    FindQuery,
    MessageSource,
    Triage,
    carried,
    closed_window,
    like_pattern,
    opener_notice,
    parse_find,
    parse_triage,
    plain_message_text,
    prefill_from_message,
    validate_inquiry,
)
from slackbot.domain.playbooks import DEFAULT_PLAYBOOKS_PATH, load_playbooks

PLAYBOOKS = load_playbooks(DEFAULT_PLAYBOOKS_PATH)
IDV = PLAYBOOKS.get("idv")
OPENER, DANA = "U0AGENT01", "U0DANA001"


def test_a_message_prefills_the_summary_and_the_description():
    text = "Cannot sign in &amp; stuck\nsee <https://example.com/kb|the KB> and <https://example.com/x>"
    prefill = prefill_from_message(IDV, text)
    assert prefill.values["summary"] == "Cannot sign in & stuck"
    assert prefill.values["description"] == (
        "Cannot sign in & stuck\nsee the KB (https://example.com/kb) and https://example.com/x"
    )
    assert prefill.notes == ()
    assert prefill_from_message(IDV, "   ").values == {}


def test_a_long_message_is_cut_to_the_field_and_says_so_and_pii_is_flagged():
    spec = IDV.field("description")
    prefill = prefill_from_message(IDV, "x" * (spec.limit + 10))
    assert len(prefill.values["description"]) == spec.limit
    assert "the rest stays in the message" in prefill.notes[0]
    flagged = prefill_from_message(IDV, "Her SSN is 123-45-6789")
    assert any("social security number" in note for note in flagged.notes)


def test_plain_text_keeps_mentions_and_decodes_entities():
    assert plain_message_text("<@U123> said 1 &lt; 2") == "<@U123> said 1 < 2"


def test_what_the_picker_carries_fits_its_metadata_even_when_json_grows_it():
    quoted = carried('"' * 5000)
    assert len(json.dumps(quoted, ensure_ascii=False)) <= CARRIED_TEXT
    assert carried("short") == "short"


def test_a_message_source_round_trips_through_metadata():
    source = MessageSource("C1", "1.2", "1.0", "https://example.slack.com/archives/C1/p12")
    assert MessageSource.from_metadata(source.as_metadata()) == source
    assert source.reply_thread == "1.0"
    top = MessageSource("C1", "1.2", "1.2")
    assert "th" not in top.as_metadata() and top.reply_thread == "1.2"
    assert MessageSource.from_metadata({"c": "C1"}) is None
    assert MessageSource.from_metadata("nonsense") is None


def test_triage_defaults_to_the_receiving_side():
    assert parse_triage(None) is Triage.RECEIVER
    assert parse_triage("ours") is Triage.OURS
    assert parse_triage("bogus") is Triage.RECEIVER


def test_find_takes_a_case_id_or_text_and_escapes_like_wildcards():
    assert parse_find(["ESC-42"]) == FindQuery(42, "ESC-42")
    assert parse_find(["referral", "list"]) == FindQuery(None, "referral list")
    assert "Say what to look for" in parse_find(["x"])
    assert like_pattern("50%_a\\b") == "%50\\%\\_a\\\\b%"


def test_closed_window_is_the_last_7_or_30_days_by_the_clock():
    clock = FixedClock(datetime(2026, 11, 18, 17, 0, tzinfo=UTC))
    start, end = closed_window("week", clock.now())
    assert (end - start, end) == (timedelta(days=7), clock.now())
    clock.advance(timedelta(days=1))
    start, end = closed_window("month", clock.now())
    assert end - start == timedelta(days=30) and end == datetime(2026, 11, 19, 17, tzinfo=UTC)


def test_inquiries_are_checked_like_typed_text():
    ok = validate_inquiry(
        IDV,
        {"category": "account", "requester_type": "Clinician", "topic": "How long?", "answer": ""},
    )
    assert ok.errors == {} and ok.values == {
        "category": "account",
        "requester_type": "Clinician",
        "topic": "How long?",
    }
    bad = validate_inquiry(
        IDV, {"category": "nope", "topic": "Call 123-45-6789", "answer": "y" * 1001}
    )
    assert set(bad.errors) == {"category", "requester_type", "topic", "answer"}
    assert "social security number" in bad.errors["topic"]


def _notice(**overrides):
    values = dict(
        case_id=7,
        summary="Cannot <!here> sign in",
        kind="status_changed",
        to_status="acknowledged",
        actor=DANA,
        opener=OPENER,
        detail={},
    )
    values.update(overrides)
    return opener_notice(**values)


def test_the_opener_hears_of_moves_updates_and_closing_but_not_of_their_own_doing():
    moved = _notice()
    assert (
        moved
        == f":eyes: *ESC-7* · Cannot &lt;!here&gt; sign in is now *acknowledged* by <@{DANA}>."
    )
    assert "is closed (resolved)" in _notice(to_status="resolved")
    assert "the last move was undone" in _notice(kind="undo", to_status="open")
    update = _notice(kind="update", detail={"vendor_status": "Calling", "note": "<@U1> at 10"})
    assert "got an update by" in update and "Calling · &lt;@U1&gt; at 10" in update
    mailed = _notice(kind="update", actor="idv@example.com", detail={"inbound_id": 3, "text": "x"})
    assert "got a reply by email" in mailed and "x" not in mailed.split("·")[1]
    assert _notice(kind="update").endswith(f"got an update by <@{DANA}>.")
    assert "by <@" not in _notice(actor="scheduler", to_status="closed_unreachable")
    assert _notice(actor=OPENER) is None
    assert _notice(kind="reply") is None
    assert _notice(to_status=None) is None
    # A status with a label (issue 13's vendor needs info) reads as its label, its emoji first;
    # one the domain does not know reads as itself, never dropped.
    needs_info = _notice(to_status="vendor_needs_info")
    assert (
        needs_info.startswith(":question: ") and "is now *vendor needs info from us*" in needs_info
    )
    assert "*some_new_status*" in _notice(to_status="some_new_status")
