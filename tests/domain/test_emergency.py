"""The emergency rules, with no fakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from slackbot.domain import emergency as em
from slackbot.domain.playbooks import DEFAULT_PLAYBOOKS_PATH, load_playbooks

PLAYBOOKS = load_playbooks(DEFAULT_PLAYBOOKS_PATH)
IDV = next(pb for pb in PLAYBOOKS if pb.emergency is not None)
DOWN = "A production system is down and inoperative"
NOW = datetime(2026, 11, 19, 6, 0, tzinfo=UTC)


def test_every_criterion_confirmed_pages():
    assert em.check_criteria(IDV, [DOWN]) == em.CriteriaCheck(ok=True)


def test_unconfirmed_criterion_refuses_and_names_the_normal_route():
    check = em.check_criteria(IDV, [])
    assert not check.ok
    assert check.missing == (DOWN,)
    assert check.refusal.startswith("Nobody was paged")
    assert DOWN in check.refusal
    assert "/escalate" in check.refusal
    assert IDV.technical_contacts[0].name in check.refusal
    assert "business hours" in check.refusal


def test_a_playbook_may_add_criteria_and_all_must_hold():
    extra = IDV.model_copy(
        update={
            "emergency": IDV.emergency.model_copy(
                update={"criteria": (DOWN, "Our own status page confirms it")}
            )
        }
    )
    assert not em.check_criteria(extra, [DOWN]).ok
    assert em.check_criteria(extra, [DOWN]).missing == ("Our own status page confirms it",)
    assert em.check_criteria(extra, [DOWN, "Our own status page confirms it"]).ok


def test_playbook_without_emergency_route_never_pages():
    plain = next(pb for pb in PLAYBOOKS if pb.emergency is None)
    check = em.check_criteria(plain, [DOWN])
    assert not check.ok and "no emergency route" in check.refusal


def test_routes_both_when_configured():
    assert em.routes(IDV.emergency) == (em.PageRoute.PAGERDUTY, em.PageRoute.EMAIL)
    email_only = IDV.emergency.model_copy(update={"pagerduty": False})
    assert em.routes(email_only) == (em.PageRoute.EMAIL,)


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (datetime(2026, 11, 18, 14, 0, tzinfo=UTC), True),  # Wed 09:00 New York
        (datetime(2026, 11, 18, 23, 30, tzinfo=UTC), False),  # Wed 18:30 New York
        (datetime(2026, 11, 22, 15, 0, tzinfo=UTC), False),  # Sunday
        (datetime(2026, 11, 21, 15, 0, tzinfo=UTC), True),  # Saturday is a working day there
    ],
)
def test_partner_support_hours(when, expected):
    assister = PLAYBOOKS.get("assister")
    assert em.partner_support_open(assister, when) is expected


def test_round_the_clock_support_is_always_open_and_hint_suggests_contacts():
    assert em.partner_support_open(IDV, NOW)
    hint = em.support_hint(IDV, NOW)
    assert "open right now" in hint
    assert IDV.technical_contacts[0].email in hint
    assert "still goes out" in hint


def test_closed_support_hint_points_at_the_emergency_route():
    assister = PLAYBOOKS.get("assister")
    hint = em.support_hint(assister, datetime(2026, 11, 22, 15, 0, tzinfo=UTC))
    assert "closed" in hint


def test_dedup_window():
    window = timedelta(hours=4)
    first = em.decide_page(last_paged_at=None, now=NOW, window=window, page_again=False)
    assert first is em.PageAction.NEW
    soon = NOW + timedelta(hours=1)
    assert em.decide_page(last_paged_at=NOW, now=soon, window=window, page_again=False) is (
        em.PageAction.UPDATE
    )
    assert em.decide_page(last_paged_at=NOW, now=soon, window=window, page_again=True) is (
        em.PageAction.NEW
    )
    later = NOW + window
    assert em.decide_page(last_paged_at=NOW, now=later, window=window, page_again=False) is (
        em.PageAction.NEW
    )


def test_dedup_key_is_the_case_id_and_repages_get_their_own():
    assert em.page_dedup_key(42, 1) == "ESC-42"
    assert em.page_dedup_key(42, 2) == "ESC-42/page-2"


def test_response_watch():
    due = em.response_due(NOW, IDV.emergency)
    assert due == NOW + timedelta(minutes=30)
    kwargs = dict(response_due_at=due, acknowledged_at=None, reminded_at=None, resolved=False)
    assert not em.needs_reminder(**kwargs, now=due - timedelta(seconds=1))
    assert em.needs_reminder(**kwargs, now=due)
    assert not em.needs_reminder(**{**kwargs, "acknowledged_at": NOW}, now=due)
    assert not em.needs_reminder(**{**kwargs, "reminded_at": due}, now=due + timedelta(hours=1))
    assert not em.needs_reminder(**{**kwargs, "resolved": True}, now=due)


def test_response_time_text():
    assert em.response_time_text(IDV.emergency) == "30 minutes"


def form(**overrides):
    raw = {
        "system": "Identity verification API",
        "what_is_down": "Every verification returns 503",
        "since": "05:40 UTC",
        "impact": "Nobody can verify",
        "case": "",
        "criteria": ["c0"],
    }
    raw.update(overrides)
    return raw


def test_form_with_every_criterion_gives_a_report():
    result = em.parse_emergency_form(IDV, form(case="esc-7", page_again=["again"]))
    assert result.ok
    assert result.report == em.EmergencyReport(
        system="Identity verification API",
        what_is_down="Every verification returns 503",
        since="05:40 UTC",
        impact="Nobody can verify",
        criteria=(DOWN,),
        case_id=7,
        page_again=True,
    )


def test_form_without_criterion_says_why_nobody_was_paged():
    result = em.parse_emergency_form(IDV, form(criteria=[]))
    assert not result.ok
    assert result.errors["criteria"].startswith("Nobody was paged")
    assert "/escalate" in result.errors["criteria"]


def test_form_required_fields_and_case_id():
    result = em.parse_emergency_form(IDV, form(system="  ", case="42x"))
    assert set(result.errors) == {"system", "case"}


def test_field_error_is_short_and_still_says_why_and_the_normal_route():
    error = em.parse_emergency_form(IDV, form(criteria=[])).errors["criteria"]
    assert len(error) <= em.FIELD_ERROR_LIMIT
    assert error.startswith("Nobody was paged")
    assert "/escalate" in error and "technical escalation contacts" in error
