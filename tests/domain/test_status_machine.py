"""The status machine: every status × every action, tiers, undo and who may act."""

from __future__ import annotations

import pytest

from slackbot.domain.cases import CaseStatus
from slackbot.domain.playbooks import DEFAULT_PLAYBOOKS_PATH, REACTION_ACTIONS, load_playbooks
from slackbot.domain.status_machine import (
    Action,
    CaseState,
    IllegalTransition,
    Responders,
    allowed_actions,
    apply,
    authorise,
    denial,
    parse_action,
    responders_for,
    undo,
    what_phrase,
)

S = CaseStatus
A = Action

# Written out by hand, row by row, so the table in the code is checked against an independent
# statement of the process. "-" means the move is refused.
EXPECTED: dict[CaseStatus, dict[Action, CaseStatus | None]] = {
    S.OPEN: {
        A.ACKNOWLEDGE: S.ACKNOWLEDGED,
        A.HAND_TO_VENDOR: S.WITH_VENDOR,
        A.WAIT_ON_VENDOR: S.WITH_VENDOR,
        A.VENDOR_CONTACTING_USER: None,
        A.ESCALATE_TIER: S.ESCALATED,
        A.NOT_VENDOR_ISSUE: None,
        A.RESOLVE: S.RESOLVED,
        A.REOPEN: None,
        A.CLOSE_UNREACHABLE: None,
        A.VENDOR_NEEDS_INFO: None,
    },
    S.ACKNOWLEDGED: {
        A.ACKNOWLEDGE: None,
        A.HAND_TO_VENDOR: S.WITH_VENDOR,
        A.WAIT_ON_VENDOR: S.WITH_VENDOR,
        A.VENDOR_CONTACTING_USER: S.VENDOR_CONTACTING_USER,
        A.ESCALATE_TIER: S.ESCALATED,
        A.NOT_VENDOR_ISSUE: None,
        A.RESOLVE: S.RESOLVED,
        A.REOPEN: None,
        A.CLOSE_UNREACHABLE: None,
        A.VENDOR_NEEDS_INFO: None,
    },
    S.WITH_VENDOR: {
        A.ACKNOWLEDGE: None,
        A.HAND_TO_VENDOR: None,
        A.WAIT_ON_VENDOR: None,
        A.VENDOR_CONTACTING_USER: S.VENDOR_CONTACTING_USER,
        A.ESCALATE_TIER: S.ESCALATED,
        A.NOT_VENDOR_ISSUE: S.RETURNED,
        A.RESOLVE: S.RESOLVED,
        A.REOPEN: None,
        A.CLOSE_UNREACHABLE: S.CLOSED_UNREACHABLE,
        A.VENDOR_NEEDS_INFO: S.VENDOR_NEEDS_INFO,
    },
    S.VENDOR_CONTACTING_USER: {
        A.ACKNOWLEDGE: None,
        A.HAND_TO_VENDOR: None,
        A.WAIT_ON_VENDOR: S.WITH_VENDOR,
        A.VENDOR_CONTACTING_USER: None,
        A.ESCALATE_TIER: S.ESCALATED,
        A.NOT_VENDOR_ISSUE: S.RETURNED,
        A.RESOLVE: S.RESOLVED,
        A.REOPEN: None,
        A.CLOSE_UNREACHABLE: S.CLOSED_UNREACHABLE,
        A.VENDOR_NEEDS_INFO: S.VENDOR_NEEDS_INFO,
    },
    S.ESCALATED: {
        A.ACKNOWLEDGE: S.ACKNOWLEDGED,
        A.HAND_TO_VENDOR: S.WITH_VENDOR,
        A.WAIT_ON_VENDOR: S.WITH_VENDOR,
        A.VENDOR_CONTACTING_USER: S.VENDOR_CONTACTING_USER,
        A.ESCALATE_TIER: S.ESCALATED,
        A.NOT_VENDOR_ISSUE: None,
        A.RESOLVE: S.RESOLVED,
        A.REOPEN: None,
        A.CLOSE_UNREACHABLE: None,
        A.VENDOR_NEEDS_INFO: None,
    },
    S.RETURNED: {
        A.ACKNOWLEDGE: S.ACKNOWLEDGED,
        A.HAND_TO_VENDOR: S.WITH_VENDOR,
        A.WAIT_ON_VENDOR: S.WITH_VENDOR,
        A.VENDOR_CONTACTING_USER: None,
        A.ESCALATE_TIER: S.ESCALATED,
        A.NOT_VENDOR_ISSUE: None,
        A.RESOLVE: S.RESOLVED,
        A.REOPEN: None,
        A.CLOSE_UNREACHABLE: None,
        A.VENDOR_NEEDS_INFO: None,
    },
    # Issue 13: the vendor waits on details from us; sending them hands it back (⏳).
    S.VENDOR_NEEDS_INFO: {
        A.ACKNOWLEDGE: None,
        A.HAND_TO_VENDOR: None,
        A.WAIT_ON_VENDOR: S.WITH_VENDOR,
        A.VENDOR_CONTACTING_USER: None,
        A.ESCALATE_TIER: S.ESCALATED,
        A.NOT_VENDOR_ISSUE: None,
        A.RESOLVE: S.RESOLVED,
        A.REOPEN: None,
        A.CLOSE_UNREACHABLE: None,
        A.VENDOR_NEEDS_INFO: None,
    },
    S.RESOLVED: {action: None for action in Action} | {A.REOPEN: S.REOPENED},
    S.CLOSED_UNREACHABLE: {action: None for action in Action} | {A.REOPEN: S.REOPENED},
    S.REOPENED: {
        A.ACKNOWLEDGE: S.ACKNOWLEDGED,
        A.HAND_TO_VENDOR: S.WITH_VENDOR,
        A.WAIT_ON_VENDOR: S.WITH_VENDOR,
        A.VENDOR_CONTACTING_USER: S.VENDOR_CONTACTING_USER,
        A.ESCALATE_TIER: S.ESCALATED,
        A.NOT_VENDOR_ISSUE: None,
        A.RESOLVE: S.RESOLVED,
        A.REOPEN: None,
        A.CLOSE_UNREACHABLE: None,
        A.VENDOR_NEEDS_INFO: None,
    },
}


