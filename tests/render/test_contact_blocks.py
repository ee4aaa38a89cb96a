"""`/escalate contacts` text builders, with no fakes: the shipped playbooks and fixed instants."""

from __future__ import annotations

from datetime import UTC, datetime

from slackbot.domain.playbooks import DEFAULT_PLAYBOOKS_PATH, load_playbooks, parse_playbooks
from slackbot.render import contact_blocks as cb

PLAYBOOKS = load_playbooks(DEFAULT_PLAYBOOKS_PATH)
IDV = PLAYBOOKS.get("idv")
TIER3 = PLAYBOOKS.get("tier3")
ASSISTER = PLAYBOOKS.get("assister")
#: Wednesday 18 November 2026: 09:00 in Los Angeles, 12:00 in New York.
WEDNESDAY_MORNING = datetime(2026, 11, 18, 17, 0, tzinfo=UTC)
#: Wednesday 18:30 in New York: the platform team has just closed.
WEDNESDAY_EVENING = datetime(2026, 11, 18, 23, 30, tzinfo=UTC)
#: Saturday 21 November 2026, 12:00 in New York: the marketplace works Saturdays, we don't.
SATURDAY_NOON = datetime(2026, 11, 21, 17, 0, tzinfo=UTC)
#: Sunday 22 November 2026, 12:00 in New York.
SUNDAY_NOON = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)


def lines(text: str) -> list[str]:
    return text.splitlines()


def test_idv_lists_receiver_leadership_and_technical_contacts_with_titles_and_emails():
    text = cb.build_contacts(IDV, WEDNESDAY_MORNING)
    rows = lines(text)
    assert rows[0] == "*Identity verification vendor* (`idv`)"
    assert rows[1] == (
        "*Receiving party:* Identity verification vendor support · "
        "ehr-support@idv-vendor.example.com"
    )
    leadership = rows.index("*Leadership escalation contacts:*")
    technical = rows.index("*Technical escalation contacts:*")
    assert rows[leadership + 1 : technical] == [
        "• Support escalations lead, Customer Success Associate · "
        "escalations-lead@idv-vendor.example.com",
        "• Healthcare support lead, Healthcare Lead, Member Support · "
        "healthcare-lead@idv-vendor.example.com",
    ]
    assert rows[technical + 1 : technical + 3] == [
        "• Integration engineer, Sales Integration Engineer · "
        "integration-engineer@idv-vendor.example.com",
        "• Support escalations lead, Customer Success Associate · "
        "escalations-lead@idv-vendor.example.com",
    ]
    assert len(text) <= cb.SECTION_LIMIT


def test_idv_hours_say_both_sides_and_that_a_round_the_clock_vendor_is_open():
    rows = lines(cb.build_contacts(IDV, WEDNESDAY_MORNING))
    assert "• Ours: 05:00–17:00 America/Los_Angeles, Mon–Fri (open now)" in rows
    assert "• Theirs: 24x7x365 :large_green_circle: open now" in rows
    sunday = lines(cb.build_contacts(IDV, SUNDAY_NOON))
    assert "• Theirs: 24x7x365 :large_green_circle: open now" in sunday
    assert (
        "• Ours: 05:00–17:00 America/Los_Angeles, Mon–Fri "
        "(closed now; opens Mon 23 Nov 05:00 America/Los_Angeles)"
    ) in sunday


def test_open_now_follows_the_clock_both_ways():
    theirs = "• Theirs: 08:00–18:00 America/New_York, Mon–Fri"
    assert f"{theirs} :large_green_circle: open now" in lines(
        cb.build_contacts(TIER3, WEDNESDAY_MORNING)
    )
    assert f"{theirs} :red_circle: closed now; opens Thu 19 Nov 08:00 America/New_York" in lines(
        cb.build_contacts(TIER3, WEDNESDAY_EVENING)
    )
    assert f"{theirs} :red_circle: closed now; opens Mon 23 Nov 08:00 America/New_York" in lines(
        cb.build_contacts(TIER3, SUNDAY_NOON)
    )


def test_each_side_has_its_own_hours():
    rows = lines(cb.build_contacts(ASSISTER, SATURDAY_NOON))
    assert (
        "• Theirs: 08:00–18:00 America/New_York, Mon, Tue, Wed, Thu, Fri, Sat "
        ":large_green_circle: open now"
    ) in rows
    assert (
        "• Ours: 08:00–17:00 America/New_York, Mon–Fri "
        "(closed now; opens Mon 23 Nov 08:00 America/New_York)"
    ) in rows


def test_the_emergency_route_names_the_page_address_pagerduty_criteria_and_response_time():
    text = cb.build_contacts(IDV, WEDNESDAY_MORNING)
    assert (
        "*Emergency route:* :rotating_light: pages on-call through PagerDuty and email to "
        "vendor-oncall@idv-vendor.pagerduty.example.com; expected response within 30 minutes."
    ) in lines(text)
    assert (
        "• Use `/emergency` only when: A production system is down and inoperative. "
        "Anything else goes through `/escalate`."
    ) in lines(text)
    assert "no emergency route" not in text


