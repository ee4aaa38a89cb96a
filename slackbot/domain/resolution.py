"""The resolution note a case closes with, and the opener's rating of how it went (issue 13).

The marketplace pathway's "account comments" ask for the issue, what was done or advised, and
whether action is still needed (and by whom): a case resolves only with them. Pure: the form's
values in, a `Resolution` or field errors out, the PII guard applied to every free-text field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from slackbot.domain.pii import pii_error

ISSUE_LIMIT = 1500
DONE_LIMIT = 3000
ACTION_BY_LIMIT = 200
COMMENT_LIMIT = 1000
#: The rating scale of the "how did it go" question.
RATINGS = range(1, 6)
YES, NO = "yes", "no"


@dataclass(frozen=True)
class Resolution:
    """What the closing note says."""

    issue: str
    done: str
    action_needed: bool
    action_by: str | None = None

    def as_detail(self) -> dict[str, Any]:
        """The note as stored on the case and in its event log."""
        return asdict(self)

    @classmethod
    def from_detail(cls, detail: Mapping[str, Any] | None) -> Resolution | None:
        """A stored note back (None when there is none)."""
        if not detail or not detail.get("issue"):
            return None
        return cls(
            issue=str(detail.get("issue") or ""),
            done=str(detail.get("done") or ""),
            action_needed=bool(detail.get("action_needed")),
            action_by=detail.get("action_by") or None,
        )


def _clean(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def _text_errors(values: Mapping[str, str], limits: Mapping[str, int]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for field_id, limit in limits.items():
        value = values[field_id]
        if len(value) > limit:
            errors[field_id] = f"Keep it to {limit} characters (this is {len(value)})."
        elif error := pii_error(value):
            errors[field_id] = error
    return errors


def validate_resolution(values: Mapping[str, Any]) -> tuple[Resolution | None, dict[str, str]]:
    """The form's values as a Resolution, or errors keyed by field id."""
    texts = {key: _clean(values.get(key)) for key in ("issue", "done", "action_by")}
    errors = _text_errors(
        texts, {"issue": ISSUE_LIMIT, "done": DONE_LIMIT, "action_by": ACTION_BY_LIMIT}
    )
    needed = _clean(values.get("action_needed")).lower()
    if not texts["issue"]:
        errors.setdefault("issue", "Say what the issue was.")
    if not texts["done"]:
        errors.setdefault("done", "Say what was done or advised.")
    if needed not in (YES, NO):
        errors["action_needed"] = "Say whether anyone still has to act."
    elif needed == YES and not texts["action_by"]:
        errors.setdefault("action_by", "Say who still has to act (a person, a team, the user).")
    if errors:
        return None, errors
    return (
        Resolution(
            issue=texts["issue"],
            done=texts["done"],
            action_needed=needed == YES,
            action_by=(texts["action_by"] or None) if needed == YES else None,
        ),
        {},
    )


@dataclass(frozen=True)
class Rating:
    """The opener's answer to "how did it go"."""

    score: int
    comment: str | None = None


def validate_rating(score: Any, comment: Any) -> tuple[Rating | None, dict[str, str]]:
    """A 1-5 score and an optional comment, or errors keyed by field id."""
    try:
        value = int(str(score).strip())
    except ValueError:
        value = 0
    errors: dict[str, str] = {}
    if value not in RATINGS:
        errors["score"] = "Pick a rating from 1 to 5."
    text = _clean(comment)
    errors.update(_text_errors({"comment": text}, {"comment": COMMENT_LIMIT}))
    if errors:
        return None, errors
    return Rating(score=value, comment=text or None), {}
