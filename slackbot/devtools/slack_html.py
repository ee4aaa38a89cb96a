"""Block Kit and mrkdwn as HTML, close to how Slack shows them, on one self-contained page.

Everything typed by someone is HTML-escaped before any markup is added: Slack's own escaping
(`&amp;`, `&lt;`, `&gt;`) is undone first, then `html.escape` runs, so `<script>` in a summary
stays text. Links keep only http, https and mailto addresses. No external URL is referenced:
the page reads the same offline.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from slackbot.devtools.slack_css import CSS

#: Slack's emoji short names the bot uses, as the characters Slack draws.
EMOJI = {
    "eyes": "👀",
    "hourglass_flowing_sand": "⏳",
    "white_check_mark": "✅",
    "rotating_light": "🚨",
    "alarm_clock": "⏰",
    "envelope": "✉️",
    "email": "📧",
    "incoming_envelope": "📨",
    "outbox_tray": "📤",
    "warning": "⚠️",
    "x": "❌",
    "no_entry": "⛔",
    "lock": "🔒",
    "bust_in_silhouette": "👤",
    "telephone_receiver": "📞",
    "memo": "📝",
    "pushpin": "📌",
    "information_source": "ℹ️",
    "hourglass": "⌛",
    "leftwards_arrow_with_hook": "↩️",
    "arrow_right": "➡️",
    "bell": "🔔",
    "zzz": "💤",
    "paperclip": "📎",
    "question": "❓",
    "heavy_check_mark": "✔️",
    "large_green_circle": "🟢",
    "large_yellow_circle": "🟡",
    "red_circle": "🔴",
    "new": "🆕",
    "construction": "🚧",
    "mag": "🔍",
    "bar_chart": "📊",
    "calendar": "📆",
    "speech_balloon": "💬",
    "repeat": "🔁",
    "no_entry_sign": "🚫",
    "no_mobile_phones": "📵",
    "heavy_minus_sign": "➖",
    "clipboard": "📋",
    "arrow_up": "⬆️",
    "wrench": "🔧",
    "top": "🔝",
    "sunny": "☀️",
    "raising_hand": "🙋",
    "crescent_moon": "🌙",
    "bulb": "💡",
}

_TOKEN = re.compile(r"<([^<>\n]+)>")
_EMOJI = re.compile(r":([a-z0-9_+\-]+):")
_CODE_BLOCK = re.compile(r"```(.*?)```", re.S)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_STYLES = (
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), "strong"),
    (re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])"), "em"),
    (re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])"), "del"),
)
_SAFE_SCHEMES = ("http://", "https://", "mailto:")


def slack_unescape(text: str) -> str:
    """Undo Slack's three escapes (what mrkdwn.escape did) to get the typed text back."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text(raw: str) -> str:
    """Plain text (Slack-escaped) as HTML-escaped text."""
    return html.escape(slack_unescape(raw), quote=True)


@dataclass
class Names:
    """What mentions show: user and channel names by id."""

    users: dict[str, str] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)


def _date(token: str) -> str:
    """`!date^1700000000^{date_short_pretty} {time}|fallback` in UTC, as Slack would localise."""
    parts = token.split("|", 1)
    fields = parts[0].split("^")
    try:
        when = datetime.fromtimestamp(int(fields[1]), UTC)
    except (IndexError, ValueError):
        return _text(parts[1]) if len(parts) > 1 else ""
    shown = when.strftime("%b %-d, %Y %H:%M UTC")
    return f'<time datetime="{when.isoformat()}">{html.escape(shown)}</time>'


def _token(inner: str, names: Names) -> str:
    """One `<…>` control sequence as HTML."""
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        name = names.users.get(target[1:], label or target[1:])
        return f'<span class="mention">@{_text(name)}</span>'
    if target.startswith("#"):
        name = label or names.channels.get(target[1:], target[1:])
        return f'<span class="mention">#{_text(name)}</span>'
    if target.startswith("!subteam^"):
        return f'<span class="mention">@{_text(label or "group")}</span>'
    if target.startswith("!date^"):
        return _date(inner)
    if target.startswith("!"):
        return f'<span class="mention">@{_text(target[1:])}</span>'
    url = slack_unescape(target)
    shown = _text(label) if label else html.escape(url)
    if url.lower().startswith(_SAFE_SCHEMES):
        return f'<a href="{html.escape(url, quote=True)}">{shown}</a>'
    return shown


def _inline(raw: str, names: Names, stash: list[str]) -> str:
    """Escape a run of mrkdwn text and apply links, mentions, bold, italics and strike."""

    def keep(fragment: str) -> str:
        stash.append(fragment)
        return f"\x00{len(stash) - 1}\x00"

    raw = _INLINE_CODE.sub(lambda m: keep(f"<code>{_text(m.group(1))}</code>"), raw)
    raw = _TOKEN.sub(lambda m: keep(_token(m.group(1), names)), raw)
    out = _text(raw)
    for pattern, tag in _STYLES:
        out = pattern.sub(lambda m, tag=tag: f"<{tag}>{m.group(1)}</{tag}>", out)
    out = _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), out)
    return out


