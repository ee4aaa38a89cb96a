"""Reading MIME without trusting it: headers, body text and attachments, best effort.

The stdlib parser (compat32) never raises on malformed input; what it cannot know (an unknown
charset, 8-bit bytes in a header, broken base64) is decided here, and every guess is written
down in `problems` so that the person reading the case knows the text may be off.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from email.message import Message
from email.policy import Compat32
from email.utils import getaddresses

from slackbot.domain.inbound_text import html_to_text

MB = 1024 * 1024
#: Same cap as files attached to our own emails: what Slack takes per file.
ATTACHMENT_LIMIT = 10 * MB

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"(\?=)[ \t]+(?==\?)")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_BAD_QP = re.compile(r"=(?![0-9A-Fa-f]{2}|\r?\n|$)", re.MULTILINE)
_UNSAFE_FILENAME = re.compile(r"[\x00-\x1f\x7f/\\]+")
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")


class RawHeaders(Compat32):
    """compat32, but header values come back exactly as parsed: 8-bit bytes surrogate-escaped,
    encoded words untouched, so that decoding (and its guesses) happens in one place here."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        """Return the stored value unchanged."""
        return value


RAW_HEADERS = RawHeaders()


@dataclass(frozen=True)
class Address:
    """One mailbox from an address header: the address (lower case) and its display name."""

    address: str
    name: str = ""

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>" if self.name else self.address


@dataclass(frozen=True)
class Attachment:
    """A file that came with the email; `data` is empty when it was over the size cap."""

    filename: str
    content_type: str
    size: int
    data: bytes = field(repr=False)
    too_large: bool = False


def _text_from_bytes(raw: bytes, what: str, problems: list[str]) -> str:
    """Bytes of a header that should have been ASCII: UTF-8 (RFC 6532) or else Windows-1252."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(f"{what} has 8-bit characters that are not UTF-8: read as Windows-1252")
        return raw.decode("cp1252", errors="replace")


def decode_bytes(data: bytes, charset: str | None, what: str, problems: list[str]) -> str:
    """Text in a declared charset; unknown or wrong charsets fall back to UTF-8, then cp1252."""
    name = (charset or "").strip().strip('"').lower() or None
    if name in (None, "us-ascii", "ascii"):
        # Mislabelled 8-bit text is the rule rather than the exception: UTF-8 is ASCII's superset.
        name = "utf-8"
    try:
        return data.decode(name)
    except LookupError:
        problems.append(f"{what} has unknown charset {charset!r}: read as UTF-8")
        return _text_from_bytes(data, what, [])
    except UnicodeDecodeError:
        if name == "utf-8" and not charset:
            return data.decode("cp1252", errors="replace")
        problems.append(f"{what} is not valid {name}: undecodable bytes replaced")
        return data.decode(name, errors="replace")


def _encoded_word(match: re.Match[str], what: str, problems: list[str]) -> str:
    charset, encoding, payload = (
        match.group(1).split("*")[0],
        match.group(2).lower(),
        match.group(3),
    )
    try:
        if encoding == "b":
            data = base64.b64decode(payload + "=" * (-len(payload) % 4))
        else:
            data = binascii.a2b_qp(payload.encode("ascii", "replace"), header=True)
    except (binascii.Error, ValueError):
        problems.append(f"{what} has a broken encoded word: kept as it was")
        return match.group(0)
    return decode_bytes(data, charset, what, problems)


def decode_header(value: str | None, what: str, problems: list[str]) -> str:
    """A header value as text: unfolded, 8-bit bytes tolerated, RFC 2047 words decoded."""
    if not value:
        return ""
    value = _FOLD.sub("", str(value))
    raw = value.encode("ascii", "surrogateescape")
    text = raw.decode("ascii") if raw.isascii() else _text_from_bytes(raw, what, problems)
    # Whitespace between two encoded words is not part of the text (RFC 2047, section 6.2).
    text = _BETWEEN_WORDS.sub(r"\1", text)
    return _ENCODED_WORD.sub(lambda m: _encoded_word(m, what, problems), text).strip()


def header(message: Message, name: str, problems: list[str]) -> str:
    """The first `name` header of the message, decoded ("" when absent)."""
    return decode_header(message.get(name), name, problems)


