"""What each person saw during the demo: new calls to the fake Slack, new mail at the SMTP sink,
new PagerDuty events, read since the last step and written as text (terminal) and HTML scenes."""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from slackbot.devtools import slack_html
from slackbot.devtools.slack_html import Names, Scene
from slackbot.devtools.slack_text import message_text, mrkdwn_to_text
from slackbot.devtools.stage import AGENT, LEAD, PEOPLE, SUPPORT_CHANNEL, Stage

#: Web API calls nobody sees (look-ups, permalinks, file steps).
_UNSEEN = {
    "auth.test",
    "users.info",
    "conversations.members",
    "conversations.history",
    "conversations.replies",
    "conversations.list",
    "conversations.join",
    "conversations.open",
    "chat.getPermalink",
    "usergroups.users.list",
    "files.info",
}


#: A Slack message longer than this is cut in the terminal (emails are shown whole).
MAX_LINES = 16


def person(user_id: str) -> str:
    """ "Sam (agent)" for the demo's people, the id for anyone else."""
    role = {AGENT: "tier-1 agent", LEAD: "tier 2"}.get(user_id)
    name = PEOPLE.get(user_id, {}).get("real_name", user_id).split()[0]
    return f"{name} ({role})" if role else name


@dataclass
class Transcript:
    """Reads what happened since the last look; writes lines and scenes."""

    stage: Stage
    write: Callable[[str], None]
    scenes: list[Scene] = field(default_factory=list)
    step: str = ""
    _calls: int = 0
    _mails: int = 0
    _events: int = 0

    @property
    def names(self) -> Names:
        """Who and which channel mentions name."""
        users = {uid: p["real_name"].split()[0] for uid, p in PEOPLE.items()}
        channels = {cid: name.lstrip("#") for name, cid in self.stage.slack.channel_ids.items()}
        channels[SUPPORT_CHANNEL] = "support"
        return Names(users, channels)

    def begin(self, title: str) -> None:
        """A new step: its heading."""
        self.step = title
        self.write("")
        self.write(f"── {title}")

    def say(
        self, who: str, where: str, lines: list[str], content: str, *, whole: bool = False
    ) -> None:
        """One thing one person sees (cut to MAX_LINES in the terminal unless `whole`)."""
        self.write(f"{who} sees ({where}):")
        if not whole and len(lines) > MAX_LINES:
            cut = len(lines) - MAX_LINES + 1
            lines = [*lines[: MAX_LINES - 1], f"… {cut} more lines (the HTML page shows them)"]
        for line in lines:
            self.write(f"    {line}" if line.strip() else "")
        self.scenes.append(Scene(who, where, content, self.step))

    def settle(self, quiet: float = 0.6, timeout: float = 15.0) -> None:
        """Wait until nothing new has reached the stand-ins for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        last, since = self._counts(), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            now = self._counts()
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return

    def _counts(self) -> tuple[int, int, int]:
        stage = self.stage
        return len(stage.slack.calls), len(stage.smtp.messages), len(stage.pagerduty.events())

    def flush(self, actor: str = AGENT) -> None:
        """Write everything new since the last flush; `actor` is who sees the modals opened."""
        calls = self.stage.slack.calls[self._calls :]
        self._calls += len(calls)
        for call in calls:
            if call.method not in _UNSEEN:
                self._call(call.method, call.body, actor)
        mails = self.stage.smtp.messages[self._mails :]
        self._mails += len(mails)
        for mail in mails:
            self._mail(mail.rcpt_tos, mail.message)
        events = self.stage.pagerduty.events()[self._events :]
        self._events += len(events)
        for event in events:
            self._page(event.body)

    def _where(self, channel: str) -> str:
        for name, cid in self.stage.slack.channel_ids.items():
            if cid == channel:
                return name
        if channel.startswith(("U", "D")):
            return "a direct message"
        return "#support" if channel == SUPPORT_CHANNEL else channel

    def _call(self, method: str, body: dict[str, Any], actor: str) -> None:
        names = self.names
        if method == "chat.postMessage" and str(body.get("channel", ""))[:1] in ("U", "W", "D"):
            user = "U" + str(body["channel"])[1:]
            content = slack_html.message_html(body, names)
            self.say(person(user), "direct message", message_text(body, names), content)
        elif method == "chat.postMessage":
            where = self._where(str(body.get("channel", "")))
            place = "in the case thread" if body.get("thread_ts") else "new message"
            self.say(where, place, message_text(body, names), slack_html.message_html(body, names))
        elif method == "chat.update":
            where = self._where(str(body.get("channel", "")))
            note = "edited in place"
            shown = slack_html.message_html(body, names, note="(edited)")
            self.say(where, note, message_text(body, names), shown)
        elif method == "chat.postEphemeral":
            who = person(str(body.get("user", "")))
            shown = slack_html.message_html(body, names, note="Only visible to you")
            self.say(who, "ephemeral, only to them", message_text(body, names), shown)
        elif method in ("views.open", "views.push", "views.update"):
            self.modal(actor, body.get("view") or {})
        elif method.startswith("files.") or method == "POST /upload":
            return
        else:
            self.say("Slack", method, [str(body)[:200]], f'<div class="plain">{method}</div>')

    def user_post(self, user: str, channel: str, text: str) -> None:
        """Someone writes in the case thread (a message Slack shows everyone, not the bot's)."""
        body = {"text": text}
        content = slack_html.message_html(body, self.names, author=person(user), app=False)
        self.say(channel, f"{person(user)} in the case thread", [text], content)

    def modal(
        self,
        who: str,
        view: dict[str, Any],
        errors: dict[str, str] | None = None,
        *,
        where: str = "",
    ) -> None:
        """A modal someone has open (with the errors Slack shows under its fields)."""
        names = self.names
        title = mrkdwn_to_text(str((view.get("title") or {}).get("text", "")), names)
        lines = [f"[{title}]", *_modal_lines(view, names)]
        for block_id, message in (errors or {}).items():
            lines.append(f"⚠ under {block_id}: {message}")
        where = where or ("form, with errors" if errors else "form")
        self.say(person(who), where, lines, slack_html.modal_html(view, names, errors))

    def _mail(self, rcpt_tos: list[str], message: EmailMessage) -> None:
        headers = [
            (key, str(message[key]))
            for key in ("From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID")
            if message[key]
        ]
        body = message.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        files = [part.get_filename() or "file" for part in message.iter_attachments()]
        lines = [f"{k}: {v}" for k, v in headers] + [""] + text.rstrip().splitlines()
        lines += [f"📎 {name}" for name in files]
        who = "On-call inbox" if "oncall" in " ".join(rcpt_tos) else "Vendor inbox"
        where = f"email to {', '.join(rcpt_tos)}"
        self.say(who, where, lines, slack_html.email_html(headers, text, files), whole=True)

    def _page(self, body: dict[str, Any]) -> None:
        payload = body.get("payload") or {}
        action = body.get("event_action", "")
        lines = [f"{action} {body.get('dedup_key', '')}"]
        if payload:
            lines.append(f"{payload.get('severity', '')}: {payload.get('summary', '')}")
        shown = "<br>".join(html.escape(line) for line in lines)
        self.say("PagerDuty", "Events API v2", lines, f'<div class="plain">{shown}</div>')


def _modal_lines(view: dict[str, Any], names: Names) -> list[str]:
    lines = message_text({"blocks": view.get("blocks", [])}, names)
    if len(lines) > 32:
        return [*lines[:30], f"… and {len(lines) - 30} more lines"]
    return lines
