"""The stored vocabulary: enums whose values are the strings the tables have always held."""

from __future__ import annotations

import pytest

from slackbot.domain.vocabulary import SENDABLE, DraftState


def test_draft_states_keep_their_stored_strings():
    assert [state.value for state in DraftState] == [
        "draft",
        "queued",
        "sent",
        "failed",
        "manual",
        "superseded",
    ]
    assert DraftState("sent") == "sent"  # compares equal to what a row holds


@pytest.mark.parametrize(
    ("state", "sendable"),
    [
        ("draft", True),
        # Refused for good by the mail server: Send may be pressed again (or Edit).
        ("failed", True),
        ("queued", False),
        ("sent", False),
        ("manual", False),
        ("superseded", False),
    ],
)
def test_only_a_new_or_refused_draft_may_be_sent_or_edited(state, sendable):
    assert DraftState(state).sendable is sendable
    assert (state in SENDABLE) is sendable
