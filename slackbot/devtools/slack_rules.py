"""The fake Slack's rules that are not about Block Kit: which bot scope each Web API method needs,
Slack's rate-limit tier per method, which methods take only channel ids, and trigger ids that
expire 3 seconds after the request that carried them.

Scopes: https://docs.slack.dev/reference/methods (each method's "Required scopes"); tiers: the
same pages' "Rate limits" (Tier 1 1+/min, Tier 2 20+/min, Tier 3 50+/min, Tier 4 100+/min;
chat.postMessage about 1 per second per channel, short bursts allowed).
"""

from __future__ import annotations

import itertools
import re
import time
from pathlib import Path

from slackbot.domain.slack_limits import TRIGGER_TTL_SECONDS

#: The app manifest at the repository root: the bot scopes the fake grants by default.
MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"

#: The scope a method needs; a callable picks it from the call (public or private channel).
#: Methods absent here and from NO_SCOPE are unknown to the fake (`unknown_method`).
METHOD_SCOPES: dict[str, str] = {
    "chat.postMessage": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.update": "chat:write",
    "chat.delete": "chat:write",
    "conversations.join": "channels:join",
    "conversations.open": "im:write",
    "users.info": "users:read",
    "users.lookupByEmail": "users:read.email",
    "usergroups.list": "usergroups:read",
    "usergroups.users.list": "usergroups:read",
    "files.info": "files:read",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
    "reactions.get": "reactions:read",
    "reactions.add": "reactions:write",
    "pins.add": "pins:write",
    "bookmarks.add": "bookmarks:write",
}
#: Methods whose scope depends on the channel's kind: (public scope, private scope).
CHANNEL_SCOPES: dict[str, tuple[str, str]] = {
    "conversations.history": ("channels:history", "groups:history"),
    "conversations.replies": ("channels:history", "groups:history"),
    "conversations.info": ("channels:read", "groups:read"),
    "conversations.members": ("channels:read", "groups:read"),
}
#: Methods any bot token may call (views need a trigger or a user, not a scope).
NO_SCOPE = {
    "auth.test",
    "chat.getPermalink",
    "views.open",
    "views.push",
    "views.update",
    "views.publish",
    "apps.connections.open",
}
#: Methods whose `channel` must be an id (a `#name` answers channel_not_found).
ID_ONLY = {
    "conversations.join",
    "conversations.history",
    "conversations.replies",
    "conversations.info",
    "conversations.members",
    "chat.update",
    "chat.delete",
    "chat.getPermalink",
    "reactions.get",
    "reactions.add",
    "pins.add",
}
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")

#: What Slack answers to a payload it would never take: a test whose bot traffic got one of
#: these fails, even if it did not look (a refused chat.update is still a recorded call). The bot's
#: own recoveries (`not_in_channel`, then a join or an invitation) are not among them.
REFUSED_PAYLOADS = {
    "invalid_blocks",
    "invalid_arguments",
    "msg_too_long",
    "no_text",
    "channel_not_found",
    "missing_scope",
    "unknown_method",
    "invalid_trigger_id",
    "expired_trigger_id",
    "message_not_found",
    "not_allowed_token_type",
    "method_not_supported_for_channel_type",
}

#: Calls per minute by Slack's tier; a method not listed is Tier 3.
TIER_PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}
METHOD_TIERS: dict[str, int] = {
    "auth.test": 4,
    "chat.postEphemeral": 4,
    "chat.update": 3,
    "chat.getPermalink": 4,
    "conversations.list": 2,
    "conversations.history": 3,
    "conversations.replies": 3,
    "conversations.info": 3,
    "conversations.members": 4,
    "conversations.join": 3,
    "conversations.open": 3,
    "users.info": 4,
    "usergroups.users.list": 2,
    "files.info": 4,
    "files.getUploadURLExternal": 4,
    "files.completeUploadExternal": 4,
    "views.open": 4,
    "views.push": 4,
    "views.update": 4,
    "views.publish": 4,
    "apps.connections.open": 1,
}
#: chat.postMessage: per channel, about one a second, with short bursts allowed.
POST_BURST = 5
POST_WINDOW_SECONDS = 5.0


def manifest_scopes(path: Path = MANIFEST) -> list[str]:
    """The bot scopes `oauth_config.scopes.bot` lists in an app manifest (a YAML list)."""
    scopes: list[str] = []
    inside = False
    indent = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        depth = len(line) - len(line.lstrip())
        if stripped == "bot:":
            inside, indent = True, depth
            continue
        if inside:
            if depth <= indent or not stripped.startswith("- "):
                break
            scopes.append(stripped.removeprefix("- ").strip().strip("\"'"))
    return scopes


def is_channel_id(channel: str) -> bool:
    """Whether `channel` looks like a conversation id (C…, G…, D…) rather than a name."""
    return bool(_CHANNEL_ID.match(channel))


_TRIGGERS = itertools.count(1)


def trigger_id(issued_at: float | None = None) -> str:
    """A fresh trigger id, shaped like Slack's, that records when it was issued (epoch ms)."""
    issued = time.time() if issued_at is None else issued_at
    return f"{int(issued * 1000)}.{next(_TRIGGERS)}.0a1b2c3d4e5f"


def trigger_problem(trigger: str, now: float | None = None) -> str | None:
    """None if a views.open/push may use `trigger`, else Slack's error name."""
    head = str(trigger or "").split(".", 1)[0]
    if not head.isdigit() or len(head) < 13:
        return "invalid_trigger_id"
    age = (time.time() if now is None else now) - int(head) / 1000
    return "expired_trigger_id" if age > TRIGGER_TTL_SECONDS else None
