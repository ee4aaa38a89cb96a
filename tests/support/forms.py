"""Modal submissions as Slack sends them (state.values), for the shipped playbooks."""

from __future__ import annotations


def idv_values(**overrides):
    """A valid submission of the identity-verification form, as Slack's state.values."""

    def text(value):
        return {"value": {"type": "plain_text_input", "value": value}}

    def select(value):
        return {
            "value": {
                "type": "static_select",
                "selected_option": {"value": value, "text": {"type": "plain_text", "text": value}},
            }
        }

    values = {
        "f_summary": text("Prescriber cannot pass identity verification"),
        "f_internal_ticket": text("XQ123"),
        "f_category": select("access"),
        "f_tier": select("1"),
        "f_requester_type": select("Clinician"),
        "f_agent_phone": text("+1 555 555 0101"),
        "f_agent_timezone": select("America/Los_Angeles"),
        "f_agent_availability": text("Weekdays 9:00-15:00"),
        "f_end_user_first_name": text("Pat"),
        "f_end_user_last_name": text("Example"),
        "f_end_user_email": {
            "value": {"type": "email_text_input", "value": "pat@clinic.example.com"}
        },
        "f_end_user_phone": text("555-555-0102"),
        "f_preferred_contact": select("Phone"),
        "f_preferred_time": text("Mornings"),
        "f_end_user_timezone": select("America/New_York"),
        "f_alternate_contact": text(""),
        "f_description": text("Verification fails at the selfie step with error 42."),
        "f_occurred_at": {"value": {"type": "datetimepicker", "selected_date_time": 1763400000}},
        "f_screenshots": {"value": {"type": "file_input", "files": []}},
        "f_additional_info": text(""),
    }
    values.update(overrides)
    return values