def _restore(text: str, stash: list[str]) -> str:
    return re.sub(r"\x00(\d+)\x00", lambda m: stash[int(m.group(1))], text)


def mrkdwn_to_html(text: str, names: Names | None = None) -> str:
    """Slack mrkdwn (as the bot sends it) as HTML: every typed character escaped."""
    names = names or Names()
    stash: list[str] = []
    text = text.replace("\x00", "")

    def keep_code(match: re.Match[str]) -> str:
        stash.append(f"<pre>{_text(match.group(1).strip(chr(10)))}</pre>")
        return f"\x00{len(stash) - 1}\x00"

    text = _CODE_BLOCK.sub(keep_code, text)
    lines: list[str] = []
    quote: list[str] = []
    for line in text.split("\n"):
        if line.startswith(("&gt;", ">")):
            quote.append(_inline(line.removeprefix("&gt;").removeprefix(">"), names, stash))
            continue
        if quote:
            lines.append("<blockquote>" + "<br>".join(quote) + "</blockquote>")
            quote = []
        lines.append(_inline(line, names, stash))
    if quote:
        lines.append("<blockquote>" + "<br>".join(quote) + "</blockquote>")
    joined = re.sub(r"<br>(<blockquote>|<pre>)", r"\1", "<br>".join(lines))
    joined = re.sub(r"(</blockquote>|</pre>)<br>", r"\1", joined)
    return _restore(joined, stash)


def text_object(obj: dict[str, Any] | str | None, names: Names) -> str:
    """A text object (plain_text or mrkdwn) as HTML."""
    if obj is None:
        return ""
    if isinstance(obj, str):
        return mrkdwn_to_html(obj, names)
    if obj.get("type") == "mrkdwn":
        return mrkdwn_to_html(str(obj.get("text", "")), names)
    plain = html.escape(str(obj.get("text", "")))
    return _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), plain)


def _element(element: dict[str, Any], names: Names) -> str:
    """An interactive element (button, select, input, picker) as HTML."""
    kind = element.get("type", "")
    if kind == "button":
        style = element.get("style", "")
        confirm = ' title="asks to confirm"' if "confirm" in element else ""
        label = text_object(element.get("text"), names)
        return f'<button type="button" class="btn {html.escape(style)}"{confirm}>{label}</button>'
    if kind == "image":
        return f'<span class="img">[{html.escape(str(element.get("alt_text", "image")))}]</span>'
    if kind in ("mrkdwn", "plain_text"):
        return f"<span>{text_object(element, names)}</span>"
    return _input_element(element, names)


def _input_element(element: dict[str, Any], names: Names) -> str:
    kind = element.get("type", "")
    placeholder = text_object(element.get("placeholder"), names)
    initial = html.escape(str(element.get("initial_value", "")))
    if kind == "plain_text_input" and element.get("multiline"):
        return f'<div class="field area">{initial or f"<i>{placeholder}</i>"}</div>'
    if kind in ("plain_text_input", "email_text_input", "url_text_input", "number_input"):
        return f'<div class="field">{initial or f"<i>{placeholder}</i>"}</div>'
    if kind in ("static_select", "external_select", "users_select", "multi_users_select"):
        chosen = element.get("initial_option")
        users = element.get("initial_users")
        if users:
            return (
                '<div class="field select">'
                + " ".join(
                    f'<span class="mention">@{_text(names.users.get(u, u))}</span>' for u in users
                )
                + "</div>"
            )
        shown = (
            text_object(chosen["text"], names) if chosen else f"<i>{placeholder or 'Select'}</i>"
        )
        count = len(element.get("options") or [])
        more = f' <span class="muted">({count} options)</span>' if count else ""
        return f'<div class="field select">{shown} ▾{more}</div>'
    if kind in ("checkboxes", "radio_buttons"):
        chosen = {o.get("value") for o in element.get("initial_options") or []}
        marks = ("☑", "☐") if kind == "checkboxes" else ("◉", "○")
        items = "".join(
            f"<div>{marks[0] if o.get('value') in chosen else marks[1]} "
            f"{text_object(o.get('text'), names)}</div>"
            for o in element.get("options") or []
        )
        return f'<div class="choices">{items}</div>'
    if kind in ("datepicker", "timepicker", "datetimepicker"):
        when = element.get("initial_date_time")
        shown = (
            datetime.fromtimestamp(int(when), UTC).strftime("%b %-d, %Y %H:%M UTC")
            if when
            else "<i>Pick a date and time</i>"
        )
        return f'<div class="field select">{shown}</div>'
    if kind == "file_input":
        return '<div class="field drop">Drag files here or <u>upload from computer</u></div>'
    return f'<div class="field"><i>{html.escape(kind)}</i></div>'


