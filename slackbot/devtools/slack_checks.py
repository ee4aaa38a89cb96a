"""What Slack refuses in `blocks` and `view`: parsed with `slack_sdk.models` (which checks
Slack's own per-object rules) and walked for the documented limits (`domain.slack_limits`) that
the models leave out (block counts, checkbox options, unique ids, modal title, metadata size).

Each check returns None when Slack would accept the payload, else one line saying what it would
refuse; the fake answers that with Slack's error name and the line in `response_metadata`.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from slackbot.domain import slack_limits as limits

#: Per element type: which of its list keys hold options, and how many Slack takes.
_OPTION_LIMITS = {
    "static_select": limits.SELECT_OPTIONS,
    "multi_static_select": limits.SELECT_OPTIONS,
    "checkboxes": limits.CHECKBOX_OPTIONS,
    "radio_buttons": limits.RADIO_OPTIONS,
    "overflow": limits.OVERFLOW_OPTIONS,
}
_BLOCK_ELEMENT_COUNTS = {"actions": limits.ACTIONS_ELEMENTS, "context": limits.CONTEXT_ELEMENTS}


def _text(obj: Any) -> str:
    """The text of a text object (or a bare string); '' when absent."""
    if isinstance(obj, dict):
        return str(obj.get("text") or "")
    return str(obj or "")


def _over(what: str, value: Any, limit: int) -> str | None:
    size = len(value)
    return f"{what} is {size} long, over Slack's {limit}" if size > limit else None


class _Walk:
    """One pass over a surface's blocks: the first problem, the block ids seen (unique within
    the surface) and the action ids seen in the current block (unique within it)."""

    def __init__(self) -> None:
        self.action_ids: set[str] = set()
        self.block_ids: set[str] = set()

    def ids(self, kind: str, value: Any, seen: set[str], limit: int) -> str | None:
        if value is None:
            return None
        value = str(value)
        if value in seen:
            return f"{kind} {value[:40]!r} is used twice"
        seen.add(value)
        return _over(kind, value, limit)

    def option(self, where: str, option: dict[str, Any]) -> str | None:
        return (
            _over(f"{where} option text", _text(option.get("text")), limits.OPTION_TEXT)
            or _over(f"{where} option value", str(option.get("value") or ""), limits.OPTION_VALUE)
            or _over(
                f"{where} option description",
                _text(option.get("description")),
                limits.OPTION_DESCRIPTION,
            )
        )

    def element(self, element: dict[str, Any]) -> str | None:
        kind = str(element.get("type", ""))
        problem = self.ids("action_id", element.get("action_id"), self.action_ids, limits.ACTION_ID)
        if problem:
            return problem
        if kind == "button":
            problem = _over("button text", _text(element.get("text")), limits.BUTTON_TEXT)
            problem = problem or _over(
                "button value", str(element.get("value") or ""), limits.BUTTON_VALUE
            )
        problem = problem or _over(
            f"{kind} placeholder", _text(element.get("placeholder")), limits.PLACEHOLDER
        )
        if kind == "plain_text_input" and int(element.get("max_length") or 0) > (
            limits.PLAIN_TEXT_INPUT_MAX
        ):
            problem = problem or f"plain_text_input max_length over {limits.PLAIN_TEXT_INPUT_MAX}"
        return problem or self.options(kind, element)

    def options(self, kind: str, element: dict[str, Any]) -> str | None:
        options = list(element.get("options") or [])
        for group in element.get("option_groups") or []:
            options.extend(group.get("options") or [])
        limit = _OPTION_LIMITS.get(kind)
        if limit is not None and len(options) > limit:
            return f"{kind} has {len(options)} options, over Slack's {limit}"
        for option in [*options, *(element.get("initial_options") or [])]:
            problem = self.option(kind, option)
            if problem:
                return problem
        return None

    def block(self, block: dict[str, Any]) -> str | None:
        # Slack: a block_id is unique within the message or view, an action_id within its block.
        self.action_ids = set()
        kind = str(block.get("type", ""))
        problem = self.ids("block_id", block.get("block_id"), self.block_ids, limits.BLOCK_ID)
        if kind == "section":
            problem = problem or _over(
                "section text", _text(block.get("text")), limits.SECTION_TEXT
            )
            fields = block.get("fields") or []
            if len(fields) > limits.SECTION_FIELDS:
                problem = (
                    problem or f"section has {len(fields)} fields, over {limits.SECTION_FIELDS}"
                )
            for item in fields:
                problem = problem or _over("section field", _text(item), limits.SECTION_FIELD_TEXT)
        elif kind == "header":
            problem = problem or _over("header text", _text(block.get("text")), limits.HEADER_TEXT)
        elif kind == "input":
            problem = (
                problem
                or _over("input label", _text(block.get("label")), limits.INPUT_LABEL)
                or _over("input hint", _text(block.get("hint")), limits.INPUT_HINT)
            )
        elements = list(block.get("elements") or []) if kind in ("actions", "context") else []
        limit = _BLOCK_ELEMENT_COUNTS.get(kind)
        if limit is not None and len(elements) > limit:
            problem = problem or f"{kind} block has {len(elements)} elements, over {limit}"
        if block.get("accessory"):
            elements.append(block["accessory"])
        if block.get("element"):
            elements.append(block["element"])
        for element in elements:
            if isinstance(element, dict) and element.get("type") not in ("mrkdwn", "plain_text"):
                problem = problem or self.element(element)
        return problem


def _parsed(blocks: list[Any]) -> str | None:
    """What slack_sdk's models refuse in the blocks (an unknown type, a broken object)."""
    for index, raw in enumerate(blocks):
        if not isinstance(raw, dict):
            return f"block {index} is not an object"
        try:
            block = Block.parse(raw)
            if block is None or type(block) is Block:
                return f"block {index} has an unknown type {raw.get('type')!r}"
            block.to_dict()  # to_dict validates the block and everything in it
        except (SlackObjectFormationError, TypeError, KeyError, ValueError) as exc:
            return f"block {index} ({raw.get('type')}): {exc}"
    return None


