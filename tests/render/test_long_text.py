"""Long text split across blocks with nothing lost, and cuts that say so (issue 13, item 8)."""

from __future__ import annotations

import re

import pytest

from slackbot.domain.mrkdwn import escape
from slackbot.render.long_text import CUT_MARK, cut_mrkdwn, section_blocks, split_mrkdwn

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