def addresses(message: Message, name: str, problems: list[str]) -> tuple[Address, ...]:
    """The mailboxes of an address header. Split before decoding: an encoded display name may
    hold a comma ("Doe, Jane") that is not a separator."""
    raw = [_FOLD.sub("", str(value)) for value in message.get_all(name, [])]
    found = []
    for display, address in getaddresses(raw):
        address = decode_header(address, name, problems).strip().strip("<>").lower()
        if address:
            found.append(Address(address, decode_header(display, name, problems).strip('" ')))
    if raw and not found:
        problems.append(f"{name} header has no address that can be read")
    return tuple(found)


def _base64(text: str, what: str, problems: list[str]) -> bytes:
    """Base64 as strictly as possible, else whatever of it decodes: stray characters dropped,
    padding mended (where the stdlib would hand back the undecoded text)."""
    # Anything not ASCII cannot be base64 (and may come back from the parser as U+FFFD).
    data = text.encode("ascii", "ignore")
    joined = b"".join(data.split())
    try:
        return base64.b64decode(joined, validate=True)
    except binascii.Error:
        problems.append(f"{what} has broken base64: decoded as far as possible")
    clean = _NOT_BASE64.sub(b"", joined)  # padding too: it is put back where it belongs
    if len(clean) % 4 == 1:
        clean = clean[:-1]  # one character alone encodes no byte
    return base64.b64decode(clean + b"=" * (-len(clean) % 4))


def _payload(part: Message, what: str, problems: list[str]) -> bytes:
    """The part's bytes with its transfer encoding undone, noting broken base64 or QP."""
    cte = str(part.get("content-transfer-encoding", "")).strip().lower()
    raw = part.get_payload(decode=False)
    if cte == "base64" and isinstance(raw, str):
        return _base64(raw, what, problems)
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return b""
    if cte == "quoted-printable" and isinstance(raw, str) and _BAD_QP.search(raw):
        problems.append(f"{what} has broken quoted-printable: kept the undecodable parts")
    return data


def _filename(part: Message, index: int, problems: list[str]) -> str:
    raw = part.get_filename()
    name = decode_header(raw, "an attachment's filename", problems) if raw else ""
    name = _UNSAFE_FILENAME.sub("_", name).strip(" ._")
    return name[:200] or f"attachment-{index}"


def _attachment(part: Message, index: int, limit: int, problems: list[str]) -> Attachment:
    filename = _filename(part, index, problems)
    content_type = part.get_content_type()
    if content_type == "message/rfc822" and part.is_multipart():
        inner = part.get_payload(0)
        data = inner.as_bytes() if isinstance(inner, Message) else b""
    else:
        data = _payload(part, f"attachment {filename!r}", problems)
    if len(data) > limit:
        return Attachment(filename, content_type, len(data), b"", too_large=True)
    return Attachment(filename, content_type, len(data), data)


def _is_body(part: Message) -> bool:
    if part.get_content_type() not in ("text/plain", "text/html"):
        return False
    return part.get_content_disposition() != "attachment" and not part.get_filename()


def _leaves(part: Message) -> list[Message]:
    """Leaf parts in order; a forwarded message (message/rfc822) is one leaf, not a tree."""
    if part.get_content_type() == "message/rfc822" or not part.is_multipart():
        return [part]
    children = part.get_payload()
    if not isinstance(children, list):
        return [part]
    return [leaf for child in children for leaf in _leaves(child)]


@dataclass(frozen=True)
class Body:
    """What the parts add up to: the text, whether it came from HTML, and the attachments."""

    text: str
    html_only: bool
    attachments: tuple[Attachment, ...]


def read_body(message: Message, *, limit: int, problems: list[str]) -> Body:
    """The body text (text/plain preferred, HTML converted) and the attachments."""
    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    for leaf in _leaves(message):
        if _is_body(leaf):
            subtype = leaf.get_content_subtype()
            what = f"the text/{subtype} part"
            data = _payload(leaf, what, problems)
            text = decode_bytes(data, leaf.get_content_charset(), what, problems)
            (plain if subtype == "plain" else html).append(text)
        else:
            attachments.append(_attachment(leaf, len(attachments) + 1, limit, problems))
    if plain:
        return Body("\n".join(plain), False, tuple(attachments))
    if html:
        return Body("\n".join(html_to_text(page) for page in html), True, tuple(attachments))
    return Body("", False, tuple(attachments))