def check_blocks(blocks: Any, *, limit: int = limits.MESSAGE_BLOCKS) -> str | None:
    """None if Slack would take these blocks, else why not."""
    if not isinstance(blocks, list):
        return "blocks must be a list"
    if len(blocks) > limit:
        return f"{len(blocks)} blocks, over Slack's {limit}"
    problem = _parsed(blocks)
    if problem:
        return problem
    walk = _Walk()
    for index, block in enumerate(blocks):
        problem = walk.block(block)
        if problem:
            return f"block {index} ({block.get('type')}): {problem}"
    return None


def _view_texts(view: dict[str, Any]) -> str | None:
    if view.get("type") == "modal" and not _text(view.get("title")):
        return "a modal needs a title"
    for key, limit in (
        ("title", limits.VIEW_TITLE),
        ("submit", limits.VIEW_SUBMIT),
        ("close", limits.VIEW_CLOSE),
    ):
        problem = _over(f"view {key}", _text(view.get(key)), limit)
        if problem:
            return problem
    return _over(
        "private_metadata", str(view.get("private_metadata") or ""), limits.PRIVATE_METADATA
    ) or _over("callback_id", str(view.get("callback_id") or ""), limits.CALLBACK_ID)


def check_view(view: Any) -> str | None:
    """None if Slack would take this modal or Home tab, else why not."""
    if not isinstance(view, dict):
        return "view must be an object"
    if view.get("type") not in ("modal", "home"):
        return f"view type {view.get('type')!r} is neither modal nor home"
    problem = _view_texts(view)
    if problem:
        return problem
    problem = check_blocks(view.get("blocks") or [], limit=limits.VIEW_BLOCKS)
    if problem:
        return problem
    try:
        View(**view).to_dict()
    except (SlackObjectFormationError, TypeError, KeyError, ValueError) as exc:
        return f"view: {exc}"
    return None
