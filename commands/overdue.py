"""`/escalate overdue`: open cases with an expired service-level clock, oldest first; only those
the asker may see (`cases.may_see`), with a count of the others."""

from __future__ import annotations

from commands.subcommands import CommandContext, Reply
from slackbot.render.case_blocks import build_hidden_count
from slackbot.render.reminders import build_overdue_list
from slackbot.usecases.cases import may_see
from slackbot.usecases.reminder_actions import overdue_items


def handle_overdue(ctx: CommandContext) -> Reply:
    """List what is overdue, oldest first, of the cases the asker may see."""
    services, now = ctx.services, ctx.services.clock.now()
    found = overdue_items(services, now)
    seen: dict[int, bool] = {}
    for item in found:
        case = item.case
        if case.id not in seen:
            playbook = services.playbooks.get(case.playbook_id)
            seen[case.id] = may_see(services, case, playbook, ctx.user_id)
    items = [
        (o.case.id, o.case.summary, o.kind, o.expires_at, o.case.owner_id)
        for o in found
        if seen[o.case.id]
    ]
    hidden = sum(1 for visible in seen.values() if not visible)
    return Reply(text=build_overdue_list(items, now) + build_hidden_count(hidden))
