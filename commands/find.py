"""`/escalate find <text or ticket number>` and `/escalate list closed [week|month]`: finding
cases, open or closed, among those the asker may see (issue 13)."""

from __future__ import annotations

from commands.subcommands import CommandContext, Reply
from slackbot.domain.intake_sources import parse_find
from slackbot.render.intake_sources import build_closed_list, build_found_cases
from slackbot.usecases import case_search

FIND_USAGE = "/escalate find <words, ESC-42, our or the vendor's ticket number>"
LIST_CLOSED_USAGE = "Use `/escalate list closed [week|month]`: the last 7 or 30 days."


def handle_find(ctx: CommandContext) -> Reply:
    """Cases whose summary or ticket numbers match, newest first (never contact details)."""
    query = parse_find(ctx.args)
    if isinstance(query, str):
        return Reply(text=query)
    found = case_search.find(ctx.services, query, user_id=ctx.user_id)
    return Reply(text=build_found_cases(found.cases, query.text, hidden=found.hidden))


def handle_list_closed(ctx: CommandContext) -> Reply:
    """Cases closed in the last week (default) or month, most recently closed first."""
    words = [word.lower() for word in ctx.args[1:]]
    if len(words) > 1 or (words and words[0] not in ("week", "month")):
        return Reply(text=LIST_CLOSED_USAGE)
    found, days = case_search.closed_recently(
        ctx.services, words[0] if words else "week", user_id=ctx.user_id
    )
    return Reply(text=build_closed_list(found.cases, days, hidden=found.hidden))
