"""`python -m slackbot playbooks preview [FILE] --playbook ID [--html FILE]`: what a playbook
makes people see, with sample answers, without Slack: the intake form, the root message, the
details reply, the hand-off email as the vendor receives it (subject and body) and a reminder.

It uses the bot's own builders (render/ and domain/), so what it shows is what the bot sends.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from slackbot.devtools import slack_html
from slackbot.devtools.samples import filled_view, intake_answers, view_state
from slackbot.devtools.slack_html import Names, Scene
from slackbot.devtools.slack_text import message_text
from slackbot.devtools.stage import AGENT, LEAD, PEOPLE
from slackbot.domain.cases import CaseStatus, derive_priority
from slackbot.domain.deadlines import DeadlineKind, reminder_audience, reminder_text
from slackbot.domain.handoff import CaseFacts, Draft, Sender, compose_handoff
from slackbot.domain.playbooks import (
    DEFAULT_PLAYBOOKS_PATH,
    Playbook,
    PlaybookError,
    load_playbooks,
)
from slackbot.render.blocks import build_case_details, build_intake_modal, build_root_message
from slackbot.render.reminders import build_reminder
from storage.models import Case

#: When the sample case was opened (a weekday morning in Los Angeles).
OPENED = datetime(2026, 11, 18, 17, 0, tzinfo=UTC)
NAMES = Names(
    users={uid: p["real_name"].split()[0] for uid, p in PEOPLE.items()},
    channels={"C0SUPPORT1": "support"},
)


@dataclass
class Preview:
    """One playbook's surfaces, rendered."""

    playbook: Playbook
    scenes: list[Scene]
    lines: list[str]


def sample_case(playbook: Playbook) -> Case:
    """A case as the sample agent's answers would store it (not saved anywhere)."""
    answers = intake_answers(playbook)
    return Case(
        id=42,
        playbook_id=playbook.id,
        summary=answers["summary"],
        status=(
            CaseStatus.WITH_VENDOR if playbook.receiver.email else CaseStatus.ACKNOWLEDGED
        ).value,
        tier=int(answers["tier"]),
        priority=derive_priority(playbook, answers["category"]).value,
        category=answers["category"],
        requester_type=answers["requester_type"],
        internal_ticket=answers["internal_ticket"],
        fields={spec.id: answers[spec.id] for spec in playbook.fields},
        opened_by=AGENT,
        opened_at=OPENED,
        updated_at=OPENED,
        owner_id=LEAD,
        channel_id="C00000001",
        root_ts="1700000000.000001",
        handed_off_at=OPENED if playbook.receiver.email else None,
    )


def handoff_email(playbook: Playbook, case: Case) -> Draft:
    """The hand-off email the playbook composes for the sample case."""
    label = next((c.label for c in playbook.categories if c.id == case.category), case.category)
    facts = CaseFacts(
        key="ESC-42",
        summary=case.summary,
        internal_ticket=case.internal_ticket,
        category_label=label,
        requester_type=case.requester_type,
        fields=case.fields,
    )
    person = PEOPLE[AGENT]
    return compose_handoff(playbook, facts, Sender(AGENT, person["real_name"], person["email"]))


def _reminder(playbook: Playbook, case: Case) -> list[dict[str, Any]]:
    """The first reminder of the vendor's acknowledgement, an hour after it was due."""
    due = OPENED + timedelta(hours=4)
    audience = reminder_audience(playbook, owner_id=case.owner_id, tier=case.tier, miss=1)
    text = reminder_text(DeadlineKind.VENDOR_ACK, due_at=due, now=due + timedelta(hours=1), miss=0)
    return build_reminder(
        text=text,
        mentions=audience.mentions,
        escalated=audience.escalated,
        leadership=audience.leadership,
        deadline_id=1,
        case_id=case.id or 42,
        with_vendor=bool(playbook.receiver.email),
    )