def test_a_playbook_without_an_emergency_route_says_so_and_shows_the_receivers_phone():
    text = cb.build_contacts(ASSISTER, WEDNESDAY_MORNING)
    rows = lines(text)
    assert rows[1] == (
        "*Receiving party:* Marketplace contact center · assisters@marketplace.example.com · "
        "1-555-555-0100"
    )
    assert "*Leadership escalation contacts:* none listed" in rows
    assert "*Technical escalation contacts:* none listed" in rows
    assert rows[-1].startswith("*Emergency route:* no emergency route")
    assert "PagerDuty" not in text


def test_several_criteria_must_all_hold():
    playbooks = parse_playbooks(
        {
            "playbook": [
                {
                    "id": "two",
                    "title": "Two criteria",
                    "channel": "#two",
                    "receiver": {"name": "Partner"},
                    "emergency": {
                        "email": "page@partner.example.com",
                        "criteria": ["Production is down", "No workaround exists"],
                        "response_time": "2h",
                    },
                }
            ]
        }
    )
    text = cb.build_contacts(playbooks.get("two"), WEDNESDAY_MORNING)
    assert "pages on-call through email to page@partner.example.com;" in text
    assert "expected response within 2h" in text
    assert "only when: all of these hold: Production is down; No workaround exists." in text


def test_no_playbook_named_lists_every_playbook_with_contacts_and_skips_the_rest():
    text = cb.build_contacts_answer(PLAYBOOKS, None, WEDNESDAY_MORNING)
    assert "*Identity verification vendor* (`idv`)" in text
    assert "*Marketplace assister escalation* (`assister`)" in text
    # The internal tier-3 path names nobody to reach: no section for it.
    assert "(`tier3`)" not in text
    assert text.index("(`idv`)") < text.index("(`assister`)")
    assert len(text) <= cb.ANSWER_LIMIT


def test_a_named_playbook_answers_for_that_one_only_in_any_case():
    text = cb.build_contacts_answer(PLAYBOOKS, "TIER3", SUNDAY_NOON)
    assert text.startswith("*Portal tier 3 (platform team)* (`tier3`)")
    assert "(`idv`)" not in text


def test_an_unknown_playbook_gets_one_line_with_the_valid_ids():
    text = cb.build_contacts_answer(PLAYBOOKS, "<!channel>", WEDNESDAY_MORNING)
    assert text == "There is no playbook `&lt;!channel&gt;`; use one of `idv`, `tier3`, `assister`."


def _playbook(index: int, contacts: int = 3, **extra):
    names = [
        {
            "name": f"Person {n} <!here>",
            "title": "Lead & *boss*",
            "email": f"p{n}@partner.example.com",
        }
        for n in range(contacts)
    ]
    return {
        "id": f"pb{index}",
        "title": f"Partner {index} <@U123>",
        "channel": f"#pb{index}",
        "receiver": {"name": "Partner <b>", "email": "desk@partner.example.com"},
        "leadership_contacts": names,
        "technical_contacts": names,
        **extra,
    }


def test_playbook_text_is_escaped_for_mrkdwn():
    playbooks = parse_playbooks(
        {"playbook": [_playbook(1, contacts=1, emergency={"criteria": ["Down <!channel>"]})]}
    )
    text = cb.build_contacts(playbooks.get("pb1"), WEDNESDAY_MORNING)
    assert "*Partner 1 &lt;@U123&gt;* (`pb1`)" in text
    assert "Partner &lt;b&gt;" in text
    assert "• Person 0 &lt;!here&gt;, Lead &amp; *boss* · p0@partner.example.com" in text
    assert "Down &lt;!channel&gt;" in text
    assert "<!" not in text and "<@" not in text


def test_a_long_playbook_loses_contact_lines_not_its_hours_or_emergency_route():
    playbooks = parse_playbooks(
        {"playbook": [_playbook(1, contacts=60, emergency={"pagerduty": True})]}
    )
    text = cb.build_contacts(playbooks.get("pb1"), WEDNESDAY_MORNING)
    rows = lines(text)
    assert len(text) <= cb.SECTION_LIMIT
    assert rows[0].startswith("*Partner 1")
    assert cb.CUT_NOTE in rows
    assert "*Business hours:*" in rows
    assert rows[-1].startswith("• Use `/emergency` only when:")
    assert "p0@partner.example.com" in text and "p59@partner.example.com" not in text


def test_many_playbooks_fit_one_answer_and_point_to_the_rest():
    playbooks = parse_playbooks({"playbook": [_playbook(i, contacts=8) for i in range(6)]})
    text = cb.build_contacts_answer(playbooks, None, WEDNESDAY_MORNING)
    assert len(text) <= cb.ANSWER_LIMIT
    assert "(`pb0`)" in text
    last = lines(text)[-1]
    assert last.startswith("…and more: ask for one at a time with `/escalate contacts <playbook>`")
    assert "`pb5`" in last
    shown = [i for i in range(6) if f"(`pb{i}`)" in text]
    assert shown == list(range(len(shown))) and len(shown) < 6
    assert all(f"`pb{i}`" in last for i in range(len(shown), 6))
