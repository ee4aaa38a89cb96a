"""Block Kit builders: pure functions from domain objects to Slack views and messages."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from slackbot.domain.cases import CaseStatus, Priority, case_key
from slackbot.domain.handoff import Purpose
from slackbot.domain.intake import ESCALATION_DEFINITION, SUMMARY_LIMIT
from slackbot.domain.intake_sources import MessageSource, Prefill, Triage
from slackbot.domain.mrkdwn import escape, mention, one_line
from slackbot.domain.playbooks import FieldKind, IntakeField, Playbook, Playbooks
from slackbot.domain.resolution import Resolution
from slackbot.domain.vocabulary import EventKind
from slackbot.render import intake_sources
from slackbot.render.case_blocks import build_case_buttons
from slackbot.render.case_work_blocks import build_manage_row, build_work_context
from slackbot.render.elements import field_element, slack_date
from slackbot.render.elements import option as _option
from slackbot.render.elements import plain as _plain
from slackbot.render.email_blocks import build_vendor_buttons
from slackbot.render.emergency_blocks import build_page_on_call_button
from slackbot.render.ids import VALUE, BlockId, CallbackId, field_block_id, field_id_of
from slackbot.render.long_text import section_blocks
from slackbot.render.resolution_blocks import rating_line, resolution_lines
from storage.models import Case, CaseEvent, CaseListing

# --- /escalate modals ------------------------------------------------------------------------


def build_playbook_picker(
    playbooks: Playbooks, *, origin_channel: str, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """First step of `/escalate` when no playbook was named: choose the escalation path
    (`extra` rides along in the metadata: the message a case is being made from)."""
    metadata = json.dumps({"channel": origin_channel, **(extra or {})}, ensure_ascii=False)
    return {
        "type": "modal",
        "callback_id": CallbackId.PICK_PLAYBOOK,
        "private_metadata": metadata,
        "title": _plain("Escalate a case", 24),
        "submit": _plain("Next", 24),
        "close": _plain("Cancel", 24),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": ESCALATION_DEFINITION}},
            {
                "type": "input",
                "block_id": BlockId.PLAYBOOK,
                "label": _plain("Escalate to"),
                "element": {
                    "type": "static_select",
                    "action_id": VALUE,
                    "placeholder": _plain("Choose who receives it"),
                    "options": [_option(pb.title, pb.id) for pb in playbooks][:100],
                },
                "hint": _plain("Each path asks exactly what its receiving side needs.", 150),
            },
        ],
    }


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool, hint: str = ""):
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label, 2000),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = _plain(hint, 2000)
    return block


def _text(max_length: int, placeholder: str) -> dict[str, Any]:
    return {
        "type": "plain_text_input",
        "action_id": VALUE,
        "max_length": max_length,
        "placeholder": _plain(placeholder, 150),
    }


def _select(options: list[dict[str, Any]], *, initial: int | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "static_select", "action_id": VALUE, "options": options}
    if initial is not None:
        element["initial_option"] = options[initial]
    return element


def _common_inputs(playbook: Playbook) -> list[dict[str, Any]]:
    """The fields every intake form has, whatever the playbook."""
    tiers = [_option(f"{t.tier}: {t.name}", str(t.tier)) for t in playbook.tiers]
    return [
        _input(
            field_block_id("summary"),
            "Summary",
            _text(SUMMARY_LIMIT, "What is blocked, in one line"),
            optional=False,
            hint="Shown on the case's root message. No personal or health details.",
        ),
        _input(
            field_block_id("internal_ticket"),
            "Our ticket number",
            _text(64, "e.g. XQ123"),
            optional=False,
        ),
        _input(
            field_block_id("category"),
            "Category",
            _select([_option(c.label, c.id) for c in playbook.categories]),
            optional=False,
            hint="Access and enrolment blockers are worked first.",
        ),
        _input(field_block_id("tier"), "Tier", _select(tiers, initial=0), optional=False),
        _input(
            field_block_id("requester_type"),
            "Who is affected",
            _select([_option(r, r) for r in playbook.requester_types]),
            optional=False,
        ),
    ]


def build_intake_modal(
    playbook: Playbook,
    *,
    origin_channel: str,
    prefill: Prefill | None = None,
    source: MessageSource | None = None,
) -> dict[str, Any]:
    """The intake form: common fields, then exactly what this playbook's receiver requires;
    prefilled (and linked back) when it is made from a message."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"*{escape(playbook.title)}*\n{escape(playbook.description)}".strip(),
            },
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": ESCALATION_DEFINITION}]},
        intake_sources.build_inquiry_hint(),
        *_common_inputs(playbook),
        intake_sources.build_triage_input(),
    ]
    if source is not None:
        notes = prefill.notes if prefill else ()
        blocks.insert(1, intake_sources.build_source_context(source, notes))
    for spec in playbook.fields:
        blocks.append(
            _input(
                field_block_id(spec.id),
                spec.label,
                field_element(spec),
                optional=not spec.required,
                hint=spec.help,
            )
        )
    if prefill is not None:
        intake_sources.apply_prefill(blocks, prefill)
    metadata: dict[str, Any] = {"playbook": playbook.id, "channel": origin_channel}
    if source is not None:
        metadata["source"] = source.as_metadata()
    return {
        "type": "modal",
        "callback_id": CallbackId.INTAKE,
        "private_metadata": json.dumps(metadata),
        "title": _plain("Escalate a case", 24),
        "submit": _plain("Open case", 24),
        "close": _plain("Cancel", 24),
        "blocks": blocks[:100],
    }


