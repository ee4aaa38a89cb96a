"""The rules of a playbook that span keys, and the Slack limits its values reach.

They read the raw TOML table (a dict, possibly of the wrong shapes: those are the model's to
report), so that `playbooks check` can say every problem of a file in one run, whatever else in
the same playbook is broken. Each rule yields `(key, rule)`: the dotted key and what is wrong,
naming the limit.

The limits (`slack_limits`) are Slack's documented ones (docs.slack.dev, reference/block-kit:
the input block's label and hint 2000, the option object's text 75 and value 150, a placeholder
150, a static select's 100 options, a checkbox group's 10, a modal's 100 blocks); `slack_sdk`'s
own models check the same (`Option.label_max_length = 75`, `value_max_length = 150`,
`StaticSelectElement.options_max_length = 100`, `placeholder_max_length = 150`), which the
tests run on a playbook at every limit.
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from typing import Any

from slackbot.domain import slack_limits as limits

#: Fields every intake form has, whatever the playbook; playbook fields may not reuse these ids.
COMMON_FIELD_IDS = ("summary", "internal_ticket", "category", "tier", "requester_type")
#: What a subject template may name besides the playbook's own field ids.
SUBJECT_PLACEHOLDERS = ("case_id", "summary", "internal_ticket", "vendor_ticket")
#: Blocks the intake modal shows besides the playbook's fields: the title section, the
#: definition context and the common inputs (render/blocks.py `build_intake_modal`).
INTAKE_FIXED_BLOCKS = 2 + len(COMMON_FIELD_IDS)
#: The largest playbook field list the intake modal can hold.
MAX_FIELDS = limits.VIEW_BLOCKS - INTAKE_FIXED_BLOCKS

#: How playbooks.template.toml marks what a new partner must supply.
FILL_IN = "FILL IN"

Problem = tuple[str, str]


def is_fill_in(rule: str) -> bool:
    """Whether a rule is the template's "fill in" (which makes the key's other problems moot)."""
    return rule.startswith("fill in")


def _fill_ins(node: Any, key: str) -> Iterator[Problem]:
    if isinstance(node, str) and node.startswith(FILL_IN):
        yield key, "fill in: " + node.removeprefix(FILL_IN).lstrip(": ").strip()
    elif isinstance(node, dict):
        for name, value in node.items():
            yield from _fill_ins(value, f"{key}.{name}" if key else str(name))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _fill_ins(value, f"{key}[{i}]")


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _tables(value: Any) -> list[tuple[int, dict[str, Any]]]:
    return [(i, item) for i, item in enumerate(_items(value)) if isinstance(item, dict)]


def _too_long(key: str, value: Any, limit: int, what: str) -> Iterator[Problem]:
    if isinstance(value, str) and len(value) > limit:
        yield key, f"{len(value)} characters; Slack's limit for {what} is {limit}"


def _too_many(key: str, value: Any, limit: int, what: str) -> Iterator[Problem]:
    if len(_items(value)) > limit:
        yield key, f"{len(_items(value))} entries; Slack's limit for {what} is {limit}"


def _not_empty(key: str, value: Any) -> Iterator[Problem]:
    if isinstance(value, list | tuple) and not value:
        yield key, "an empty menu; Slack needs at least one option in a select menu"


def _options(key: str, values: Any, what: str) -> Iterator[Problem]:
    """Entries shown as select options whose text is also their value."""
    yield from _too_many(key, values, limits.SELECT_OPTIONS, f"options in a {what}")
    seen: set[str] = set()
    for i, value in enumerate(_items(values)):
        yield from _too_long(f"{key}[{i}]", value, limits.OPTION_TEXT, "an option's text")
        if not isinstance(value, str):
            continue
        if value in seen:
            yield f"{key}[{i}]", f"{value!r} appears twice; each option must be distinct"
        seen.add(value)


def _field_problems(fields: Any) -> Iterator[Problem]:
    yield from _too_many(
        "fields",
        fields,
        MAX_FIELDS,
        f"blocks in a modal ({limits.VIEW_BLOCKS}, of which the common inputs take "
        f"{INTAKE_FIXED_BLOCKS}): fields",
    )
    ids = [field.get("id") for _, field in _tables(fields)]
    for dupe in sorted({i for i in ids if isinstance(i, str) and ids.count(i) > 1}):
        yield "fields", f"field id {dupe!r} is used twice; field ids must be unique"
    for reserved in sorted(set(ids) & set(COMMON_FIELD_IDS)):
        yield "fields", f"field id {reserved!r} is reserved for the common fields"
    for i, field in _tables(fields):
        key = f"fields[{i}]"
        yield from _too_long(
            f"{key}.placeholder", field.get("placeholder"), limits.PLACEHOLDER, "a placeholder"
        )
        yield from _options(f"{key}.choices", field.get("choices"), "select menu")
        length = field.get("max_length")
        if isinstance(length, int) and length > limits.PLAIN_TEXT_INPUT_MAX:
            yield (
                f"{key}.max_length",
                f"{length}; Slack's limit for a text input's max_length is "
                f"{limits.PLAIN_TEXT_INPUT_MAX}",
            )


def _subject_problems(entry: dict[str, Any]) -> Iterator[Problem]:
    receiver = entry.get("receiver")
    template = receiver.get("subject_template") if isinstance(receiver, dict) else None
    if not isinstance(template, str):
        return
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError:
        return  # not a template at all: the receiver's own check says so
    known = {field.get("id") for _, field in _tables(entry.get("fields"))}
    unknown = sorted(set(names) - known - set(SUBJECT_PLACEHOLDERS))
    if unknown:
        yield (
            "receiver.subject_template",
            f"names {unknown}, which are neither field ids nor {', '.join(SUBJECT_PLACEHOLDERS)}",
        )


def _tier_problems(tiers: Any) -> Iterator[Problem]:
    numbers = [tier.get("tier") for _, tier in _tables(tiers)]
    if isinstance(tiers, list | tuple) and not tiers:
        yield "tiers", "`tiers` must list at least one tier"
    elif all(isinstance(n, int) for n in numbers) and numbers != sorted(set(numbers)):
        yield "tiers", "`tiers` must list distinct tiers in ascending order"
    for i, tier in _tables(tiers):
        # The tier menu shows "2: <name>".
        name = tier.get("name")
        if isinstance(name, str):
            label = f"{tier.get('tier')}: {name}"
            yield from _too_long(
                f"tiers[{i}].name",
                label,
                limits.OPTION_TEXT,
                'an option\'s text (shown as "<tier>: <name>")',
            )


def _category_problems(categories: Any) -> Iterator[Problem]:
    yield from _not_empty("categories", categories)
    yield from _too_many(
        "categories", categories, limits.SELECT_OPTIONS, "options in a select menu"
    )
    ids = [cat.get("id") for _, cat in _tables(categories)]
    for dupe in sorted({i for i in ids if isinstance(i, str) and ids.count(i) > 1}):
        yield "categories", f"category id {dupe!r} is used twice; category ids must be unique"
    for i, cat in _tables(categories):
        yield from _too_long(
            f"categories[{i}].label", cat.get("label"), limits.OPTION_TEXT, "an option's text"
        )


def _emergency_problems(emergency: Any) -> Iterator[Problem]:
    if not isinstance(emergency, dict):
        return
    criteria = emergency.get("criteria")
    # `/emergency` asks to confirm each criterion with a checkbox.
    yield from _too_many(
        "emergency.criteria", criteria, limits.CHECKBOX_OPTIONS, "options in a checkbox group"
    )
    for i, item in enumerate(_items(criteria)):
        yield from _too_long(
            f"emergency.criteria[{i}]", item, limits.OPTION_TEXT, "a checkbox option's text"
        )


def _title_problems(entry: dict[str, Any]) -> Iterator[Problem]:
    title = entry.get("title")
    # The `/escalate` and `/emergency` pickers offer the playbook by its title.
    yield from _too_long("title", title, limits.OPTION_TEXT, "an option's text")
    description = entry.get("description")
    if isinstance(title, str) and isinstance(description, str):
        # The intake form opens with a section "*<title>*\n<description>".
        section = len(title) + len(description) + 3
        if section > limits.SECTION_TEXT:
            yield (
                "description",
                f"title and description make a {section}-character section; Slack's limit for "
                f"a section's text is {limits.SECTION_TEXT}",
            )


def playbook_problems(entry: dict[str, Any]) -> list[Problem]:
    """Every cross-key rule and Slack limit one raw `[[playbook]]` table breaks."""
    filled = list(_fill_ins(entry, ""))
    moot = {key for key, _ in filled}
    rules = [
        *_title_problems(entry),
        *_field_problems(entry.get("fields")),
        *_not_empty("requester_types", entry.get("requester_types")),
        *_options("requester_types", entry.get("requester_types"), "select menu"),
        *_category_problems(entry.get("categories")),
        *_tier_problems(entry.get("tiers")),
        *_emergency_problems(entry.get("emergency")),
        *_subject_problems(entry),
    ]
    return filled + [(key, rule) for key, rule in rules if key not in moot]


def document_problems(playbook_count: int) -> list[Problem]:
    """Rules of the file as a whole."""
    if playbook_count > limits.SELECT_OPTIONS:
        return [
            (
                "playbook",
                f"{playbook_count} playbooks; the `/escalate` picker is a select menu and "
                f"Slack's limit for its options is {limits.SELECT_OPTIONS}",
            )
        ]
    return []
