"""Slack callback and action ids: the vocabulary between our views and our listeners."""

from __future__ import annotations

from enum import StrEnum


class CallbackId(StrEnum):
    """Modal callback ids."""

    PICK_PLAYBOOK = "escalate_pick_playbook"
    INTAKE = "escalate_intake"


class BlockId(StrEnum):
    """Fixed block ids (intake field blocks are `f_<field id>`)."""

    PLAYBOOK = "playbook"


VALUE = "value"


def field_block_id(field_id: str) -> str:
    """The block id that carries an intake field."""
    return f"f_{field_id}"


def field_id_of(block_id: str) -> str:
    """The intake field id a block id carries."""
    return block_id.removeprefix("f_")


class CaseAction(StrEnum):
    """Action ids of the buttons on a case's root message (their value is the case id)."""

    ACKNOWLEDGE = "case_acknowledge"
    ESCALATE = "case_escalate"
    RESOLVE = "case_resolve"
    REOPEN = "case_reopen"
    ADD_UPDATE = "case_add_update"
    #: Issue 13: the vendor asked us for details; edit the case; assign it (a users select).
    NEEDS_INFO = "case_needs_info"
    EDIT = "case_edit"
    ASSIGN = "case_assign"


class VendorAction(StrEnum):
    """Buttons on a case's root message that write to the receiving side (value: case id)."""

    PREVIEW_HANDOFF = "vendor_preview_handoff"
    REOPEN = "vendor_reopen"
    LEADERSHIP = "vendor_leadership"
    TECHNICAL = "vendor_technical"
    NOT_VENDOR_ISSUE = "vendor_not_their_issue"
    #: Issue 13: the technical escalation while it waits for our engineers (says why not),
    #: their assessment, and a call-out time asked of the vendor and then confirmed by them.
    TECHNICAL_WAITS = "vendor_technical_waits"
    ASSESSED = "vendor_assessed"
    REQUEST_CALLOUT = "vendor_request_callout"
    CALLOUT_CONFIRMED = "vendor_callout_confirmed"
    #: While the vendor waits on us: reply on their thread with what they asked for.
    SEND_DETAILS = "vendor_send_details"


class EmailAction(StrEnum):
    """Buttons on an email preview in a case thread (value: the draft id)."""

    SEND = "email_send"
    EDIT = "email_edit"
    VIEW = "email_view"


class CaseView(StrEnum):
    """Callback ids of the case modals."""

    ADD_UPDATE = "case_add_update"
    EDIT_EMAIL = "email_edit"
    NOT_VENDOR_ISSUE = "case_not_vendor_issue"
    NEEDS_INFO = "case_needs_info"
    EDIT_CASE = "case_edit"
    ASSESSMENT = "case_assessment"
    CALLOUT = "case_callout"
    SEND_DETAILS = "case_send_details"


class EmergencyCallback(StrEnum):
    """`/emergency` modal callback ids."""

    PAGE = "emergency_page"


class EmergencyBlock(StrEnum):
    """Block ids of the `/emergency` modal (the form key is the id without `em_`)."""

    PLAYBOOK = "em_playbook"
    SYSTEM = "em_system"
    WHAT_IS_DOWN = "em_what_is_down"
    SINCE = "em_since"
    IMPACT = "em_impact"
    CASE = "em_case"
    CRITERIA = "em_criteria"
    PAGE_AGAIN = "em_page_again"


class EmergencyAction(StrEnum):
    """Buttons of the emergency route."""

    PAGE_ON_CALL = "emergency_page_on_call"
    ACKNOWLEDGED = "emergency_acknowledged"
    PAGE_AGAIN = "emergency_page_again"


class HomeAction(StrEnum):
    """The App Home tab's buttons."""

    OPEN_THREAD = "home_open_thread"
    PREVIOUS_PAGE = "home_previous_page"
    NEXT_PAGE = "home_next_page"


class InboundAction(StrEnum):
    """Buttons on vendors' emails in Slack (value: the inbound message's id)."""

    #: On a proposal in a case thread.
    APPLY = "inbound_apply"
    IGNORE = "inbound_ignore"
    #: On the thread post: the email with contact details, to the presser only.
    VIEW = "inbound_view"
    #: On an unmatched email's summary.
    ATTACH = "inbound_attach"
    DISMISS = "inbound_dismiss"


class InboundView(StrEnum):
    """Callback ids of the inbound-mail modals."""

    ATTACH = "inbound_attach_case"


class IntakeShortcut(StrEnum):
    """Cases from any message and general inquiries (issue 13)."""

    #: The message shortcut "Escalate this message" (manifest.yml's callback_id).
    ESCALATE_MESSAGE = "escalate_message"
    #: The button on the prompt an intake reaction gets (value: the message's channel and ts).
    FROM_REACTION = "escalate_from_reaction"
    #: `/escalate inquiry`: its playbook picker and its form.
    PICK_INQUIRY = "inquiry_pick_playbook"
    INQUIRY = "inquiry_log"


class ResolutionAction(StrEnum):
    """Buttons of the resolution note and the opener's rating (issue 13)."""

    #: On the prompt a reaction or command gets: opens the note form (value: the case id).
    WRITE_NOTE = "case_write_resolution"
    #: On the opener's DM: one button per score (value: "<case id>:<score>").
    RATE = "case_rate"


class ResolutionView(StrEnum):
    """Callback ids of the resolution note and rating modals."""

    NOTE = "case_resolution_note"
    RATING = "case_rating"
