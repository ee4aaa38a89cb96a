"""Button listeners: the case's root message, its vendor-email previews, reminders and pages."""

from __future__ import annotations

from slack_bolt import App

from slackbot.listeners.actions import (
    case_buttons,
    case_work_buttons,
    emergency_buttons,
    inbound_buttons,
    reminder_buttons,
    resolution_buttons,
    vendor_buttons,
)
from slackbot.listeners.events import app_home
from slackbot.render.case_blocks import BUTTON_ACTIONS
from slackbot.render.ids import (
    CaseAction,
    EmailAction,
    EmergencyAction,
    HomeAction,
    InboundAction,
    ResolutionAction,
    VendorAction,
)
from slackbot.render.reminders import SNOOZE_ACTIONS, ReminderAction


def register(app: App) -> None:
    """Register every button."""
    for action_id in BUTTON_ACTIONS:
        app.action(action_id.value)(case_buttons.handle_case_button)
    app.action(CaseAction.ADD_UPDATE.value)(case_buttons.handle_add_update_button)
    for action_id in vendor_buttons.DRAFT_BUTTONS:
        app.action(action_id.value)(vendor_buttons.handle_draft_button)
    app.action(VendorAction.NOT_VENDOR_ISSUE.value)(vendor_buttons.handle_not_vendor_button)
    app.action(EmailAction.SEND.value)(vendor_buttons.handle_send)
    app.action(EmailAction.EDIT.value)(vendor_buttons.handle_edit)
    app.action(EmailAction.VIEW.value)(vendor_buttons.handle_view)
    for action in SNOOZE_ACTIONS:
        app.action(action.value)(reminder_buttons.handle_snooze)
    app.action(ReminderAction.ASK_VENDOR.value)(reminder_buttons.handle_ask_vendor)
    app.action(ReminderAction.ESCALATE_LEADERSHIP.value)(
        reminder_buttons.handle_escalate_leadership
    )
    app.action(ReminderAction.CALLBACK_DONE.value)(reminder_buttons.handle_callback_done)
    app.action(EmergencyAction.PAGE_ON_CALL.value)(emergency_buttons.handle_page_on_call_button)
    app.action(EmergencyAction.ACKNOWLEDGED.value)(emergency_buttons.handle_acknowledged)
    app.action(EmergencyAction.PAGE_AGAIN.value)(emergency_buttons.handle_page_again)
    app.action(HomeAction.PREVIOUS_PAGE.value)(app_home.handle_home_page)
    app.action(HomeAction.NEXT_PAGE.value)(app_home.handle_home_page)
    app.action(HomeAction.OPEN_THREAD.value)(app_home.handle_open_thread)
    app.action(InboundAction.APPLY.value)(inbound_buttons.handle_proposal_button)
    app.action(InboundAction.IGNORE.value)(inbound_buttons.handle_proposal_button)
    app.action(InboundAction.VIEW.value)(inbound_buttons.handle_view_button)
    app.action(InboundAction.ATTACH.value)(inbound_buttons.handle_attach_button)
    app.action(InboundAction.DISMISS.value)(inbound_buttons.handle_dismiss_button)
    app.action(CaseAction.NEEDS_INFO.value)(case_work_buttons.handle_needs_info_button)
    app.action(CaseAction.EDIT.value)(case_work_buttons.handle_edit_case_button)
    app.action(CaseAction.ASSIGN.value)(case_work_buttons.handle_assign_select)
    app.action(VendorAction.TECHNICAL_WAITS.value)(case_work_buttons.handle_technical_waits)
    app.action(VendorAction.ASSESSED.value)(case_work_buttons.handle_assessed_button)
    app.action(VendorAction.REQUEST_CALLOUT.value)(case_work_buttons.handle_request_callout_button)
    app.action(VendorAction.CALLOUT_CONFIRMED.value)(case_work_buttons.handle_callout_confirmed)
    app.action(VendorAction.SEND_DETAILS.value)(case_work_buttons.handle_send_details_button)
    app.action(ResolutionAction.WRITE_NOTE.value)(resolution_buttons.handle_write_note_button)
    for score in range(1, 6):
        app.action(f"{ResolutionAction.RATE.value}_{score}")(resolution_buttons.handle_rate_button)