def parse_view_state(state_values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Turn a submitted view's `state.values` into plain values keyed by field id."""
    values: dict[str, Any] = {}
    for block_id, actions in state_values.items():
        element = actions.get(VALUE)
        if element is None:
            continue
        kind = element.get("type")
        if kind in ("plain_text_input", "email_text_input", "url_text_input", "number_input"):
            value: Any = element.get("value")
        elif kind in ("static_select", "external_select", "radio_buttons"):
            option = element.get("selected_option")
            value = option.get("value") if option else None
        elif kind == "checkboxes":
            value = [option["value"] for option in element.get("selected_options") or []]
        elif kind == "multi_users_select":
            value = element.get("selected_users") or []
        elif kind == "users_select":
            value = element.get("selected_user")
        elif kind == "datetimepicker":
            value = element.get("selected_date_time")
        elif kind == "datepicker":
            value = element.get("selected_date")
        elif kind == "file_input":
            value = [
                {key: item.get(key) for key in ("id", "name", "mimetype", "size", "url_private")}
                for item in element.get("files") or []
            ]
        else:
            value = element.get("value")
        values[field_id_of(block_id)] = value
    return values


def field_errors(errors: dict[str, str]) -> dict[str, str]:
    """Map field-id errors to the block ids Slack shows them under."""
    return {field_block_id(field_id): message[:150] for field_id, message in errors.items()}


# --- the case thread -------------------------------------------------------------------------


def _tier_name(case: Case, playbook: Playbook | None) -> str:
    tier = playbook.tier(case.tier) if playbook else None
    return f"{case.tier}: {tier.name}" if tier else str(case.tier)


def build_root_message(case: Case, playbook: Playbook | None) -> tuple[str, list[dict[str, Any]]]:
    """The case's root message: id, title, status, tier, priority, owner, last update."""
    key = case_key(case.id)
    status = CaseStatus(case.status)
    priority = Priority(case.priority)
    title = escape(one_line(case.summary, 150))
    text = f"{key} [{status.label}] {escape(one_line(case.summary, 150))}"
    fields = [
        f"*Status*\n{status.emoji} {status.label}",
        f"*Tier*\n{escape(_tier_name(case, playbook))}",
        f"*Priority*\n{':rotating_light: ' if priority is Priority.HIGH else ''}{priority.label}",
        f"*Owner*\n{mention(case.owner_id)}",
        f"*Our ticket*\n{escape(case.internal_ticket)}",
        f"*Affected*\n{escape(case.requester_type)}",
    ]
    if case.vendor_ticket:
        fields.append(f"*Vendor ticket*\n{escape(case.vendor_ticket)}")
    if case.vendor_status:
        fields.append(f"*Vendor status*\n{escape(one_line(case.vendor_status, 80))}")
    if case.handed_off_at:
        fields.append(f"*Handed off*\n{slack_date(case.handed_off_at)}")
    receiver = escape(playbook.receiver.name) if playbook else escape(case.playbook_id)
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "block_id": "case_title",
            "text": {"type": "mrkdwn", "text": f"*{key}* · {title}\n_Escalation to {receiver}_"},
        },
        {
            "type": "section",
            "block_id": "case_fields",
            "fields": [{"type": "mrkdwn", "text": item} for item in fields[:10]],
        },
        {
            "type": "context",
            "block_id": "case_updated",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"Opened by {mention(case.opened_by)} {slack_date(case.opened_at)}"
                    f" · last update {slack_date(case.updated_at)}",
                }
            ],
        },
    ]
    work = build_work_context(case)
    if work is not None:
        blocks.append(work)
    blocks.append(build_case_buttons(case, playbook))
    vendor = build_vendor_buttons(case, playbook)
    if vendor is not None:
        blocks.append(vendor)
    manage = build_manage_row(case)
    if manage is not None:
        blocks.append(manage)
    if playbook is not None and playbook.emergency is not None and not status.is_closed:
        blocks.append(build_page_on_call_button(case.id))
    return text, blocks


