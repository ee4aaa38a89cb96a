"""Paging through the outbox against the fake PagerDuty and the real SMTP server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from slackbot.config import load_settings
from slackbot.devtools.pagerduty import start_fake_pagerduty
from slackbot.domain import emergency as em
from slackbot.domain.status_machine import Action, Via
from slackbot.usecases import emergency as usecase
from slackbot.usecases.emergency_watch import resolve_pages_for_case
from slackbot.usecases.move_case import Actor, Outcome, move_case
from slackbot.wiring import build_services
from storage.db import write_session
from storage.models import Case, CaseEvent, OutboxItem, Page
from tests.support.closing import NOTE
from tests.support.env import base_env

ROUTING_KEY = "R0UTINGKEY0123456789abcdef012345"
DOWN = "A production system is down and inoperative"
REPORT = em.EmergencyReport(
    system="Identity verification API",
    what_is_down="Every verification returns 503",
    since="05:40 UTC",
    impact="No prescriber can verify",
    criteria=(DOWN,),
)


@pytest.fixture
def fake_pd():
    state = start_fake_pagerduty()
    yield state
    state.stop()


@pytest.fixture
def make_services(fake_slack, database, clock, smtp, fake_pd):
    url, engine = database

    def make(**overrides):
        env = base_env(
            fake_slack,
            url,
            SMTP_HOST=smtp.host,
            SMTP_PORT=str(smtp.port),
            SMTP_SECURITY="none",
            EMAIL_FROM="escalations@example.com",
            PAGERDUTY_ROUTING_KEY=ROUTING_KEY,
            PAGERDUTY_EVENTS_URL=fake_pd.events_url,
            PAGERDUTY_API_URL=fake_pd.url,
        )
        env.update(overrides)
        return build_services(load_settings(env, dotenv=False), clock=clock, engine=engine)

    return make


@pytest.fixture
def services(make_services):
    return make_services()


def idv(services):
    return services.playbooks.get("idv")


def page(services, report=REPORT, **kwargs):
    return usecase.page_on_call(
        services, playbook=idv(services), report=report, user_id="U0AGENT01", kick=False, **kwargs
    )


def thread_texts(fake_slack):
    return [call.body.get("text", "") for call in fake_slack.calls_to("chat.postMessage")]


def test_unconfirmed_criteria_page_nobody(services, fake_pd, smtp):
    unconfirmed = em.EmergencyReport(**{**REPORT.__dict__, "criteria": ()})
    with pytest.raises(usecase.NotPaged, match="Nobody was paged"):
        page(services, unconfirmed)
    services.outbox.deliver_due()
    assert fake_pd.requests == []
    assert smtp.messages == []
    with Session(services.engine) as session:
        assert session.exec(select(Page)).all() == []


def test_confirmed_page_sends_one_trigger_and_one_email(services, fake_pd, smtp, fake_slack, clock):
    outcome = page(services)
    assert outcome.new_case and outcome.action is em.PageAction.NEW
    services.outbox.deliver_due()
    [trigger] = fake_pd.events()
    key = f"ESC-{outcome.case_id}"
    with Session(services.engine) as session:
        case = session.get(Case, outcome.case_id)
        permalink = (
            f"https://example.slack.com/archives/{case.channel_id}/p{case.root_ts.replace('.', '')}"
        )
    assert trigger.body == {
        "routing_key": ROUTING_KEY,
        "event_action": "trigger",
        "dedup_key": key,
        "payload": {
            "summary": f"[{key}] PRODUCTION DOWN: Identity verification API: "
            "Every verification returns 503",
            "source": "Identity verification API",
            "severity": "critical",
            "timestamp": clock.now().isoformat(),
            "custom_details": {
                "case": key,
                "playbook": idv(services).title,
                "system": "Identity verification API",
                "what_is_down": "Every verification returns 503",
                "since": "05:40 UTC",
                "impact": "No prescriber can verify",
                "paged_by": "Slack user U0AGENT01",
                "paged_at": clock.now().isoformat(),
                "criteria_confirmed": [DOWN],
                "expected_response": "30 minutes",
            },
        },
        "links": [{"href": permalink, "text": f"Slack thread {key}"}],
    }
    [mail] = smtp.wait_for(1)
    assert mail.rcpt_tos == [idv(services).emergency.email]
    assert mail.message["Subject"] == (
        f"EMERGENCY {key}: production system down: Identity verification API"
    )
    body = mail.message.get_content()
    assert "Every verification returns 503" in body and "No prescriber can verify" in body
    texts = thread_texts(fake_slack)
    assert any(":rotating_light: Emergency: on-call paged" in text for text in texts)
    with Session(services.engine) as session:
        stored = session.exec(select(Page)).one()
        assert stored.dedup_key == key
        assert stored.paged_by == "U0AGENT01"
        assert stored.criteria == [DOWN]
        assert stored.routes["pagerduty"] == "sent"
        assert stored.response_due_at.replace(tzinfo=None) == (
            clock.now() + timedelta(minutes=30)
        ).replace(tzinfo=None)


def test_429_and_500_are_retried_with_backoff(services, fake_pd, clock):
    fake_pd.answer_next(429)
    fake_pd.answer_next(500)
    page(services)
    services.outbox.deliver_due()
    assert len(fake_pd.events()) == 1
    services.outbox.deliver_due()  # backoff: not due yet
    assert len(fake_pd.events()) == 1
    clock.advance(timedelta(seconds=6))
    services.outbox.deliver_due()
    assert len(fake_pd.events()) == 2
    clock.advance(timedelta(seconds=11))
    services.outbox.deliver_due()
    events = fake_pd.events()
    assert len(events) == 3
    assert events[0].body == events[2].body  # the same page, retried
    with Session(services.engine) as session:
        assert session.exec(select(Page)).one().routes["pagerduty"] == "sent"


def test_400_is_reported_in_the_thread_and_falls_back_to_email(
    make_services, fake_pd, smtp, fake_slack
):
    services = make_services()
    # An email-less route would lose the page: make PagerDuty the only configured route.
    playbook = idv(services)
    pd_only = playbook.model_copy(
        update={"emergency": playbook.emergency.model_copy(update={"email": None})}
    )
    fake_pd.answer_next(400)
    usecase.page_on_call(services, playbook=pd_only, report=REPORT, user_id="U0AGENT01", kick=False)
    services.outbox.deliver_due()
    services.outbox.deliver_due()
    assert len(fake_pd.events()) == 1  # a 400 is not retried
    refused = [t for t in thread_texts(fake_slack) if "refused the page" in t]
    assert refused and "Event object is invalid" in refused[0]
    # The shipped playbook has the email route, so the fallback sends to it.
    [mail] = smtp.wait_for(1)
    assert "EMERGENCY ESC-1" in mail.message["Subject"]
    assert "Falling back to the email route" in refused[0]


def test_400_with_both_routes_sends_exactly_one_email(services, fake_pd, smtp):
    fake_pd.answer_next(400)
    page(services)
    services.outbox.deliver_due()
    services.outbox.deliver_due()
    assert len(smtp.wait_for(1)) == 1
    with Session(services.engine) as session:
        emails = session.exec(select(OutboxItem).where(OutboxItem.kind == "email")).all()
        assert len(emails) == 1


def test_second_emergency_within_window_updates_the_same_incident(services, fake_pd, smtp, clock):
    first = page(services)
    services.outbox.deliver_due()
    clock.advance(timedelta(hours=1))
    again = em.EmergencyReport(
        **{**REPORT.__dict__, "case_id": first.case_id, "impact": "Now also renewals"}
    )
    second = page(services, again)
    services.outbox.deliver_due()
    assert second.action is em.PageAction.UPDATE and second.page_id == first.page_id
    events = fake_pd.events()
    assert [e.body["dedup_key"] for e in events] == ["ESC-1", "ESC-1"]
    assert events[1].body["payload"]["custom_details"]["impact"] == "Now also renewals"
    mails = smtp.wait_for(2)
    assert mails[0].message["Subject"] == mails[1].message["Subject"]
    assert mails[1].message["In-Reply-To"] == mails[0].message["Message-ID"]
    with Session(services.engine) as session:
        assert len(session.exec(select(Page)).all()) == 1


def test_page_again_sends_a_new_page(services, fake_pd, clock):
    first = page(services)
    services.outbox.deliver_due()
    clock.advance(timedelta(minutes=10))
    second = usecase.page_again(services, page_id=first.page_id, user_id="U0LEAD001", kick=False)
    services.outbox.deliver_due()
    assert second.action is em.PageAction.NEW and second.page_id != first.page_id
    assert [e.body["dedup_key"] for e in fake_pd.events()] == ["ESC-1", "ESC-1/page-2"]


def test_after_the_window_a_new_page_goes_out(services, fake_pd, clock):
    first = page(services)
    clock.advance(timedelta(hours=5))
    second = page(services, em.EmergencyReport(**{**REPORT.__dict__, "case_id": first.case_id}))
    assert second.action is em.PageAction.NEW


def test_thirty_minute_watch_reminds_once(services, fake_slack, clock):
    page(services)
    services.outbox.deliver_due()
    clock.advance(timedelta(minutes=29))
    assert usecase.watch_pages(services) == 0
    clock.advance(timedelta(minutes=1))
    assert usecase.watch_pages(services) == 1
    assert usecase.watch_pages(services) == 0
    reminder = [
        c for c in fake_slack.calls_to("chat.postMessage") if "No acknowledgement" in c.body["text"]
    ]
    assert len(reminder) == 1
    blocks = reminder[0].body["blocks"]
    assert "integration-engineer@idv-vendor.example.com" in str(blocks)
    assert "emergency_page_again" in str(blocks)


def test_acknowledged_page_is_not_reminded_and_pagerduty_is_told(services, fake_pd, clock):
    outcome = page(services)
    services.outbox.deliver_due()
    usecase.acknowledge_pages(services, case_id=outcome.case_id, by="U0ONCALL1", via="button")
    ack = fake_pd.wait_for_events(2)[1].body
    assert ack == {"routing_key": ROUTING_KEY, "event_action": "acknowledge", "dedup_key": "ESC-1"}
    clock.advance(timedelta(minutes=31))
    assert usecase.watch_pages(services) == 0


def test_pagerduty_acknowledgement_is_read_with_an_api_key(make_services, fake_pd, clock):
    services = make_services(PAGERDUTY_API_KEY="api-key-1")
    outcome = page(services)
    services.outbox.deliver_due()
    fake_pd.set_incident("ESC-1", "acknowledged", acknowledger="On-call Engineer")
    clock.advance(timedelta(minutes=30))
    assert usecase.watch_pages(services) == 0
    with Session(services.engine) as session:
        stored = session.get(Page, outcome.page_id)
        assert stored.acknowledged_by == "On-call Engineer"
    # PagerDuty told us; we do not echo an acknowledge back.
    assert [e.body["event_action"] for e in fake_pd.events()] == ["trigger"]


def test_resolving_the_case_resolves_the_alert(services, fake_pd, clock):
    outcome = page(services)
    services.outbox.deliver_due()
    with write_session(services.engine) as session:
        assert resolve_pages_for_case(session, case_id=outcome.case_id, now=clock.now()) == 1
    services.outbox.deliver_due()
    assert fake_pd.events()[-1].body == {
        "routing_key": ROUTING_KEY,
        "event_action": "resolve",
        "dedup_key": "ESC-1",
    }
    clock.advance(timedelta(hours=1))
    assert usecase.watch_pages(services) == 0


def test_both_routes_down_says_so_loudly_and_keeps_the_page_queued(
    services, fake_pd, smtp, fake_slack, clock
):
    smtp.refuse_next("451 4.3.0 Try again later", times=5)
    fake_pd.answer_next(500, times=5)
    page(services)
    services.outbox.deliver_due()
    usecase.watch_pages(services)
    services.outbox.deliver_due()
    loud = [t for t in thread_texts(fake_slack) if "Nobody has been paged yet" in t]
    assert len(loud) == 1 and loud[0].startswith("<!here>")
    with Session(services.engine) as session:
        items = session.exec(
            select(OutboxItem).where(OutboxItem.kind.in_(["pagerduty", "email"]))
        ).all()
        assert {item.state for item in items} == {"pending"}
        assert session.exec(select(CaseEvent).where(CaseEvent.kind == "page_routes_down")).one()
    usecase.watch_pages(services)
    assert len([t for t in thread_texts(fake_slack) if "Nobody has been paged yet" in t]) == 1


def test_resolving_the_case_through_the_status_machine_resolves_the_alert(services, fake_pd, clock):
    outcome = page(services)
    services.outbox.deliver_due()
    actor = Actor("U0AGENT01", members={1: frozenset({"U0AGENT01"})})
    for action in (Action.ACKNOWLEDGE, Action.RESOLVE):
        result = move_case(
            services,
            case_id=outcome.case_id,
            action=action,
            actor=actor,
            via=Via.BUTTON,
            kick=False,
            resolution=NOTE if action is Action.RESOLVE else None,
        )
        assert result.outcome is Outcome.APPLIED, result
    services.outbox.deliver_due()
    assert fake_pd.events()[-1].body == {
        "routing_key": ROUTING_KEY,
        "event_action": "resolve",
        "dedup_key": "ESC-1",
    }
