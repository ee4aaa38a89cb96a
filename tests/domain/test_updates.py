"""Validation of the Add update form."""

from slackbot.domain.updates import Update, validate_update


def test_a_note_alone_is_an_update():
    update, errors = validate_update({"note": "  Vendor called the user  "})
    assert errors == {}
    assert update == Update(vendor_ticket=None, vendor_status=None, note="Vendor called the user")
    assert update.as_detail() == {"note": "Vendor called the user"}


def test_an_empty_form_is_refused_under_the_note():
    update, errors = validate_update({"vendor_ticket": " ", "vendor_status": None, "note": ""})
    assert update is None
    assert "note" in errors


def test_limits_and_ticket_shape():
    _, errors = validate_update({"vendor_ticket": "12 34", "vendor_status": "x" * 121})
    assert set(errors) == {"vendor_ticket", "vendor_status"}
    assert "120 characters" in errors["vendor_status"]


def test_pii_in_the_note_or_the_vendor_status_is_a_field_error():
    update, errors = validate_update({"note": "SSN 123-45-6789", "vendor_status": "DOB 4/12/1961"})
    assert update is None and set(errors) == {"note", "vendor_status"}
    assert all("PII" in error for error in errors.values())