def _field_value(spec: IntakeField, value: Any) -> str:
    if spec.kind is FieldKind.PEOPLE:
        return ", ".join(mention(user) for user in value)
    if spec.kind is FieldKind.FILE:
        return ", ".join(escape(item.get("name") or "file") for item in value)
    if spec.kind is FieldKind.DATETIME:
        return slack_date(datetime.fromisoformat(value))
    return escape(str(value))


def build_case_details(case: Case, playbook: Playbook) -> tuple[str, list[dict[str, Any]]]:
    """The first thread reply: what was asked (contact details withheld) and the next steps."""
    lines = [f"*Category:* {escape(_category_label(case, playbook))}"]
    withheld: list[str] = []
    for spec in playbook.fields:
        value = case.fields.get(spec.id)
        if value in (None, "", []):
            continue
        if spec.contact:
            withheld.append(spec.label)
            continue
        rendered = _field_value(spec, value)
        if spec.kind is FieldKind.MULTILINE:
            quoted = "\n".join(f">{line}" for line in rendered.splitlines() or [""])
            lines.append(f"*{escape(spec.label)}:*\n{quoted}")
        else:
            lines.append(f"*{escape(spec.label)}:* {rendered}")
    if withheld:
        lines.append(
            f"_Contact details ({escape(', '.join(withheld))}) are on file and go only to "
            f"{escape(playbook.receiver.name)}._"
        )
    if case.triage:
        lines.append(f"*Triage:* {escape(Triage(case.triage).label)}")
    if source_line := intake_sources.build_source_line(case):
        lines.append(source_line)
    steps = [
        "React :eyes: to take it, :hourglass_flowing_sand: once it waits on the receiving side, "
        ":white_check_mark: when resolved.",
        f"Reply in this thread: everything here becomes part of {case_key(case.id)}'s history.",
    ]
    text = f"Details of {case_key(case.id)}"
    blocks = [
        *section_blocks("\n".join(lines)),
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": "*Next steps:* " + " ".join(steps)}],
        },
    ]
    return text, blocks


def _category_label(case: Case, playbook: Playbook | None) -> str:
    category = playbook.category(case.category) if playbook else None
    return category.label if category else case.category


def build_opened_confirmation(case: Case, permalink: str | None) -> str:
    """The ephemeral note to the agent once the case's thread exists."""
    where = f"<{permalink}|its thread>" if permalink else "its thread in the playbook's channel"
    return f":white_check_mark: Opened *{case_key(case.id)}*: follow {where}."


def build_invite_needed(case: Case, channel: str, bot_name: str) -> str:
    """The ephemeral note to the opener when the playbook's private channel has not invited
    the bot: the case is kept and posted as soon as someone invites it."""
    return (
        f":lock: *{case_key(case.id)}* is saved, but the bot is not in {escape(channel)}, a "
        f"private channel, so its thread is not posted yet. Ask a member of {escape(channel)} "
        f"to type `/invite @{escape(bot_name)}` there: the thread appears within a minute."
    )


# --- /escalate help, list, show --------------------------------------------------------------


