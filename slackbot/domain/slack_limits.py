"""Slack's Block Kit and Web API limits, as plain constants (characters unless said otherwise).

Sources, checked when these were written:
- Slack's reference pages on docs.slack.dev (reference/block-kit/...): the input block
  ("label ... Maximum length for the text in this field is 2000 characters", the same for
  `hint`; `block_id` 255), the option and text composition objects, the select and checkbox
  elements, the header and section blocks, and the modal view object.
- `slack_sdk.models` (the validators Slack's own Python SDK ships): `Option.label_max_length = 75`,
  `Option.value_max_length = 150`, `StaticSelectElement.options_max_length = 100`,
  `InputInteractiveElement.placeholder_max_length = 150`, `ButtonElement.text_max_length = 75`,
  `action_id_max_length = 255`, `CheckboxesElement` (10 options), `View` title/submit/close 24,
  `private_metadata` 3000, `HeaderBlock.text_max_length = 150`, `SectionBlock` text 3000.
"""

from __future__ import annotations

# --- text objects --------------------------------------------------------------------------
#: An option's text (select menus, checkboxes, radio buttons).
OPTION_TEXT = 75
#: An option's value.
OPTION_VALUE = 150
#: A button's text.
BUTTON_TEXT = 75
#: An input element's placeholder.
PLACEHOLDER = 150
#: An input block's label and its hint.
INPUT_LABEL = 2000
INPUT_HINT = 2000
#: A section block's text, and each of its fields.
SECTION_TEXT = 3000
SECTION_FIELD_TEXT = 2000
#: A header block's text.
HEADER_TEXT = 150
#: A modal's title, submit and close buttons.
MODAL_TITLE = 24
MODAL_BUTTON = 24
#: A view's private_metadata.
PRIVATE_METADATA = 3000
#: action_id and block_id.
ACTION_ID = 255
BLOCK_ID = 255
#: The top-level `text` of a message.
MESSAGE_TEXT = 40_000

# --- counts ---------------------------------------------------------------------------------
#: Options in a static select menu.
SELECT_OPTIONS = 100
#: Options in a checkbox group (and in radio buttons).
CHECKBOX_OPTIONS = 10
#: Blocks in a message, and in a modal or Home tab.
MESSAGE_BLOCKS = 50
MODAL_BLOCKS = 100
#: The largest `max_length` a plain_text_input accepts.
PLAIN_TEXT_INPUT_MAX = 3000
