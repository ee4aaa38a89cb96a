"""Modal submissions: intake, Add update, the vendor-email modals and the emergency modal."""

from __future__ import annotations

from slack_bolt import App

from slackbot.listeners.views import (
    add_update,
    emergency,
    inbound_attach,
    intake,
    resolution,
    vendor_modals,
)
from slackbot.render.ids import (
    CallbackId,
    CaseView,
    EmergencyCallback,
    InboundView,
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
    app.view(ResolutionView.NOTE.value)(resolution.handle_resolution_submission)
    app.view(ResolutionView.RATING.value)(resolution.handle_rating_submission)
