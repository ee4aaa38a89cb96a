"""Slack's documented Block Kit and Web API limits, as plain constants.

From https://docs.slack.dev/reference/block-kit/ (blocks, block elements, composition objects),
https://docs.slack.dev/surfaces/modals and the `chat.postMessage` reference. The fake Slack refuses
a payload over any of them; the renderers and the playbook checks cut or refuse before Slack does.
"""

from __future__ import annotations

#: Blocks in one message.
MESSAGE_BLOCKS = 50
#: Blocks in one modal or Home tab view.
VIEW_BLOCKS = 100
#: A section block's text, and each of its fields.
SECTION_TEXT = 3000
SECTION_FIELD_TEXT = 2000
SECTION_FIELDS = 10
#: A header block's plain text.
HEADER_TEXT = 150
#: A context block's elements.
CONTEXT_ELEMENTS = 10
#: An actions block's elements.
ACTIONS_ELEMENTS = 25
#: A button's text, and its value.
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
#: An option's text and value (select menus, checkboxes, radio buttons, overflow).
OPTION_TEXT = 75
OPTION_VALUE = 150
OPTION_DESCRIPTION = 75
#: Options in a select menu; in a checkbox group or radio group; in an overflow menu.
SELECT_OPTIONS = 100
CHECKBOX_OPTIONS = 10
RADIO_OPTIONS = 10
OVERFLOW_OPTIONS = 5
#: An input block's label and hint; any element's placeholder.
INPUT_LABEL = 2000
INPUT_HINT = 2000
PLACEHOLDER = 150
#: A plain-text input's max_length (Slack's own ceiling).
PLAIN_TEXT_INPUT_MAX = 3000
#: A modal's title, submit and close texts.
VIEW_TITLE = 24
VIEW_SUBMIT = 24
VIEW_CLOSE = 24
#: A view's private_metadata, callback_id and external_id.
PRIVATE_METADATA = 3000
CALLBACK_ID = 255
#: An action_id or block_id; unique within a view (or message).
ACTION_ID = 255
BLOCK_ID = 255
#: A message's top-level `text`.
MESSAGE_TEXT = 40000
#: How long a trigger_id may be used after the request that carried it (seconds).
TRIGGER_TTL_SECONDS = 3.0