def _section(block: dict[str, Any], names: Names) -> str:
    parts = []
    if block.get("text"):
        parts.append(f'<div class="text">{text_object(block["text"], names)}</div>')
    if block.get("fields"):
        cells = "".join(f"<div>{text_object(f, names)}</div>" for f in block["fields"])
        parts.append(f'<div class="fields">{cells}</div>')
    body = "".join(parts)
    accessory = block.get("accessory")
    if accessory:
        return (
            f'<div class="section with-accessory"><div>{body}</div>'
            f'<div class="accessory">{_element(accessory, names)}</div></div>'
        )
    return f'<div class="section">{body}</div>'


def _input_block(block: dict[str, Any], names: Names) -> str:
    label = text_object(block.get("label"), names)
    optional = ""
    if block.get("optional") and "optional" not in label:
        optional = ' <span class="muted">(optional)</span>'
    hint = block.get("hint")
    hint_html = f'<div class="hint">{text_object(hint, names)}</div>' if hint else ""
    element = _input_element(block.get("element") or {}, names)
    return f'<div class="input"><label>{label}{optional}</label>{element}{hint_html}</div>'


def block_html(block: dict[str, Any], names: Names) -> str:
    """One block as HTML."""
    kind = block.get("type")
    if kind == "section":
        return _section(block, names)
    if kind == "header":
        return f"<h3>{text_object(block.get('text'), names)}</h3>"
    if kind == "divider":
        return "<hr>"
    if kind == "context":
        items = " ".join(_element(e, names) for e in block.get("elements", []))
        return f'<div class="context">{items}</div>'
    if kind == "actions":
        items = "".join(_element(e, names) for e in block.get("elements", []))
        return f'<div class="actions">{items}</div>'
    if kind == "input":
        return _input_block(block, names)
    if kind == "image":
        return f'<div class="img">[image: {html.escape(str(block.get("alt_text", "")))}]</div>'
    return f'<div class="muted">[{html.escape(str(kind))} block]</div>'


def blocks_html(blocks: list[dict[str, Any]], names: Names) -> str:
    """A list of blocks as HTML."""
    return "".join(block_html(block, names) for block in blocks)


def message_html(
    body: dict[str, Any],
    names: Names,
    *,
    author: str = "escalations",
    note: str = "",
    app: bool = True,
) -> str:
    """A message as Slack lays it out: avatar, author (APP for the bot), then blocks or text."""
    blocks = body.get("blocks") or []
    content = (
        blocks_html(blocks, names) if blocks else text_object(str(body.get("text", "")), names)
    )
    tag = f' <span class="note">{html.escape(note)}</span>' if note else ""
    badge = ' <span class="app">APP</span>' if app else ""
    initial = html.escape((author[:1] or "?").upper())
    avatar = "avatar" if app else "avatar person"
    return (
        f'<div class="msg"><div class="{avatar}">{initial}</div><div class="msg-body">'
        f'<div class="author">{html.escape(author)}{badge}{tag}</div>'
        f"{content}</div></div>"
    )


def modal_html(view: dict[str, Any], names: Names, errors: dict[str, str] | None = None) -> str:
    """A modal as a card: title bar, blocks, errors under their fields, Cancel and Submit."""
    title = text_object(view.get("title"), names)
    body = []
    for block in view.get("blocks", []):
        body.append(block_html(block, names))
        message = (errors or {}).get(block.get("block_id", ""))
        if message:
            body.append(f'<div class="error">⚠ {html.escape(message)}</div>')
    close = text_object(view.get("close"), names) or "Cancel"
    submit = view.get("submit")
    submit_html = (
        f'<button class="btn primary">{text_object(submit, names)}</button>' if submit else ""
    )
    return (
        f'<div class="modal"><div class="modal-title">{title}</div>'
        f'<div class="modal-body">{"".join(body)}</div>'
        f'<div class="modal-foot"><button class="btn">{close}</button>{submit_html}</div></div>'
    )


def email_html(headers: list[tuple[str, str]], body: str, attachments: list[str]) -> str:
    """An email as a mail client shows it: headers, then the plain-text body."""
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in headers
    )
    files = "".join(f"<li>📎 {html.escape(name)}</li>" for name in attachments)
    files_html = f"<ul class='files'>{files}</ul>" if files else ""
    return (
        f'<div class="email"><table>{rows}</table><pre>{html.escape(body)}</pre>{files_html}</div>'
    )


@dataclass
class Scene:
    """One thing someone sees: who, where, and its HTML."""

    who: str
    where: str
    content: str
    step: str = ""


def page_html(title: str, subtitle: str, scenes: list[Scene]) -> str:
    """One self-contained page: every scene, grouped by step, inline CSS, no external URL."""
    parts = []
    step = None
    for scene in scenes:
        if scene.step and scene.step != step:
            step = scene.step
            parts.append(f'<h2 class="step">{html.escape(step)}</h2>')
        parts.append(
            f'<section class="scene"><div class="where"><b>{html.escape(scene.who)}</b>'
            f" · {html.escape(scene.where)}</div>{scene.content}</section>"
        )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{CSS}</style></head><body>"
        f"<header><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)}</p></header>"
        f"<main>{''.join(parts)}</main></body></html>\n"
    )
