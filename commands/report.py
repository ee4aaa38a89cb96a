"""`/escalate report [week|month] [last] [playbook]`: the numbers leads read, as a summary now
and a CSV and chart by DM. Thin: parse, call the use case, answer."""

from __future__ import annotations

from commands.subcommands import CommandContext, Reply
from slackbot.domain.reporting import PeriodKind
from slackbot.usecases.report_delivery import ReportRequest, request_report

REPORT_USAGE = "/escalate report [week|month] [last] [playbook]"
REPORT_SUMMARY = "the week's or month's figures, with a CSV and a chart by DM"


def parse_report_words(words: list[str], playbook_ids: set[str]) -> ReportRequest | str:
    """The request the words ask for, or the word that makes no sense."""
    kind, last, playbook = PeriodKind.WEEK, False, None
    for word in (w.lower() for w in words):
        if word in ("week", "month"):
            kind = PeriodKind(word)
        elif word in ("last", "previous"):
            last = True
        elif word in playbook_ids:
            playbook = word
        else:
            return word
    return ReportRequest(kind, last, playbook)


def handle_report(ctx: CommandContext) -> Reply:
    """Answer with the summary; the files follow by DM."""
    services = ctx.services
    parsed = parse_report_words(ctx.args, {playbook.id for playbook in services.playbooks})
    if isinstance(parsed, str):
        ids = ", ".join(f"`{playbook.id}`" for playbook in services.playbooks)
        return Reply(
            text=f"I don't know `{parsed[:30]}` here. Use `{REPORT_USAGE}`, e.g. "
            f"`/escalate report week last`; playbooks: {ids}."
        )
    text, blocks = request_report(services, parsed, user=ctx.user_id)
    # The files take a few seconds to build: after the answer, on the listener executor.
    services.listener_executor.submit(services.outbox.kick)
    return Reply(text=text, blocks=blocks)
