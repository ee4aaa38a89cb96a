"""Long mrkdwn split across blocks or messages with nothing lost, and cut, where Slack forces a
cut, with a mark saying so. Pure functions over text that is already escaped: no piece ever
ends inside an `&amp;`-style entity, a `<…>` mention or link, or a line's `>` quote marker.
"""

from __future__ import annotations

from typing import Any

#: Slack's limit for a section block's text.
SECTION_LIMIT = 3000
#: Slack's limit for the blocks of one message.
MESSAGE_BLOCKS = 50
#: What a cut says, where Slack leaves no room for the rest.
CUT_MARK = "\n… (cut to fit Slack: the rest is in the case history)"


def _safe_end(text: str, end: int) -> int:
    """The largest position ≤ `end` that does not fall inside an entity or a `<…>` token."""
    amp = text.rfind("&", max(0, end - 8), end)
    if amp != -1 and ";" not in text[amp:end]:
        end = amp
    angle = text.rfind("<", 0, end)
    if angle != -1 and ">" not in text[angle:end] and end - angle < 200:
        end = angle
    return end


def _break_at(text: str, limit: int) -> int:
    """Where to end the first piece of `text` (longer than `limit`): a line break, a space, or
    failing both a safe place mid-word."""
    window = text[: limit + 1]
    newline = window.rfind("\n")
    if newline > limit // 2:
        return newline
    space = window.rfind(" ")
    if space > limit // 2:
        return _safe_end(text, space) or space
    end = _safe_end(text, limit)
    return end if end > 0 else limit


def split_mrkdwn(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """`text` in pieces of at most `limit` characters, split at line breaks where it can.

    Joining the pieces with line breaks gives the text back (a line split mid-way continues its
    `>` quote in the next piece), so nothing is lost.
    """
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        end = _break_at(rest, limit)
        piece, rest = rest[:end].rstrip(), rest[end:]
        if rest.startswith("\n"):
            rest = rest[1:]
        else:
            rest = rest.lstrip(" ")
            quoted = piece.rsplit("\n", 1)[-1].startswith(">")
            if quoted and not rest.startswith(">"):
                rest = ">" + rest
        pieces.append(piece)
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def section_blocks(text: str, limit: int = SECTION_LIMIT) -> list[dict[str, Any]]:
    """Section blocks carrying all of `text`, one per piece."""
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": piece or " "}}
        for piece in split_mrkdwn(text, limit)
    ]


def cut_mrkdwn(text: str, limit: int, mark: str = CUT_MARK) -> str:
    """`text` within `limit` characters; when it had to be cut, cut safely and say so."""
    if len(text) <= limit:
        return text
    end = _safe_end(text, limit - len(mark))
    return text[:end].rstrip() + mark


def message_chunks(
    blocks: list[dict[str, Any]], per_message: int = MESSAGE_BLOCKS
) -> list[list[dict[str, Any]]]:
    """Blocks in groups one message can carry, in order."""
    return [blocks[i : i + per_message] for i in range(0, len(blocks), per_message)] or [[]]
