"""The new text of an email: HTML turned into text, quoted history, signatures and disclaimers cut.

Vendors reply from ticket systems, Outlook, Gmail and phones; each quotes what came before in its
own way. What a case thread needs is only what the vendor just wrote.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

_SKIPPED_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript"})
_BLOCK_TAGS = frozenset(
    {
        "p", "div", "li", "ul", "ol", "tr", "table", "thead", "tbody", "section", "article",
        "header", "footer", "pre", "dd", "dt", "dl", "h1", "h2", "h3", "h4", "h5", "h6",
    }
)  # fmt: skip
#: Characters that render as nothing (or as a plain space) but would defeat the patterns below.
_INVISIBLE = str.maketrans({"\u200b": None, "\u200c": None, "\u200d": None, "\ufeff": None})
_SPACES = re.compile(r"[ \t\r\f\v\xa0]+")


class _TextExtractor(HTMLParser):
    """Collects an HTML body's text line by line; blockquoted lines are prefixed with "> "."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._parts: list[str] = []
        self._depth = 0  # blockquote nesting: quoted history, which new_text() drops
        self._line_depth = 0
        self._skip = 0
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Open a block, a quote or a skipped element."""
        if tag in _SKIPPED_TAGS:
            self._skip += 1
        elif tag == "blockquote":
            self.flush()
            self._depth += 1
        elif tag == "br":
            self.flush(keep_empty=True)
        elif tag == "hr":
            self.flush()
            self.lines.append("_" * 32)
        elif tag == "li":
            self.flush()
            self._parts.append("- ")
        elif tag in ("td", "th"):
            self._parts.append(" ")
        elif tag in _BLOCK_TAGS:
            self.flush()
        if tag == "pre":
            self._pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """`<br/>` and friends: a start tag with nothing inside."""
        if tag not in _SKIPPED_TAGS:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        """Close what handle_starttag opened."""
        if tag in _SKIPPED_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag == "blockquote":
            self.flush()
            self._depth = max(0, self._depth - 1)
        elif tag in _BLOCK_TAGS:
            self.flush()
        if tag == "pre":
            self._pre = max(0, self._pre - 1)

    def handle_data(self, data: str) -> None:
        """Text between tags; whitespace collapses as a browser would, except in <pre>."""
        if self._skip:
            return
        if not self._parts:
            self._line_depth = self._depth
        if self._pre:
            for number, piece in enumerate(data.split("\n")):
                if number:
                    self.flush(keep_empty=True)
                self._parts.append(piece)
            return
        self._parts.append(data.replace("\n", " "))

    def flush(self, *, keep_empty: bool = False) -> None:
        """End the current line."""
        text = _SPACES.sub(" ", "".join(self._parts).translate(_INVISIBLE)).strip()
        self._parts = []
        if text or keep_empty:
            self.lines.append("> " * self._line_depth + text if text else "")
        self._line_depth = self._depth


def html_to_text(html: str) -> str:
    """Readable text from an HTML body (stdlib parser; malformed markup is tolerated)."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    extractor.flush()
    return _tidy(extractor.lines)


_ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(?:original message|forwarded message|mensaje original|message d'origine)"
    r"\s*-*\s*$",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(r"^\s*\*?(?:from|von|de)\s*:\*?\s*\S", re.IGNORECASE)
_HEADER_SENT = re.compile(
    r"^\s*\*?(?:sent|date|gesendet|envoyé|enviado)\s*:\*?\s*\S", re.IGNORECASE
)
_UNDERSCORES = re.compile(r"^\s*_{8,}\s*$")
_SIGNATURE = re.compile(r"^--\s?$")
_FOOTERS = (
    re.compile(r"^\s*sent from my \w+", re.IGNORECASE),
    re.compile(r"^\s*get outlook for \w+", re.IGNORECASE),
    re.compile(r"^\s*\**\s*(?:confidentiality notice|disclaimer|privileged (?:and|&) confidential)\b", re.IGNORECASE),
    re.compile(
        r"^\s*(?:this|the information (?:contained )?in this) (?:e-?mail|message|communication)"
        r"\b.{0,80}\b(?:confidential|privileged|intended (?:solely |only )?for)",
        re.IGNORECASE,
    ),
)  # fmt: skip
_ATTRIBUTION_START = re.compile(r"^\s*(?:on|le|el|am|op|il)\s", re.IGNORECASE)
_ATTRIBUTION = re.compile(
    r"^\s*(?:on|le|el|am|op|il)\s.{0,300}?(?:wrote|a écrit|escribió|schrieb|schreef|ha scritto)"
    r"\s*:\s*$",
    re.IGNORECASE,
)
#: Lines ticket systems put above the new comment; they say nothing themselves.
_NOISE = re.compile(r"^\s*#*-?\s*please (?:type|write) your reply above this line", re.IGNORECASE)


def _outlook_header(lines: list[str], index: int) -> bool:
    """An Outlook reply header: "From: …" with "Sent: …" (or "Date: …") close below it."""
    if not _HEADER_FROM.match(lines[index]):
        return False
    return any(_HEADER_SENT.match(line) for line in lines[index + 1 : index + 5])


_CUTS: tuple[Callable[[list[str], int], bool], ...] = (
    lambda lines, i: bool(_ORIGINAL_MESSAGE.match(lines[i])),
    _outlook_header,
    lambda lines, i: bool(_SIGNATURE.match(lines[i])),
    # A disclaimer or phone footer as the very first line is all there is: keep it then.
    lambda lines, i: i > 0 and any(footer.match(lines[i]) for footer in _FOOTERS),
)


def _cut_index(lines: list[str]) -> int:
    """Where the history (or signature, or disclaimer) starts: everything from there goes."""
    for index in range(len(lines)):
        if any(cut(lines, index) for cut in _CUTS):
            if index and _UNDERSCORES.match(lines[index - 1]):
                return index - 1
            return index
    return len(lines)


def _attribution_length(lines: list[str], index: int) -> int:
    """How many lines an "On … wrote:" attribution starting here spans (0: none); clients
    wrap long attributions over up to three lines."""
    if not _ATTRIBUTION_START.match(lines[index]):
        return 0
    for span in range(1, 4):
        joined = " ".join(line.strip() for line in lines[index : index + span])
        if _ATTRIBUTION.match(joined):
            return span
    return 0


def _unquoted(lines: list[str]) -> list[str]:
    """The lines without quotes, their attributions and ticket-system noise. Inline and
    bottom-posted replies keep what was written between the quotes."""
    kept: list[str] = []
    index = 0
    while index < len(lines):
        span = _attribution_length(lines, index)
        if span:
            index += span
            continue
        line = lines[index]
        if not line.lstrip().startswith(">") and not _NOISE.match(line):
            kept.append(line)
        index += 1
    return kept


def _tidy(lines: list[str]) -> str:
    """Trailing spaces off, at most one blank line in a row, no blank lines at either end."""
    out: list[str] = []
    for line in lines:
        line = line.rstrip()
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n")


def new_text(text: str) -> str:
    """What the sender just wrote: quoted history, signature and disclaimers trimmed."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").translate(_INVISIBLE).split("\n")
    lines = lines[: _cut_index(lines)]
    return _tidy(_unquoted(lines))


def first_lines(text: str, *, lines: int = 3, limit: int = 300) -> str:
    """The first non-empty lines of `text`, cut at `limit` characters (for summaries)."""
    kept = [line.strip() for line in text.splitlines() if line.strip()][:lines]
    joined = "\n".join(kept)
    return joined if len(joined) <= limit else joined[: limit - 1].rstrip() + "…"
