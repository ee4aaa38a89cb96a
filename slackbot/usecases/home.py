"""The App Home tab's data: the viewer's open cases (a page at a time) with what is overdue,
the cases waiting on them, and the team's numbers this week."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session

from slackbot.domain.cases import CaseStatus, case_key
from slackbot.domain.clock import ensure_utc
from slackbot.domain.deadlines import DeadlineKind
from slackbot.domain.reporting import Measure, PeriodKind, our_zone
from slackbot.render.home import PAGE_SIZE, HomeCase, HomeView
from slackbot.usecases.reporting import build_report
from storage import home as queries
from storage.models import CaseListing

if TYPE_CHECKING:
    from slackbot.services import Services

WAITING_LIMIT = 10


def _home_case(services: Services, case: CaseListing, overdue: list, now: datetime) -> HomeCase:
    playbook = services.playbooks.get(case.playbook_id)
    late = tuple(
        (DeadlineKind(row.kind).label, now - ensure_utc(row.expires_at))
        for row in overdue
        if row.case_id == case.id
    )
    return HomeCase(
        key=case_key(case.id),
        case_id=case.id,
        summary=case.summary,
        status=CaseStatus(case.status),
        team=playbook.title if playbook else case.playbook_id,
        owner_id=case.owner_id,
        overdue=late,
        link=services.poster.permalink(case.channel_id, case.root_ts),
    )


def home_view(services: Services, *, user_id: str, page: int = 0) -> HomeView:
    """The Home tab for `user_id`, at `page` (0-based; clamped to the pages there are)."""
    now = services.clock.now()
    with Session(services.engine) as session:
        total = queries.count_open_cases(session, user_id=user_id)
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        listed = queries.open_cases_page(
            session, user_id=user_id, offset=page * PAGE_SIZE, limit=PAGE_SIZE
        )
        waiting = queries.cases_waiting_on(session, user_id=user_id, limit=WAITING_LIMIT)
        ids = sorted({case.id for case in [*listed, *waiting]})
        overdue = list(queries.expired_deadlines(session, case_ids=ids, now=now))
    report = build_report(
        services.engine,
        services.playbooks,
        now=now,
        zone=our_zone(services.playbooks),
        kind=PeriodKind.WEEK,
    )
    figures = report.current
    return HomeView(
        page=page,
        pages=pages,
        total=total,
        cases=tuple(_home_case(services, case, overdue, now) for case in listed),
        waiting=tuple(_home_case(services, case, overdue, now) for case in waiting),
        week_label=report.period.label,
        week=(
            figures.total(Measure.OPENED),
            figures.total(Measure.RESOLVED),
            figures.total(Measure.STILL_OPEN),
        ),
    )