def test_the_expected_table_covers_every_status_and_action():
    assert set(EXPECTED) == set(CaseStatus)
    for row in EXPECTED.values():
        assert set(row) == set(Action)


def test_every_reaction_action_is_an_action():
    assert {a.value for a in Action} >= set(REACTION_ACTIONS)


@pytest.mark.parametrize("status", list(CaseStatus))
@pytest.mark.parametrize("action", list(Action))
def test_every_status_and_action(status, action):
    state = CaseState(status=status, owner=None, tier=1)
    expected = EXPECTED[status][action]
    if expected is None:
        with pytest.raises(IllegalTransition) as refused:
            apply(state, action, actor="U1", top_tier=3)
        assert refused.value.reason  # always a reason for people
    else:
        moved = apply(state, action, actor="U1", top_tier=3)
        assert moved.after.status is expected
        assert moved.before == state


def test_acknowledge_takes_ownership():
    moved = apply(CaseState(S.OPEN, None, 1), A.ACKNOWLEDGE, actor="U1", top_tier=3)
    assert moved.after == CaseState(S.ACKNOWLEDGED, "U1", 1)


def test_a_case_someone_owns_is_not_taken_by_acknowledging():
    with pytest.raises(IllegalTransition, match="owned by <@U1>"):
        apply(CaseState(S.ACKNOWLEDGED, "U1", 1), A.ACKNOWLEDGE, actor="U2", top_tier=3)


def test_closed_cases_must_be_reopened_first():
    with pytest.raises(IllegalTransition, match="reopen it first"):
        apply(CaseState(S.RESOLVED, "U1", 1), A.WAIT_ON_VENDOR, actor="U1", top_tier=3)


def test_reopen_keeps_owner_and_tier():
    moved = apply(CaseState(S.RESOLVED, "U1", 2), A.REOPEN, actor="U2", top_tier=3)
    assert moved.after == CaseState(S.REOPENED, "U1", 2)
    assert moved.reopens and not moved.closes


def test_resolve_closes():
    assert apply(CaseState(S.WITH_VENDOR, "U1", 1), A.RESOLVE, actor="U1", top_tier=3).closes


def test_hand_to_vendor_gives_an_unowned_case_to_whoever_handed_it():
    moved = apply(CaseState(S.OPEN, None, 1), A.HAND_TO_VENDOR, actor="U2", top_tier=3)
    assert moved.after.owner == "U2" and moved.hands_off
    kept = apply(CaseState(S.ACKNOWLEDGED, "U1", 1), A.HAND_TO_VENDOR, actor="U2", top_tier=3)
    assert kept.after.owner == "U1"


def test_escalation_moves_up_one_tier_and_frees_ownership():
    moved = apply(CaseState(S.ACKNOWLEDGED, "U1", 1), A.ESCALATE_TIER, actor="U1", top_tier=3)
    assert moved.after == CaseState(S.ESCALATED, None, 2)
    assert moved.escalated
    again = apply(moved.after, A.ESCALATE_TIER, actor="U2", top_tier=3)
    assert again.after == CaseState(S.ESCALATED, None, 3)


