"""User text through every builder that puts it in a Slack message (issue 11), property-based:
whatever is typed around `<!channel> <!here> <@U…> <#C…> & <https://x|y>`, no mention, channel
link, special mention or link of theirs survives raw, in the blocks or in the notification text.
Modals are left out: their text is plain_text, which Slack never parses."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from slackbot.domain.cases import CaseStatus
from slackbot.domain.playbooks import DEFAULT_PLAYBOOKS_PATH, load_playbooks
from slackbot.domain.status_machine import Action, CaseState, apply
from slackbot.domain.updates import Update
from slackbot.render import blocks, case_blocks, email_preview_blocks
from slackbot.render import emergency_blocks as eb
from slackbot.render import reminders as rb
from storage.models import Case, CaseEvent, EmailDraft, Page

NOW = datetime(2026, 11, 18, 17, 0, tzinfo=UTC)
PLAYBOOKS = load_playbooks(DEFAULT_PLAYBOOKS_PATH)
IDV = PLAYBOOKS.get("idv")
#: What a hostile (or careless) person types; none of it may reach Slack as markup.
RAW = ["<!channel>", "<!here>", "<!everyone>", "<@U0HOSTILE>", "<#C0HOSTILE>",
       "<!subteam^S0HOSTILE>", "<https://evil.example|y>", "<mailto:x@example.com|x>"]  # fmt: skip
HOSTILE = st.lists(
    st.sampled_from([*RAW, " & ", "<", ">", "|", "*", "`", "\n"])
    | st.text(st.characters(blacklist_categories=("Cs",)), max_size=8),
    min_size=1,
    max_size=8,
).map("".join)


def _everything(*outputs: Any) -> str:
    return json.dumps(outputs, ensure_ascii=False)


def _clean(*outputs: Any) -> None:
    seen = _everything(*outputs)
    for raw in RAW:
        assert raw not in seen, raw
    assert "<@U0HOSTILE" not in seen and "<#C0HOSTILE" not in seen


def _case(text: str) -> Case:
    return Case(
        id=42,
        playbook_id="idv",
        summary=f"Fails {text}",
        status=CaseStatus.WITH_VENDOR.value,
        tier=1,
        priority="high",
        category="access",
        requester_type="Clinician",
        internal_ticket=text[:60] or "XQ1",
        vendor_ticket=text[:60] or None,
        fields={"description": text, "additional_info": text, "agent_availability": text},
        opened_by="U0AGENT01",
        owner_id="U0DANA001",
        channel_id="C0IDV0001",
        opened_at=NOW,
        updated_at=NOW,
        last_update_at=NOW,
    )


@settings(max_examples=60, deadline=None)
@given(text=HOSTILE)
def test_case_builders_escape_what_people_typed(text):
    case = _case(text)
    events = [
        CaseEvent(id=1, case_id=42, at=NOW, actor="U1", kind="reply", detail={"text": text}),
        CaseEvent(id=2, case_id=42, at=NOW, actor="U1", kind="update", detail={"note": text}),
        CaseEvent(id=3, case_id=42, at=NOW, actor="U1", kind="denied", detail={"reason": text}),
        CaseEvent(
            id=4, case_id=42, at=NOW, actor="U1", kind="moved", to_status="resolved",
            reason=text, detail={"reason": text},
        ),
    ]  # fmt: skip
    moved = apply(CaseState(CaseStatus.OPEN, None, 1), Action.ESCALATE_TIER, actor="U1", top_tier=3)
    _clean(
        blocks.build_root_message(case, IDV),
        blocks.build_case_details(case, IDV),
        blocks.build_case_list([case], PLAYBOOKS, heading="Open cases"),
        blocks.build_case_show(case, IDV, events, "https://example.slack.com/archives/C1/p1"),
        case_blocks.build_move_note(moved, 42, text),
        case_blocks.build_handoff_note(case, IDV, moved, text),
        case_blocks.build_update_note("U1", 42, Update(text[:60], text, text)),
        rb.build_overdue_list([(42, text, next(iter(rb.DeadlineKind)), NOW, "U1")], NOW),
    )


def _draft(text: str) -> EmailDraft:
    return EmailDraft(
        id=7,
        case_id=42,
        purpose="handoff",
        to=["vendor@example.com"],
        cc=[],
        subject=f"AcmeEHR; {text}",
        body=f"Problem: {text}",
        thread_refs=[],
        attachments=[{"name": text}],
        missing=[{"what": text, "how": "press *Edit*"}],
        sender={"user_id": "U0AGENT01", "name": text, "email": ""},
        created_by="U0AGENT01",
        created_at=NOW,
        message_id=f"<{text}@example.com>",
        state="failed",
        error=text,
        queued_by="U0AGENT01",
        queued_at=NOW,
    )


@settings(max_examples=60, deadline=None)
@given(text=HOSTILE)
def test_email_builders_escape_what_people_and_servers_wrote(text):
    draft = _draft(text)
    _clean(
        email_preview_blocks.build_email_preview(draft, receiver=text, private=()),
        email_preview_blocks.build_full_email(draft),
        email_preview_blocks.build_missing(draft),
        email_preview_blocks.build_problems([text]),
        email_preview_blocks.build_queued_note(draft, "U1", text),
        email_preview_blocks.build_sent_note(draft, text),
        email_preview_blocks.build_manual_note(draft, "U1", private=()),
    )


@settings(max_examples=60, deadline=None)
@given(text=HOSTILE)
def test_emergency_builders_escape_what_people_and_pagerduty_wrote(text):
    page = Page(
        id=7,
        case_id=3,
        playbook_id="idv",
        sequence=1,
        dedup_key="ESC-3",
        paged_by="U0AGENT01",
        paged_at=NOW,
        criteria=[text],
        system=text,
        what_is_down=text,
        since=text,
        impact=text,
        routes={"pagerduty": "sent"},
        response_due_at=NOW + timedelta(minutes=30),
        last_error=text,
    )
    _clean(
        eb.build_page_message(page, IDV),
        eb.build_page_message(page, IDV, updated=True),
        eb.build_reminder(page, IDV),
        eb.build_acknowledged(page, by=text, via="pagerduty"),
        eb.build_route_refused(text, text, fallback=True),
    )
