"""Long text split across blocks with nothing lost, and cuts that say so (issue 13, item 8)."""

from __future__ import annotations

import re

import pytest

from slackbot.domain.cases import CaseStatus
from slackbot.domain.mrkdwn import escape
from slackbot.domain.resolution import Resolution
from slackbot.domain.status_machine import Action, CaseState, apply
from slackbot.render.blocks import build_case_details
from slackbot.render.case_blocks import build_move_note
from slackbot.render.long_text import CUT_MARK, cut_mrkdwn, section_blocks, split_mrkdwn
from slackbot.render.resolution_blocks import build_resolution_note
from storage.models import Case
from tests.support.handoff import IDV, NOW, SUMMARY

ENTITY_PIECE = re.compile(r"&[a-z]*$")


def words(text: str) -> list[str]:
    """The text's words, quote markers aside: what a reader must get back."""
    return [word.lstrip(">") for word in text.split() if word.lstrip(">")]


def test_short_text_is_one_piece():
    assert split_mrkdwn("hello") == ["hello"]
    assert split_mrkdwn("") == [""]


def test_lines_go_whole_into_pieces_within_the_limit():
    text = "\n".join(f"line {i} " + "x" * 40 for i in range(200))
    pieces = split_mrkdwn(text, 500)
    assert len(pieces) > 1
    assert all(len(piece) <= 500 for piece in pieces)
    assert "\n".join(pieces) == text


@pytest.mark.parametrize("limit", [50, 97, 300, 3000])
def test_escaped_text_never_splits_an_entity(limit):
    text = escape("Tom & Jerry <ok> " * 400)
    pieces = split_mrkdwn(text, limit)
    assert all(len(piece) <= limit for piece in pieces)
    for piece in pieces:
        assert not ENTITY_PIECE.search(piece), piece[-10:]
    assert words("\n".join(pieces)) == words(text)


def test_one_long_word_of_entities_is_split_between_them():
    text = "&amp;" * 1000
    pieces = split_mrkdwn(text, 3000)
    assert "".join(pieces) == text
    assert all(len(piece) <= 3000 and piece.endswith(";") for piece in pieces)


def test_a_quoted_line_split_mid_way_stays_quoted():
    text = ">" + " ".join(["word"] * 1000)
    pieces = split_mrkdwn(text, 1000)
    assert len(pieces) > 1
    assert all(piece.startswith(">") for piece in pieces)
    assert words("\n".join(pieces)) == words(text)


def test_mentions_and_links_are_never_split():
    text = ("see <https://example.com/" + "a" * 60 + "|the link> ") * 100
    for piece in split_mrkdwn(text, 250):
        assert piece.count("<") == piece.count(">")


def test_section_blocks_carry_every_piece():
    text = "y " * 4000
    blocks = section_blocks(text)
    assert len(blocks) == 3
    assert all(len(block["text"]["text"]) <= 3000 for block in blocks)
    assert words(" ".join(block["text"]["text"] for block in blocks)) == words(text)


def test_a_forced_cut_says_so_and_never_ends_mid_entity():
    text = escape("a&b " * 2000)
    cut = cut_mrkdwn(text, 3000)
    assert len(cut) <= 3000 and cut.endswith(CUT_MARK)
    assert not ENTITY_PIECE.search(cut.removesuffix(CUT_MARK))
    assert cut_mrkdwn("short", 3000) == "short"


def test_the_details_reply_carries_a_long_description_whole():
    description = "\n".join(f"Step {i}: tap & wait <{i}>" for i in range(400))
    case = Case(
        id=42,
        playbook_id="idv",
        summary=SUMMARY,
        status="open",
        tier=1,
        priority="high",
        category="access",
        requester_type="Clinician",
        internal_ticket="XQ123",
        fields={"description": description},
        opened_by="U0AGENT01",
        opened_at=NOW,
        updated_at=NOW,
    )
    _, blocks = build_case_details(case, IDV)
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert len(sections) > 1 and all(len(text) <= 3000 for text in sections)
    joined = "\n".join(sections)
    for i in (0, 199, 399):
        assert f"Step {i}: tap &amp; wait &lt;{i}&gt;" in joined
    assert not any(ENTITY_PIECE.search(text) for text in sections)


def test_a_long_resolution_note_is_split_not_cut():
    note = Resolution(issue="Checks fail", done="retry & wait " * 400, action_needed=False)
    _, blocks = build_resolution_note(42, "U0TIER1001", note)
    texts = [b["text"]["text"] for b in blocks]
    assert len(texts) > 1 and all(len(text) <= 3000 for text in texts)
    assert " ".join(texts).count("retry &amp; wait") == 400
    assert texts[-1].endswith("*Action still needed:* no")


def test_a_move_reason_is_kept_whole_and_a_forced_cut_says_so():
    moved = apply(CaseState(CaseStatus.OPEN, None, 1), Action.ACKNOWLEDGE, actor="U1", top_tier=3)
    whole = build_move_note(moved, 42, "wait & see " * 200)  # 2,200 characters typed
    assert whole.count("wait &amp; see") == 200 and not whole.endswith(CUT_MARK)
    cut = build_move_note(moved, 42, "wait & see " * 500)
    assert len(cut) <= 3900 and cut.endswith(CUT_MARK)
    assert not ENTITY_PIECE.search(cut.removesuffix(CUT_MARK))