def test_the_top_tier_is_the_end_of_the_line():
    with pytest.raises(IllegalTransition, match="last tier"):
        apply(CaseState(S.ACKNOWLEDGED, "U1", 3), A.ESCALATE_TIER, actor="U1", top_tier=3)
    with pytest.raises(IllegalTransition, match="last tier"):
        apply(CaseState(S.OPEN, None, 1), A.ESCALATE_TIER, actor="U1", top_tier=1)


def test_undo_restores_the_state_before_the_latest_change():
    first = apply(CaseState(S.OPEN, None, 1), A.ACKNOWLEDGE, actor="U1", top_tier=3)
    second = apply(first.after, A.ESCALATE_TIER, actor="U1", top_tier=3)
    assert undo(second.after, second) == CaseState(S.ACKNOWLEDGED, "U1", 1)


def test_undo_is_refused_once_the_case_has_moved_on():
    first = apply(CaseState(S.OPEN, None, 1), A.ACKNOWLEDGE, actor="U1", top_tier=3)
    second = apply(first.after, A.WAIT_ON_VENDOR, actor="U1", top_tier=3)
    with pytest.raises(IllegalTransition, match="changed since"):
        undo(second.after, first)


def test_allowed_actions_follow_the_table_and_tiers():
    assert allowed_actions(CaseState(S.RESOLVED, "U1", 1), top_tier=3) == [A.REOPEN]
    at_top = allowed_actions(CaseState(S.ACKNOWLEDGED, "U1", 3), top_tier=3)
    assert A.ESCALATE_TIER not in at_top and A.RESOLVE in at_top


@pytest.fixture(scope="module")
def playbooks():
    return load_playbooks(DEFAULT_PLAYBOOKS_PATH)


def test_responders_are_the_channel_or_a_user_group(playbooks):
    idv = playbooks.get("idv")
    tier1 = responders_for(idv, 1, channel_id="C1")
    assert (tier1.usergroup, tier1.channel) == (None, "C1")
    tier2 = responders_for(idv, 2, channel_id="C1")
    assert (tier2.usergroup, tier2.channel) == ("S0TIER20001", None)


def test_only_members_may_act():
    responders = Responders(tier=2, name="Tier 2 support", usergroup="S2", channel=None)
    assert authorise("U1", responders, {"U1", "U2"}).allowed
    refused = authorise("U9", responders, {"U1", "U2"})
    assert not refused.allowed
    assert "<!subteam^S2>" in refused.reason and "tier 2" in refused.reason


def test_typed_words_name_actions():
    assert parse_action("Resolve") is A.RESOLVE
    assert parse_action("escalate") is A.ESCALATE_TIER
    assert parse_action("wait-on-vendor") is A.WAIT_ON_VENDOR
    assert parse_action("not-vendor") is A.NOT_VENDOR_ISSUE
    assert parse_action("dance") is None


@pytest.mark.parametrize("action", [A.HAND_TO_VENDOR, A.WAIT_ON_VENDOR, A.VENDOR_CONTACTING_USER])
def test_every_route_to_the_vendor_is_a_hand_off(action):
    """📤, ⏳ and "contacting the end user" all start the vendor's clocks (issue 13, item 1)."""
    moved = apply(CaseState(S.ACKNOWLEDGED, "U1", 1), action, actor="U1", top_tier=3)
    assert moved.hands_off


def test_moves_within_the_vendors_side_or_away_from_it_are_not_hand_offs():
    back = apply(
        CaseState(S.VENDOR_CONTACTING_USER, "U1", 1), A.WAIT_ON_VENDOR, actor="U1", top_tier=3
    )
    assert not back.hands_off
    returned = apply(CaseState(S.WITH_VENDOR, "U1", 1), A.NOT_VENDOR_ISSUE, actor="U1", top_tier=3)
    assert not returned.hands_off


def test_a_denial_names_who_may_act_and_what_was_refused():
    group = Responders(tier=2, name="Tier 2 support", usergroup="S0TIER2", channel=None)
    channel = Responders(tier=1, name="Tier 1 support", usergroup=None, channel="C1")
    besides = ("the opener", "the owner")
    assert denial(group, what="edit email", case="ESC-42", besides=besides) == (
        "Only the opener, the owner or Tier 2 support (<!subteam^S0TIER2>) can edit the emails "
        "of ESC-42"
    )
    assert denial(channel, what="resolve", case="ESC-7") == (
        "Only Tier 1 support (this channel) can resolve ESC-7"
    )
    assert denial(channel, what="draft hand-off email", case="ESC-7", besides=besides[:1]) == (
        "Only the opener or Tier 1 support (this channel) can ask for the hand-off email of ESC-7"
    )
    assert what_phrase("page again", "ESC-3") == "page on-call again for ESC-3"