def _email_lines(draft: Draft) -> tuple[list[tuple[str, str]], list[str]]:
    headers = [("To", ", ".join(draft.to)), ("Cc", ", ".join(draft.cc))]
    headers += [("Reply-To", draft.reply_to or ""), ("Subject", draft.subject)]
    headers = [(k, v) for k, v in headers if v]
    lines = [f"{k}: {v}" for k, v in headers] + [""] + draft.text.rstrip().splitlines()
    lines += [f"📎 {a.get('name', 'file')}" for a in draft.attachments]
    for missing in draft.missing:
        lines.append(f"⚠ missing: {missing.what}")
    return headers, lines


def build_preview(playbook: Playbook) -> Preview:
    """Every surface of `playbook` with sample answers, as text and as HTML scenes."""
    scenes: list[Scene] = []
    lines: list[str] = []

    def add(step: str, who: str, where: str, text: list[str], content: str) -> None:
        lines.extend(["", f"── {step}", f"{who} sees ({where}):", *[f"    {t}" for t in text]])
        scenes.append(Scene(who, where, content, step))

    view = build_intake_modal(playbook, origin_channel="C0SUPPORT1")
    filled = filled_view(view, view_state(view, intake_answers(playbook)))
    add(
        "Intake form (sample answers)",
        "The agent",
        "/escalate " + playbook.id,
        [f"[{view['title']['text']}]", *message_text({"blocks": filled["blocks"]}, NAMES)],
        slack_html.modal_html(filled, NAMES),
    )
    case = sample_case(playbook)
    for step, (text, blocks) in (
        ("Root message", build_root_message(case, playbook)),
        ("Details reply", build_case_details(case, playbook)),
    ):
        body = {"text": text, "blocks": blocks}
        where = "new message" if step == "Root message" else "in the case thread"
        add(step, playbook.channel, where, message_text(body, NAMES), _message(body))
    if playbook.receiver.email:
        draft = handoff_email(playbook, case)
        headers, text = _email_lines(draft)
        names = [str(a.get("name", "file")) for a in draft.attachments]
        content = slack_html.email_html(headers, draft.text, names)
        add("Hand-off email", playbook.receiver.name, "as the vendor receives it", text, content)
    body = {"blocks": _reminder(playbook, case)}
    add(
        "Reminder",
        playbook.channel,
        "in the case thread",
        message_text(body, NAMES),
        _message(body),
    )
    return Preview(playbook, scenes, lines)


def _message(body: dict[str, Any]) -> str:
    return slack_html.message_html(body, NAMES)


def main(argv: list[str]) -> int:
    """Print the preview (and write it as HTML); 1 when the file or the playbook is wrong."""
    parser = argparse.ArgumentParser(
        prog="python -m slackbot playbooks preview", description=__doc__.splitlines()[0]
    )
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT_PLAYBOOKS_PATH)
    parser.add_argument("--playbook", required=True, help="the playbook id")
    parser.add_argument("--html", type=Path, help="also write the preview as one HTML page")
    args = parser.parse_args(argv)
    try:
        playbooks = load_playbooks(args.file)
    except (PlaybookError, OSError) as exc:
        print(f"preview: {exc}", file=sys.stderr)
        return 1
    playbook = playbooks.get(args.playbook)
    if playbook is None:
        print(
            f"preview: {args.file}: no playbook {args.playbook!r}; it has "
            f"{', '.join(playbooks.ids)}",
            file=sys.stderr,
        )
        return 1
    preview = build_preview(playbook)
    print(f"Preview of playbook {playbook.id!r} ({playbook.title}) from {args.file}")
    print("\n".join(preview.lines))
    if args.html:
        title = f"Playbook preview: {playbook.title}"
        subtitle = f"{playbook.id} from {args.file}, with sample answers"
        try:
            args.html.write_text(
                slack_html.page_html(title, subtitle, preview.scenes), encoding="utf-8"
            )
        except OSError as exc:
            print(f"preview: cannot write {args.html}: {exc.strerror}", file=sys.stderr)
            return 1
        print(f"\nHTML: {args.html}")
    return 0
