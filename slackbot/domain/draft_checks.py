"""What makes a composed draft unsafe to send as it is: pure checks, run again at Send.

Composition says what is *missing* (`handoff.missing_details`); these say what is *wrong*: an
address that is not one, a line break smuggled into a header, an empty subject or body.
"""

from __future__ import annotations

import re

from slackbot.domain.handoff import Draft
from slackbot.domain.intake import is_email

#: Header fields longer than this are refused (RFC 5322 allows 998 characters a line).
SUBJECT_LIMIT = 250
_HEADER_UNSAFE = re.compile(r"[\r\n\x00]")


def email_problems(draft: Draft) -> list[str]:
    """What makes a draft unsafe to send as it is: bad addresses, header injection."""
    problems: list[str] = []
    for address in (*draft.to, *draft.cc, *((draft.reply_to,) if draft.reply_to else ())):
        if _HEADER_UNSAFE.search(address) or not is_email(address):
            problems.append(f"“{address[:80]}” is not a valid email address")
    if _HEADER_UNSAFE.search(draft.subject):
        problems.append("the subject contains a line break, which an email header can't carry")
    if len(draft.subject) > SUBJECT_LIMIT:
        problems.append(f"the subject is longer than {SUBJECT_LIMIT} characters")
    if not draft.subject.strip():
        problems.append("the subject is empty")
    for ref in (draft.in_reply_to or "", *draft.references):
        if _HEADER_UNSAFE.search(ref):
            problems.append("a threading header contains a line break")
    if not draft.text.strip():
        problems.append("the body is empty")
    return problems
