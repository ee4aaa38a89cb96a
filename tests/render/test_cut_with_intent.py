"""Titles and texts cut with intent: a case id, an escape sequence or a Slack token is never
cut; where Slack forces a cut, the full text is in the same view. Pure builders, checked with
the fake Slack's own Block Kit checks (what Slack would refuse)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from slackbot.devtools.slack_checks import check_view
from slackbot.domain.cases import CaseStatus, case_key
from slackbot.domain.mrkdwn import cut, keyed, one_line
from slackbot.domain.playbooks import DEFAULT_PLAYBOOKS_PATH, load_playbooks
from slackbot.render import emergency_blocks as eb
from slackbot.render.case_blocks import build_add_update_modal
from slackbot.render.email_blocks import build_not_vendor_modal
from storage.models import Case

NOW = datetime(2026, 11, 19, 6, 0, tzinfo=UTC)
PLAYBOOKS = load_playbooks(DEFAULT_PLAYBOOKS_PATH)


def a_case(case_id: int) -> Case:
    return Case(
        id=case_id,
        playbook_id="idv",
        summary="Prescriber cannot pass identity verification",
        status=CaseStatus.WITH_VENDOR.value,
        tier=1,
        priority="high",
        category="access",
        requester_type="Clinician",
        internal_ticket="XQ123",
        fields={},
        opened_by="U0AGENT01",
        opened_at=NOW,
        updated_at=NOW,
    )


@pytest.mark.parametrize("text", ["a &amp; b &lt;c&gt;", "hi <@U0AGENT01> there", "see ESC-12345"])
def test_a_cut_never_splits_an_escape_a_token_or_a_case_id(text):
    for limit in range(2, len(text)):
        shown = cut(text, limit)
        assert len(shown) <= limit
        kept = shown.removesuffix("…")
        assert text.startswith(kept)
        for whole in ("&amp;", "&lt;", "&gt;", "<@U0AGENT01>", "ESC-12345"):
            if whole in text and text.index(whole) < len(kept):
                assert whole in kept, (limit, shown)


def test_one_line_still_collapses_whitespace_and_cuts():
    assert one_line("a\n  b", 10) == "a b"
    assert one_line("x" * 20, 10) == "x" * 9 + "…"


def test_keyed_picks_the_wording_that_fits_and_never_cuts_the_key():
    assert keyed("ESC-12", "Back from vendor", "From vendor", limit=24) == "Back from vendor ESC-12"
    assert keyed("ESC-1000", "Back from vendor", "From vendor", limit=24) == "From vendor ESC-1000"
    assert keyed("ESC-123456789012", "Back from vendor", "From vendor", limit=24).endswith(
        " ESC-123456789012"
    )


@pytest.mark.parametrize("case_id", [12, 1000, 123456, 10**12])
@pytest.mark.parametrize("build", [build_not_vendor_modal, build_add_update_modal])
def test_modal_titles_keep_the_case_id_whole_and_slack_takes_them(case_id, build):
    view = build(a_case(case_id))
    assert case_key(case_id) in view["title"]["text"]
    assert check_view(view) is None


def test_long_criteria_are_cut_on_the_checkbox_and_shown_whole_above_it():
    long = ["A production system is down " + "and every user is locked out " * 4]
    assert 75 < len(long[0]) <= 150
    playbook = PLAYBOOKS.get("idv")
    playbook = playbook.model_copy(
        update={"emergency": playbook.emergency.model_copy(update={"criteria": tuple(long)})}
    )
    view = eb.build_emergency_modal([playbook], now=NOW, origin_channel="C0SUPPORT1")
    assert check_view(view) is None
    texts = [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]
    assert any(long[0] in text for text in texts)
    [boxes] = [b for b in view["blocks"] if b.get("block_id") == "em_criteria"]
    [option] = boxes["element"]["options"]
    assert len(option["text"]["text"]) <= 75
    assert option["text"]["text"].startswith("1. A production system is down")


def test_short_criteria_are_shown_as_they_are():
    view = eb.build_emergency_modal([PLAYBOOKS.get("idv")], now=NOW, origin_channel="C0SUPPORT1")
    assert check_view(view) is None
    assert not any("in full" in str(b.get("text")) for b in view["blocks"])
