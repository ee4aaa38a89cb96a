"""PII/PHI guard for free text: hand-offs must not carry unnecessary personal or health data.

The seeds forbid unnecessary PII and PHI in escalation emails. Contact details the receiving
party needs have their own fields; everything else typed freely is checked here, and a finding
tells the agent exactly what to remove.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """One piece of text that looks like PII or PHI."""

    kind: str
    excerpt: str

    @property
    def message(self) -> str:
        """What to remove, in words an agent acts on."""
        return f"Remove the {self.kind} (“{self.excerpt}”)"


_SSN = re.compile(r"\b(?!000|666|9\d\d)\d{3}[- ](?!00)\d{2}[- ](?!0000)\d{4}\b")
_SSN_LABELLED = re.compile(r"\b(?:ssn|social security(?: number| no\.?)?)\b\W{0,3}\d{9}\b", re.I)
_DOB = re.compile(
    r"\b(?:dob|d\.o\.b\.?|date of birth|birth ?date|born(?: on)?)\b\W{0,3}"
    r"(?:\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|[A-Za-z]{3,9}\.? \d{1,2},? \d{2,4}|\d{1,2} [A-Za-z]{3,9} \d{2,4})",
    re.I,
)
_MRN = re.compile(
    r"\b(?:mrn|medical record(?: number| no\.?| #)?|chart(?: number| no\.?| #))\b\W{0,3}[A-Z0-9-]{4,}",
    re.I,
)
_MEMBER = re.compile(
    r"\b(?:member|subscriber|policy|medicare|medicaid|insurance)\s*(?:id|number|no\.?|#)\W{0,3}[A-Z0-9-]{5,}",
    re.I,
)
_CARD = re.compile(r"\b(?:\d[ -]?){13,19}\b")
_ICD10 = re.compile(r"\b[A-TV-Z][0-9][0-9AB](?:\.[0-9A-TV-Z]{1,4})\b")
_DIAGNOSIS = re.compile(
    r"\b(?:diagnosed with|diagnosis(?: of| is|:)|dx(?: of|:)|icd-?10|prescribed|"
    r"medications?:|suffers from|treated for|tested positive for|hiv|cancer|diabetes|"
    r"pregnan(?:t|cy)|depression|schizophrenia|chemotherapy|substance (?:abuse|use))\b",
    re.I,
)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _excerpt(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def find_pii(text: str | None) -> list[Finding]:
    """Every piece of `text` that looks like PII or PHI, in order of appearance."""
    if not text:
        return []
    found: list[tuple[int, Finding]] = []
    for pattern, kind in (
        (_SSN, "social security number"),
        (_SSN_LABELLED, "social security number"),
        (_DOB, "date of birth"),
        (_MRN, "medical record number"),
        (_MEMBER, "member or policy number"),
        (_ICD10, "diagnosis code"),
        (_DIAGNOSIS, "health information"),
    ):
        for match in pattern.finditer(text):
            found.append((match.start(), Finding(kind, _excerpt(match.group(0)))))
    for match in _CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        if 13 <= len(digits) <= 19 and _luhn_ok(digits):
            found.append((match.start(), Finding("card number", _excerpt(match.group(0)))))
    found.sort(key=lambda pair: pair[0])
    unique: list[Finding] = []
    for _, finding in found:
        if finding not in unique:
            unique.append(finding)
    return unique


def pii_error(text: str | None) -> str | None:
    """A field error for `text` if it holds PII/PHI, else None."""
    findings = find_pii(text)
    if not findings:
        return None
    what = "; ".join(finding.message for finding in findings[:3])
    return f"{what}. Hand-offs must not carry unnecessary PII or PHI."
