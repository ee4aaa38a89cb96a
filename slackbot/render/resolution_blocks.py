"""Block Kit for closing a case with a note, and for asking its opener how it went. Pure."""

from __future__ import annotations

import json
from typing import Any

from slackbot.domain.cases import case_key
from slackbot.domain.mrkdwn import escape, mention, one_line
from slackbot.domain.resolution import (
    ACTION_BY_LIMIT,
    COMMENT_LIMIT,
    DONE_LIMIT,
    ISSUE_LIMIT,
    NO,
    RATINGS,
    YES,
    Rating,
    Resolution,
)
from slackbot.render.elements import plain
from slackbot.render.ids import VALUE, ResolutionAction, ResolutionView, field_block_id
from slackbot.render.long_text import section_blocks
from storage.models import Case

SCORE_WORDS = {1: "very poor", 2: "poor", 3: "all right", 4: "good", 5: "very good"}


def _option(label: str, value: str) -> dict[str, Any]:
    return {"text": plain(label), "value": value}


def _input(
    field_id: str, label: str, element: dict[str, Any], *, optional: bool = False, hint: str = ""
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": field_block_id(field_id),
        "label": plain(label),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 150)
    return block


def _text(limit: int, *, multiline: bool = False, initial: str = "") -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": VALUE, "max_length": limit}
    if multiline:
        element["multiline"] = True
    if initial:
        element["initial_value"] = initial
    return element


def build_resolution_modal(case: Case, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The note a case closes with: the issue, what was done or advised, action still needed.

    `extra` rides in the metadata (a vendor's "resolved" proposal: its id and message)."""
    needed = [_option("Yes", YES), _option("No", NO)]
    return {
        "type": "modal",
        "callback_id": ResolutionView.NOTE,
        "private_metadata": json.dumps({**(extra or {}), "case_id": case.id}),
        "title": plain("Resolve " + case_key(case.id), 24),
        "submit": plain("Resolve"),
        "close": plain("Cancel"),
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"*{case_key(case.id)}* · {escape(one_line(case.summary, 150))}\n"
                    "The note goes in the thread and on the case; no names, contact details "
                    "or health information.",
                },
            },
            _input(
                "issue",
                "The issue",
                _text(ISSUE_LIMIT, multiline=True, initial=one_line(case.summary, 200)),
            ),
            _input("done", "What was done or advised", _text(DONE_LIMIT, multiline=True)),
            _input(
                "action_needed",
                "Is action still needed?",
                {"type": "radio_buttons", "action_id": VALUE, "options": needed},
            ),
            _input(
                "action_by",
                "By whom",
                _text(ACTION_BY_LIMIT),
                optional=True,
                hint="Needed when action is still needed: a team, a role, the end user.",
            ),
        ],
    }


def build_resolution_prompt(case: Case) -> tuple[str, list[dict[str, Any]]]:
    """Answer to a ✅, a command or a vendor's "resolved": the note first, from this button."""
    key = case_key(case.id)
    text = f"{key} closes with a resolution note: press *Write the resolution note*."
    button = {
        "type": "button",
        "action_id": ResolutionAction.WRITE_NOTE,
        "text": plain(":memo: Write the resolution note"),
        "style": "primary",
        "value": str(case.id),
    }
    return text, [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "actions", "elements": [button]},
    ]


def resolution_lines(resolution: Resolution) -> list[str]:
    """The note's lines, escaped (the thread note and `/escalate show`)."""
    action = "no"
    if resolution.action_needed:
        action = "*yes*, by " + escape(resolution.action_by or "someone")
    return [
        "*Issue:* " + escape(resolution.issue),
        "*Done or advised:* " + escape(resolution.done),
        "*Action still needed:* " + action,
    ]


def build_resolution_note(
    case_id: int, actor: str, resolution: Resolution
) -> tuple[str, list[dict[str, Any]]]:
    """The thread note of a resolve: who resolved it, and the whole note (split, never cut)."""
    head = f":white_check_mark: {mention(actor)} resolved {case_key(case_id)}."
    body = "\n".join([head, *resolution_lines(resolution)])
    return head, section_blocks(body)


def build_survey(case: Case) -> tuple[str, list[dict[str, Any]]]:
    """The opener's one question once their case closes: how did it go, 1 to 5."""
    key = case_key(case.id)
    text = f"{key} ({escape(one_line(case.summary, 100))}) is closed. How did it go?"
    buttons = [
        {
            "type": "button",
            "action_id": f"{ResolutionAction.RATE}_{score}",
            "text": plain(f"{score} · {SCORE_WORDS[score]}"),
            "value": f"{case.id}:{score}",
        }
        for score in RATINGS
    ]
    return text, [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "actions", "block_id": f"survey_{case.id}", "elements": buttons},
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": "One answer per case; you can add a comment next."}
            ],
        },
    ]


def build_rating_modal(case_id: int, score: int) -> dict[str, Any]:
    """The chosen score, changeable, and an optional comment."""
    options = [_option(f"{n} · {SCORE_WORDS[n]}", str(n)) for n in RATINGS]
    chosen = next(option for option in options if option["value"] == str(score))
    return {
        "type": "modal",
        "callback_id": ResolutionView.RATING,
        "private_metadata": json.dumps({"case_id": case_id}),
        "title": plain("How did it go?", 24),
        "submit": plain("Send"),
        "close": plain("Cancel"),
        "blocks": [
            _input(
                "score",
                f"Your rating of {case_key(case_id)}",
                {
                    "type": "radio_buttons",
                    "action_id": VALUE,
                    "options": options,
                    "initial_option": chosen,
                },
            ),
            _input(
                "comment",
                "Anything to add?",
                _text(COMMENT_LIMIT, multiline=True),
                optional=True,
                hint="No names, contact details or health information.",
            ),
        ],
    }


def build_rating_thanks(case_id: int, rating: Rating) -> str:
    """What the opener is told once their answer is recorded."""
    return f"Thank you: {case_key(case_id)} rated {rating.score}/5 ({SCORE_WORDS[rating.score]})."


def rating_line(case: Case) -> str | None:
    """The opener's rating for `/escalate show`, if they gave one."""
    if case.rating is None:
        return None
    line = f"*Opener's rating:* {case.rating}/5"
    if case.rating_comment:
        line += " · " + escape(one_line(case.rating_comment, 300))
    return line
