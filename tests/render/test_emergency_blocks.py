"""The emergency route's Block Kit builders, with no fakes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from slackbot.domain.playbooks import DEFAULT_PLAYBOOKS_PATH, load_playbooks
from slackbot.render import emergency_blocks as eb
from slackbot.render.blocks import build_root_message
from storage.models import Case, Page

PLAYBOOKS = load_playbooks(DEFAULT_PLAYBOOKS_PATH)
IDV = PLAYBOOKS.get("idv")
NOW = datetime(2026, 11, 19, 6, 0, tzinfo=UTC)


def a_page(**overrides):
    values = dict(
        id=7,
        case_id=3,
        playbook_id="idv",
        sequence=1,
        dedup_key="ESC-3",
        paged_by="U0AGENT01",
        paged_at=NOW,
        criteria=["A production system is down and inoperative"],
        system="IDV API",
        what_is_down="All calls fail <!channel>",
        since="05:40 UTC",
        impact="Nobody can verify",
        routes={"pagerduty": "sent", "email": "queued", "email_item": 4},
        response_due_at=NOW + timedelta(minutes=30),
    )
    values.update(overrides)
    return Page(**values)


def test_modal_has_every_field_and_the_criteria_as_checkboxes():
    view = eb.build_emergency_modal([IDV], now=NOW, origin_channel="C1", case_id=3)
    blocks = {b.get("block_id"): b for b in view["blocks"] if b.get("block_id")}
    assert set(blocks) == {
        "em_system",
        "em_what_is_down",
        "em_since",
        "em_impact",
        "em_case",
        "em_criteria",
        "em_page_again",
    }
    assert blocks["em_case"]["element"]["initial_value"] == "ESC-3"
    assert blocks["em_criteria"]["optional"] is True
    assert json.loads(view["private_metadata"]) == {"playbook": "idv", "channel": "C1"}


def test_modal_with_several_partners_asks_which():
    other = IDV.model_copy(update={"id": "other", "title": "Other partner"})
    view = eb.build_emergency_modal([IDV, other], now=NOW, origin_channel="C1")
    assert any(b.get("block_id") == "em_playbook" for b in view["blocks"])
    assert json.loads(view["private_metadata"])["playbook"] == ""


def test_siren_message_escapes_typed_text_and_offers_the_buttons():
    text, blocks = eb.build_page_message(a_page(), IDV)
    body = json.dumps(blocks)
    assert text.startswith(":rotating_light: Emergency: on-call paged: ESC-3")
    assert "<!channel>" not in body and "&lt;!channel&gt;" in body
    assert "within 30 minutes" in body
    assert "PagerDuty (sent), email to on-call (queued)" in body
    actions = [e["action_id"] for e in blocks[1]["elements"]]
    assert actions == ["emergency_acknowledged", "emergency_page_again"]


def test_reminder_lists_the_escalation_contacts():
    _, blocks = eb.build_reminder(a_page(), IDV)
    body = json.dumps(blocks)
    for contact in IDV.technical_contacts + IDV.leadership_contacts:
        assert contact.email in body
    assert "emergency_page_again" in body


def test_root_message_offers_page_on_call_only_with_an_emergency_route():
    case = Case(
        id=3,
        playbook_id="idv",
        summary="x",
        status="open",
        priority="high",
        category="access",
        requester_type="Clinician",
        internal_ticket="XQ1",
        opened_by="U1",
        opened_at=NOW,
        updated_at=NOW,
    )
    _, blocks = build_root_message(case, IDV)
    assert blocks[-1]["elements"][0]["action_id"] == "emergency_page_on_call"
    _, plain = build_root_message(
        case.model_copy(update={"playbook_id": "tier3"}), PLAYBOOKS.get("tier3")
    )
    assert "emergency_page_on_call" not in json.dumps(plain)


HOSTILE = "<!channel> <!here> <@U0BOSS01> <#C0SECRET1> & <https://x|y>"


def test_the_siren_messages_notification_text_is_escaped_too():
    page = a_page(system=f"IDV {HOSTILE}", what_is_down=HOSTILE, since=HOSTILE, impact=HOSTILE)
    for updated in (False, True):
        text, blocks = eb.build_page_message(page, IDV, updated=updated)
        everything = text + json.dumps(blocks)
        for raw in ("<!channel>", "<!here>", "<@U0BOSS01>", "<#C0SECRET1>", "<https://x|y>"):
            assert raw not in everything
        assert "&lt;!channel&gt;" in text and "&amp;" in text
