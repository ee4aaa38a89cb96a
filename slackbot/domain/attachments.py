"""Attachment rules: what one email can carry, and file names safe for a MIME header.

Pure: the descriptors (`{id, name, mimetype, size}`) are checked before anything is queued;
the adapter (slackbot.outbound.attachments) checks again while downloading.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

MB = 1024 * 1024
#: Slack's file_input takes at most 10 files of at most 10 MB each
#: (https://docs.slack.dev/reference/block-kit/block-elements/file-input-element).
MAX_FILES = 10
MAX_FILE_BYTES = 10 * MB
#: Common SMTP size limits (Gmail, Outlook.com, many hosted servers) are 25 MB, measured on the
#: message as sent. Base64 turns every 3 bytes into 4 and adds a CRLF every 76 characters, so
#: attachments grow by about 37%: 17 MB of files is about 24.4 million bytes on the wire, which
#: leaves room for the text, HTML and headers. (20 MB would be about 28.7 million: refused.)
MAX_TOTAL_BYTES = 17 * MB


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f]+")
_MAX_NAME = 150


def megabytes(size: int) -> str:
    """A size for people, in MB."""
    return f"{size / MB:.1f} MB"


def size_of(descriptor: dict[str, Any]) -> int:
    """The declared size of a file, 0 when unknown."""
    size = descriptor.get("size")
    return size if isinstance(size, int) and size > 0 else 0


def clean_filename(name: str | None, *, fallback: str = "attachment") -> str:
    """A file name safe for a MIME header and any mail client's disk: no line breaks or paths."""
    cleaned = _UNSAFE_NAME.sub(" ", name or "")
    cleaned = cleaned.replace("/", "_").replace("\\", "_")
    cleaned = " ".join(cleaned.split()).lstrip(". ")
    if len(cleaned) > _MAX_NAME:
        stem, dot, extension = cleaned.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            cleaned = stem[: _MAX_NAME - len(extension) - 1].rstrip() + "." + extension
        else:
            cleaned = cleaned[:_MAX_NAME].rstrip()
    return cleaned or fallback


def label(descriptor: dict[str, Any]) -> str:
    """A file's name for people: its cleaned name, else its id."""
    return clean_filename(descriptor.get("name"), fallback=str(descriptor.get("id") or "a file"))


def attachment_problems(attachments: Sequence[dict[str, Any]]) -> list[str]:
    """Sentences saying why these attachments would be refused; empty when they can be sent."""
    problems: list[str] = []
    if len(attachments) > MAX_FILES:
        problems.append(
            f"{len(attachments)} files are attached; at most {MAX_FILES} can be sent with one "
            f"email: remove {len(attachments) - MAX_FILES}"
        )
    for descriptor in attachments:
        if size_of(descriptor) > MAX_FILE_BYTES:
            problems.append(
                f"“{label(descriptor)}” is {megabytes(size_of(descriptor))}; attachments may be "
                f"at most {MAX_FILE_BYTES // MB} MB each: remove it or attach a smaller one"
            )
    total = sum(size_of(descriptor) for descriptor in attachments)
    if total > MAX_TOTAL_BYTES:
        problems.append(
            f"the attachments add up to {megabytes(total)}; one email can carry at most "
            f"{MAX_TOTAL_BYTES // MB} MB: remove some or attach smaller ones"
        )
    return problems
