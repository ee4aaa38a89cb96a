"""Sample answers for any playbook's intake form (placeholders only: example.com, 555 numbers),
and the same answers as Slack sends them in a modal's `state.values`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slackbot.domain.playbooks import FieldKind, IntakeField, Playbook
from slackbot.render.ids import VALUE, field_id_of

#: When the sample problem happened (shown as a Slack date in the reader's zone).
SAMPLE_OCCURRED_AT = datetime(2026, 11, 17, 17, 20, tzinfo=UTC)

#: Free-text answers by field id, where the shipped playbooks ask for them.
_BY_ID = {
    "summary": "Prescriber cannot pass identity verification",
    "internal_ticket": "XQ123",
    "agent_phone": "+1 555 555 0101",
    "agent_availability": "Weekdays 9:00-15:00",
    "end_user_first_name": "Pat",
    "end_user_last_name": "Example",
    "end_user_phone": "555-555-0102",
    "preferred_time": "Mornings before 10:00",
    "alternate_contact": "Office manager, 555-555-0104",
    "description": "Sign-in stops at the verification step with error 42.\nTried twice today.",
    "additional_info": "Uses a shared office computer.",
}


def _fit(text: str, limit: int) -> str:
    """`text` cut at a word to fit `limit`."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0]


def _text_sample(spec: IntakeField) -> str:
    """A sample answer of a text field, within its limit."""
    if spec.id in _BY_ID:
        return _fit(_BY_ID[spec.id], spec.limit)
    if spec.kind is FieldKind.PHONE:
        return "555-555-0103"
    topic = spec.label.lower().rstrip("?: ").split(" (")[0]
    if spec.kind is FieldKind.MULTILINE:
        return _fit(f"Sample {topic}.\nTried: signed out and in again; same result.", spec.limit)
    if "ticket" in spec.id:
        return "CC-1042"
    if "availability" in spec.id or "time" in spec.id:
        return "Weekdays 9:00-15:00"
    return _fit(f"Sample {topic}", spec.limit)


def sample_value(spec: IntakeField) -> Any:
    """What a careful agent would answer for one playbook field (as stored on the case)."""
    kind = spec.kind
    if kind is FieldKind.EMAIL:
        return "pat@clinic.example.com"
    if kind is FieldKind.TIMEZONE:
        return "America/Los_Angeles" if spec.id.startswith("agent") else "America/New_York"
    if kind is FieldKind.DATETIME:
        return SAMPLE_OCCURRED_AT.isoformat()
    if kind is FieldKind.CHOICE:
        return spec.choices[0]
    if kind is FieldKind.PEOPLE:
        return ["U0DANA001"]
    if kind is FieldKind.FILE:
        return []
    return _text_sample(spec)


def sample_fields(playbook: Playbook) -> dict[str, Any]:
    """Sample answers for every field of the playbook, by field id."""
    return {spec.id: sample_value(spec) for spec in playbook.fields}


def sample_common(playbook: Playbook) -> dict[str, str]:
    """Sample answers of the fields every intake form has."""
    category = next((c for c in playbook.categories if c.blocker), playbook.categories[0])
    return {
        "summary": _BY_ID["summary"] if playbook.id == "idv" else f"{playbook.title}: blocked",
        "internal_ticket": _BY_ID["internal_ticket"],
        "category": category.id,
        "tier": str(playbook.tiers[0].tier) if playbook.tiers else "1",
        "requester_type": playbook.requester_types[0],
    }


def _selected(element: dict[str, Any], wanted: str | None) -> dict[str, Any] | None:
    options = element.get("options") or []
    for option in options:
        if option.get("value") == wanted:
            return option
    return options[0] if options else None


def _state_of(element: dict[str, Any], wanted: Any) -> dict[str, Any]:
    """One element's state as Slack reports it, holding `wanted` (or a fitting sample)."""
    kind = element.get("type")
    state: dict[str, Any] = {"type": kind}
    if kind in ("plain_text_input", "email_text_input", "url_text_input", "number_input"):
        state["value"] = "" if wanted is None else str(wanted)
    elif kind in ("static_select", "radio_buttons"):
        state["selected_option"] = _selected(element, wanted)
    elif kind == "checkboxes":
        chosen = wanted if isinstance(wanted, list) else []
        state["selected_options"] = [
            o for o in element.get("options") or [] if o.get("value") in chosen
        ]
    elif kind == "multi_users_select":
        state["selected_users"] = wanted if isinstance(wanted, list) else []
    elif kind == "users_select":
        state["selected_user"] = wanted
    elif kind == "datetimepicker":
        when = datetime.fromisoformat(wanted) if isinstance(wanted, str) else SAMPLE_OCCURRED_AT
        state["selected_date_time"] = int(when.timestamp())
    elif kind == "datepicker":
        state["selected_date"] = SAMPLE_OCCURRED_AT.date().isoformat()
    elif kind == "file_input":
        state["files"] = []
    return state


def view_state(view: dict[str, Any], answers: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`state.values` for every input block of `view`: `answers` by field id (or block id),
    the block's initial value, else a sample that fits the element."""
    values: dict[str, dict[str, Any]] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        block_id = block.get("block_id", "")
        element = block.get("element") or {}
        key = field_id_of(block_id)
        wanted = answers.get(key, answers.get(block_id))
        if wanted is None:
            wanted = element.get("initial_value")
        if wanted is None and element.get("initial_option"):
            wanted = element["initial_option"].get("value")
        if wanted is None and element.get("type") in ("plain_text_input",):
            wanted = "" if block.get("optional") else f"Sample {_label(block).lower()}"
        values[block_id] = {element.get("action_id", VALUE): _state_of(element, wanted)}
    return values


def _label(block: dict[str, Any]) -> str:
    label = block.get("label") or {}
    return str(label.get("text", "answer")) if isinstance(label, dict) else str(label)


def intake_answers(playbook: Playbook) -> dict[str, Any]:
    """Everything the sample agent types into the playbook's intake form, by field id."""
    return {**sample_common(playbook), **sample_fields(playbook)}


def _shown_initial(element: dict[str, Any], state: dict[str, Any]) -> None:
    """Put a submitted state back on its element as its initial value (to show the answers)."""
    if "value" in state and state["value"]:
        element["initial_value"] = state["value"]
    elif state.get("selected_option"):
        element["initial_option"] = state["selected_option"]
    elif state.get("selected_options"):
        element["initial_options"] = state["selected_options"]
    elif state.get("selected_users"):
        element["initial_users"] = state["selected_users"]
    elif state.get("selected_date_time"):
        element["initial_date_time"] = state["selected_date_time"]


def filled_view(view: dict[str, Any], values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A copy of `view` showing the answers of `values` (its `state.values`) in their inputs."""
    blocks = []
    for block in view.get("blocks", []):
        block = dict(block)
        if block.get("type") == "input":
            element = dict(block.get("element") or {})
            state = values.get(block.get("block_id", ""), {}).get(element.get("action_id", VALUE))
            if state:
                _shown_initial(element, state)
            block["element"] = element
        blocks.append(block)
    return {**view, "blocks": blocks}
