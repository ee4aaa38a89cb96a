"""Modal submissions: intake, Add update, the vendor-email modals and the emergency modal."""

from __future__ import annotations

from slack_bolt import App

from slackbot.listeners.views import (
    add_update,
    case_work_views,
    emergency,
    inbound_attach,
    inquiry,
    intake,
    resolution,
    vendor_modals,
)
from slackbot.render.ids import (
    CallbackId,
    CaseView,
    EmergencyCallback,
    InboundView,
    IntakeShortcut,
    ResolutionView,
)


def register(app: App) -> None:
    """Register every modal's submission."""
    app.view(CallbackId.PICK_PLAYBOOK.value)(intake.handle_pick_playbook)
    app.view(CallbackId.INTAKE.value)(intake.handle_intake)
    app.view(CaseView.ADD_UPDATE.value)(add_update.handle_add_update_submission)
    app.view(CaseView.EDIT_EMAIL.value)(vendor_modals.handle_edit_submission)
    app.view(CaseView.NOT_VENDOR_ISSUE.value)(vendor_modals.handle_not_vendor_submission)
    app.view(EmergencyCallback.PAGE.value)(emergency.handle_emergency_submission)
    app.view(InboundView.ATTACH.value)(inbound_attach.handle_attach_submission)
    app.view(CaseView.NEEDS_INFO.value)(case_work_views.handle_needs_info_submission)
    app.view(CaseView.EDIT_CASE.value)(case_work_views.handle_edit_case_submission)
    app.view(CaseView.ASSESSMENT.value)(case_work_views.handle_assessment_submission)
    app.view(CaseView.CALLOUT.value)(case_work_views.handle_callout_submission)
    app.view(CaseView.SEND_DETAILS.value)(case_work_views.handle_send_details_submission)
    app.view(IntakeShortcut.PICK_INQUIRY.value)(inquiry.handle_pick_inquiry)
    app.view(IntakeShortcut.INQUIRY.value)(inquiry.handle_inquiry)
    app.view(ResolutionView.NOTE.value)(resolution.handle_resolution_submission)
    app.view(ResolutionView.RATING.value)(resolution.handle_rating_submission)
