"""Is a request shaped as Slack sends it? Checked once, before any listener reads it.

A signed request can still carry what Slack never sends (a forged or broken client's, or a
future field we do not expect): a button press without a user, a modal's text input whose value
is a list, an event whose `item` is a string. Listeners read these fields without asking; so
the request is refused here, with a 400, or, for a modal, with an error under the field, and
no listener, use case or database sees it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slackbot.domain.cases import parse_id
from slackbot.render.ids import (
    CaseAction,
    EmailAction,
    EmergencyAction,
    InboundAction,
    VendorAction,
)
from slackbot.render.reminders import ReminderAction, parse_button_value

#: What each kind of modal input carries, by the key that holds its value.
_TEXT_INPUTS = frozenset({"plain_text_input", "email_text_input", "url_text_input", "number_input"})
_SELECTS = frozenset({"static_select", "external_select", "radio_buttons"})
#: Buttons whose value is a row id (a case, a draft, a page, an inbound email): anything else
#: in it ("abc", a 30-digit number) is a forged press, refused before the ack.
ID_VALUED = frozenset(
    action.value
    for actions in (CaseAction, VendorAction, EmailAction, EmergencyAction, InboundAction)
    for action in actions
)
REMINDER_VALUED = frozenset(action.value for action in ReminderAction)
WRONG_TYPE = "This value is not one this form sends; enter it again."


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused: a bad request (400), or errors under a modal's fields."""

    reason: str
    field_errors: dict[str, str] = field(default_factory=dict)


def _str_or_none(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _user(body: dict[str, Any]) -> bool:
    user = body.get("user")
    return isinstance(user, dict) and isinstance(user.get("id"), str) and bool(user["id"])


def _optional_dict(body: dict[str, Any], *keys: str) -> bool:
    return all(body.get(key) is None or isinstance(body[key], dict) for key in keys)


def _element_ok(element: Any) -> bool:  # noqa: C901 - one branch per input kind, as Slack lists them
    """Whether a modal input's state has the type its kind carries."""
    if not isinstance(element, dict):
        return False
    kind = element.get("type")
    if kind in _TEXT_INPUTS:
        return _str_or_none(element.get("value"))
    if kind in _SELECTS:
        option = element.get("selected_option")
        return option is None or (isinstance(option, dict) and isinstance(option.get("value"), str))
    if kind == "checkboxes":
        options = element.get("selected_options") or []
        return isinstance(options, list) and all(
            isinstance(o, dict) and isinstance(o.get("value"), str) for o in options
        )
    if kind == "multi_users_select":
        users = element.get("selected_users") or []
        return isinstance(users, list) and all(isinstance(u, str) for u in users)
    if kind == "users_select":
        return _str_or_none(element.get("selected_user"))
    if kind == "datetimepicker":
        stamp = element.get("selected_date_time")
        return stamp is None or (isinstance(stamp, int) and not isinstance(stamp, bool))
    if kind == "datepicker":
        return _str_or_none(element.get("selected_date"))
    if kind == "file_input":
        files = element.get("files") or []
        return isinstance(files, list) and all(isinstance(f, dict) for f in files)
    return _str_or_none(element.get("value"))


def _view_submission(body: dict[str, Any]) -> Refusal | None:
    view = body.get("view")
    if not _user(body) or not isinstance(view, dict):
        return Refusal("view_submission without a user or a view")
    if not _optional_dict(body, "team", "enterprise"):
        return Refusal("view_submission with a malformed team")
    if not isinstance(view.get("callback_id"), str) or not _str_or_none(
        view.get("private_metadata")
    ):
        return Refusal("view_submission with a malformed view")
    state = view.get("state") or {}
    values = state.get("values") if isinstance(state, dict) else None
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        return Refusal("view_submission with malformed state")
    errors = {
        block_id: WRONG_TYPE
        for block_id, actions in values.items()
        if not all(_element_ok(element) for element in actions.values())
    }
    return Refusal("wrongly typed modal values", errors) if errors else None


def _block_actions(body: dict[str, Any]) -> Refusal | None:
    actions = body.get("actions")
    if not _user(body) or not isinstance(actions, list) or not actions:
        return Refusal("block_actions without a user or actions")
    if not _optional_dict(body, "channel", "container", "message", "view", "team", "enterprise"):
        return Refusal("block_actions with a malformed channel, container, message or view")
    for action in actions:
        if not isinstance(action, dict) or not isinstance(action.get("action_id"), str):
            return Refusal("block_actions with a malformed action")
        if not _str_or_none(action.get("value")) or not _str_or_none(body.get("trigger_id")):
            return Refusal("block_actions with a malformed value")
        if not _value_ok(action["action_id"], action.get("value")):
            return Refusal("block_actions with a value that is not an id of ours")
    return None


def _value_ok(action_id: str, value: str | None) -> bool:
    """Whether a button of ours carries the kind of value it was built with."""
    if action_id in ID_VALUED:
        return parse_id(value) is not None
    if action_id in REMINDER_VALUED:
        return parse_button_value(value or "")[1] is not None
    return True


#: Event fields our listeners read as strings, and those they read as objects.
_EVENT_STRINGS = ("type", "user", "reaction", "channel", "ts", "thread_ts", "text", "subtype")
_EVENT_OBJECTS = ("item", "message", "view")


def _event_callback(body: dict[str, Any]) -> Refusal | None:
    event = body.get("event")
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        return Refusal("event_callback without an event")
    if not all(_str_or_none(event.get(key)) for key in _EVENT_STRINGS):
        return Refusal("event with a malformed field")
    if not _optional_dict(event, *_EVENT_OBJECTS):
        return Refusal("event with a malformed item")
    item = event.get("item") or {}
    if not all(_str_or_none(item.get(key)) for key in ("type", "channel", "ts")):
        return Refusal("event with a malformed item")
    if not _str_or_none(body.get("event_id")) or not _str_or_none(body.get("team_id")):
        return Refusal("event with a malformed id")
    authorizations = body.get("authorizations")
    if authorizations is not None and not (
        isinstance(authorizations, list) and all(isinstance(a, dict) for a in authorizations)
    ):
        return Refusal("event with malformed authorizations")
    return None


def _command(body: dict[str, Any]) -> Refusal | None:
    fields = ("command", "user_id", "text", "channel_id", "trigger_id")
    if not all(_str_or_none(body.get(key)) for key in fields) or not body.get("user_id"):
        return Refusal("slash command with malformed fields")
    return None


def refusal(body: Any) -> Refusal | None:
    """None when `body` is shaped as Slack sends it; else why not."""
    if not isinstance(body, dict):
        return Refusal("not an object")
    kind = body.get("type")
    if kind == "view_submission":
        return _view_submission(body)
    if kind == "block_actions":
        return _block_actions(body)
    if kind == "event_callback":
        return _event_callback(body)
    if "command" in body:
        return _command(body)
    return None