def build_help(playbooks: Playbooks, extra: Iterable[tuple[str, str]] = ()) -> str:
    """The help text for `/escalate`."""
    lines = [
        "*/escalate* opens a case for something that blocks a user and you could not fix.",
        "• `/escalate` — choose an escalation path and fill its form",
        "• `/escalate <path>` — go straight to a path: "
        + ", ".join(f"`{pb.id}`" for pb in playbooks),
        "• `/escalate list` — your open cases, blockers first; `/escalate list all` — every "
        "open case; `/escalate list closed [week|month]` — cases closed lately",
        "• `/escalate show ESC-42` — one case and its history",
    ]
    lines.extend(f"• `{usage}` — {what}" for usage, what in extra)
    lines.append("• `/escalate help` — this text")
    return "\n".join(lines)


def build_case_list(
    cases: Sequence[Case | CaseListing], playbooks: Playbooks, *, heading: str
) -> str:
    """A compact list of cases, one line each."""
    if not cases:
        return f"{heading}: none."
    lines = [f"*{heading}* ({len(cases)})"]
    for case in cases:
        status = CaseStatus(case.status)
        lines.append(
            f"• *{case_key(case.id)}* {status.emoji} {status.label} · tier {case.tier} · "
            f"{escape(one_line(case.summary, 80))} · {case.playbook_id} · "
            f"owner {mention(case.owner_id)} · updated {slack_date(case.updated_at)}"
        )
    return "\n".join(lines)


def build_case_show(
    case: Case, playbook: Playbook | None, events: Sequence[CaseEvent], permalink: str | None
) -> str:
    """One case with its latest history, for `/escalate show`."""
    status = CaseStatus(case.status)
    lines = [
        f"*{case_key(case.id)}* · {escape(one_line(case.summary, 150))}",
        f"{status.emoji} {status.label} · tier {escape(_tier_name(case, playbook))} · "
        f"{Priority(case.priority).label} · owner {mention(case.owner_id)}",
        f"Our ticket {escape(case.internal_ticket)}"
        + (f" · vendor ticket {escape(case.vendor_ticket)}" if case.vendor_ticket else ""),
        f"Opened by {mention(case.opened_by)} {slack_date(case.opened_at)}",
    ]
    if source_line := intake_sources.build_source_line(case):
        lines.append(source_line)
    if permalink:
        lines.append(f"<{permalink}|Open the thread>")
    resolution = Resolution.from_detail(case.resolution)
    if resolution is not None:
        lines += ["*Resolution note*", *resolution_lines(resolution)]
    if rated := rating_line(case):
        lines.append(rated)
    if events:
        lines.append("*History*")
        for event in events[-15:]:
            lines.append(
                f"• {slack_date(event.at)} {mention(event.actor) if event.actor.startswith(('U', 'W')) else event.actor}: {describe_event(event)}"
            )
    return "\n".join(lines)


def describe_event(event: CaseEvent) -> str:
    """One event in words."""
    moved = ""
    if event.from_status or event.to_status:
        before = CaseStatus(event.from_status).label if event.from_status else "—"
        after = CaseStatus(event.to_status).label if event.to_status else "—"
        moved = f" {before} → {after}"
    via = f" (via {event.via})" if event.via else ""
    detail = event.detail if isinstance(event.detail, dict) else {}
    said = [_purpose_label(detail["purpose"])] if detail.get("purpose") else []
    said += [
        str(detail[key])
        for key in ("note", "reason", "text", "vendor_ticket", "vendor_status")
        if detail.get(key)
    ]
    changes = detail.get("changes") or {}
    said += [f"{name} → {one_line(str(new), 60)}" for name, (_, new) in changes.items()]
    suffix = f": {escape(one_line(' · '.join(said), 200 if changes else 100))}" if said else ""
    if detail.get("to_owner") and event.kind == EventKind.ASSIGNED:
        suffix = f" to {mention(detail['to_owner'])}"
    return f"{event.kind.replace('_', ' ')}{moved}{via}{suffix}"


def _purpose_label(value: object) -> str:
    """An email event's purpose in words ("hand-off"); an unknown one as stored."""
    try:
        return Purpose(str(value)).label
    except ValueError:
        return str(value).replace("_", " ")
