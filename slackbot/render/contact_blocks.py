"""Text for `/escalate contacts [playbook]`: who to reach at the receiving side, when, and how in
an emergency. Pure: playbooks and `now` in, mrkdwn out; every playbook string is escaped."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from slackbot.domain.business_hours import NoOpeningError, is_open, next_opening
from slackbot.domain.emergency import response_time_text
from slackbot.domain.mrkdwn import escape, one_line
from slackbot.domain.playbooks import Contact, Emergency, Hours, Playbook, Playbooks

#: Slack's limit for one message text; one playbook's section stays under it.
SECTION_LIMIT = 3000
#: What a slash command's immediate (ephemeral) answer may hold.
ANSWER_LIMIT = 4000
CUT_NOTE = "… (cut to fit Slack)"
#: The pointer to playbooks left out of a long answer names at most this much.
MORE_IDS_LIMIT = 900


def has_contacts(playbook: Playbook) -> bool:
    """Whether the playbook names anyone to reach: contacts, the receiver's address, a route."""
    receiver = playbook.receiver
    return bool(
        playbook.leadership_contacts
        or playbook.technical_contacts
        or receiver.email
        or receiver.phone
        or playbook.emergency
    )


def _contact_line(contact: Contact) -> str:
    title = f", {escape(contact.title)}" if contact.title else ""
    return f"• {escape(contact.name)}{title} · {escape(contact.email)}"


def _contacts(heading: str, contacts: Iterable[Contact]) -> list[str]:
    lines = [_contact_line(contact) for contact in contacts]
    return [f"*{heading}:*", *lines] if lines else [f"*{heading}:* none listed"]


def _receiver_line(playbook: Playbook) -> str:
    receiver = playbook.receiver
    parts = [escape(receiver.name)]
    if receiver.email:
        parts.append(escape(receiver.email))
    if receiver.phone:
        parts.append(escape(receiver.phone))
    return "*Receiving party:* " + " · ".join(parts)


def open_state(hours: Hours, now: datetime) -> str:
    """ "open now", or "closed now; opens Mon 24 Nov 08:00 America/New_York"."""
    if is_open(hours, now):
        return "open now"
    try:
        opening = next_opening(hours, now).astimezone(hours.zone)
    except NoOpeningError:
        return "closed now"
    return f"closed now; opens {opening:%a %d %b %H:%M} {escape(hours.timezone)}"


def _hours_lines(playbook: Playbook, now: datetime) -> list[str]:
    ours, theirs = playbook.hours.ours, playbook.hours.theirs
    icon = ":large_green_circle:" if is_open(theirs, now) else ":red_circle:"
    return [
        "*Business hours:*",
        f"• Ours: {escape(ours.describe())} ({open_state(ours, now)})",
        f"• Theirs: {escape(theirs.describe())} {icon} {open_state(theirs, now)}",
    ]


def _route(emergency: Emergency) -> str:
    ways = []
    if emergency.pagerduty:
        ways.append("PagerDuty")
    if emergency.email:
        ways.append(f"email to {escape(emergency.email)}")
    if not ways:
        return "no page address or PagerDuty is configured"
    return "pages on-call through " + " and ".join(ways)


def _emergency_lines(playbook: Playbook) -> list[str]:
    emergency = playbook.emergency
    if emergency is None:
        return [
            "*Emergency route:* no emergency route: `/emergency` pages nobody for this playbook. "
            "Use `/escalate`."
        ]
    criteria = [escape(item) for item in emergency.criteria]
    when = criteria[0] if len(criteria) == 1 else "all of these hold: " + "; ".join(criteria)
    return [
        f"*Emergency route:* :rotating_light: {_route(emergency)}; "
        f"expected response within {response_time_text(emergency)}.",
        f"• Use `/emergency` only when: {when}. Anything else goes through `/escalate`.",
    ]


def _fit(head: list[str], middle: list[str], tail: list[str], limit: int) -> str:
    """Join the lines within `limit`, cutting whole lines from the middle (the contact lists) so
    the hours and the emergency route always show."""
    text = "\n".join([*head, *middle, *tail])
    if len(text) <= limit:
        return text
    head = [one_line(line, 300) for line in head]
    tail = [one_line(line, 600) for line in tail]
    size = len("\n".join([*head, CUT_NOTE, *tail]))
    kept: list[str] = []
    for line in middle:
        if size + len(line) + 1 > limit:
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join([*head, *kept, CUT_NOTE, *tail])


def build_contacts(playbook: Playbook, now: datetime) -> str:
    """One playbook's contacts, both sides' hours (open right now?) and its emergency route."""
    head = [f"*{escape(playbook.title)}* (`{escape(playbook.id)}`)", _receiver_line(playbook)]
    contacts = [
        *_contacts("Leadership escalation contacts", playbook.leadership_contacts),
        *_contacts("Technical escalation contacts", playbook.technical_contacts),
    ]
    tail = [*_hours_lines(playbook, now), *_emergency_lines(playbook)]
    return _fit(head, contacts, tail, SECTION_LIMIT)


def build_unknown_playbook(word: str, playbooks: Playbooks) -> str:
    """The one-line answer to a playbook id we don't know."""
    ids = ", ".join(f"`{escape(pb_id)}`" for pb_id in playbooks.ids)
    return f"There is no playbook `{escape(one_line(word, 30))}`; use one of {ids}."


def build_contacts_answer(playbooks: Playbooks, playbook_id: str | None, now: datetime) -> str:
    """The whole answer: the named playbook, or every playbook that lists anyone to reach."""
    if playbook_id:
        playbook = playbooks.get(playbook_id.lower())
        if playbook is None:
            return build_unknown_playbook(playbook_id, playbooks)
        return build_contacts(playbook, now)
    listed = [pb for pb in playbooks if has_contacts(pb)]
    if not listed:
        return "No playbook lists any contacts."
    sections: list[str] = []
    for index, playbook in enumerate(listed):
        section = build_contacts(playbook, now)
        remaining = listed[index + 1 :]
        # Keep room for the pointer to whatever follows, so the answer never ends mid-way.
        reserve = len(_more(remaining)) + 2 if remaining else 0
        if len("\n\n".join([*sections, section])) + reserve > ANSWER_LIMIT:
            sections.append(_more(listed[index:]))
            break
        sections.append(section)
    return "\n\n".join(sections)


def _more(playbooks: list[Playbook]) -> str:
    ids = one_line(", ".join(f"`{escape(pb.id)}`" for pb in playbooks), MORE_IDS_LIMIT)
    return f"…and more: ask for one at a time with `/escalate contacts <playbook>`: {ids}."
