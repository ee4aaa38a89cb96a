"""The App Home tab through the signed endpoint: none, a few and many cases; overdue clocks;
the cases waiting on the viewer; paging with Previous / Next, never a silent cut."""

from __future__ import annotations

import json
from datetime import timedelta

from slackbot.devtools.slack_rules import trigger_id
from slackbot.render.ids import HomeAction
from storage.db import write_session
from storage.models import Case, Deadline
from tests.support.cases import Seeder
from tests.support.env import START

VIEWER = "U0VIEWER1"


def _open_home(bot, fake_slack, user=VIEWER) -> dict:
    before = len(fake_slack.calls_to("views.publish"))
    bot.sender.event({"type": "app_home_opened", "user": user, "tab": "home", "channel": "D0"})
    call = fake_slack.wait_for("views.publish", before + 1)[-1]
    assert call.body["user_id"] == user
    return call.body["view"]


def _texts(view: dict) -> str:
    return json.dumps(view["blocks"])


def _press(bot, fake_slack, action: str, value: str) -> dict:
    before = len(fake_slack.calls_to("views.publish"))
    bot.sender.interactive(
        {
            "type": "block_actions",
            "team": {"id": "T0TEAM001", "domain": "example"},
            "user": {"id": VIEWER, "team_id": "T0TEAM001"},
            "api_app_id": "A0APP0001",
            "container": {"type": "view", "view_id": "V0HOME"},
            "trigger_id": trigger_id(),
            "view": {"id": "V0HOME", "type": "home"},
            "actions": [
                {"type": "button", "action_id": action, "block_id": "home_pager", "value": value}
            ],
        }
    )
    return fake_slack.wait_for("views.publish", before + 1)[-1].body["view"]


def _cases(engine, count: int, *, owner=VIEWER) -> list[int]:
    with write_session(engine) as session:
        seed = Seeder(session)
        ids = []
        for n in range(count):
            case = seed.case(START - timedelta(hours=count - n), summary=f"Case number {n + 1}")
            case.owner_id = owner
            case.status = "acknowledged"
            case.root_ts, case.channel_id = f"1700000000.{n:06d}", "C0IDV0001"
            session.add(case)
            ids.append(case.id)
        return ids


def test_a_viewer_with_no_cases_is_told_so(bot, fake_slack):
    view = _open_home(bot, fake_slack)
    assert view["type"] == "home"
    assert "You have no open cases." in _texts(view)
    assert "Nothing waits on you." in _texts(view)


def test_a_few_cases_show_status_owner_overdue_clock_and_a_button_to_the_thread(bot, fake_slack):
    first, _second = _cases(bot.services.engine, 2)
    with write_session(bot.services.engine) as session:
        session.add(
            Deadline(
                case_id=first,
                kind="vendor_ack",
                anchor_at=START - timedelta(hours=5),
                due_at=START - timedelta(hours=3),
                expires_at=START - timedelta(hours=3),
                updated_at=START,
            )
        )
    view = _open_home(bot, fake_slack)
    text = _texts(view)
    assert "Case number 1" in text and "Case number 2" in text
    assert "overdue by 3h" in text
    assert f"owner <@{VIEWER}>" in text
    assert "Waiting on you (2)" in text
    buttons = [
        block["accessory"] for block in view["blocks"] if block.get("accessory", {}).get("url")
    ]
    assert len(buttons) == 4  # each case in both lists links to its thread
    assert buttons[0]["url"].startswith("https://example.slack.com/archives/C0IDV0001/p")
    assert "home_pager" not in text


def test_many_cases_are_paged_and_every_one_is_reachable(bot, fake_slack):
    ids = _cases(bot.services.engine, 40, owner="U0SOMEONE")
    with write_session(bot.services.engine) as session:
        for case_id in ids:
            case = session.get(Case, case_id)
            case.opened_by = VIEWER
            session.add(case)
    seen: set[str] = set()
    view = _open_home(bot, fake_slack)
    assert "page 1 of 3, 40 in all" in _texts(view)
    assert len(view["blocks"]) <= 100
    for page in range(3):
        seen |= {
            b["block_id"] for b in view["blocks"] if b.get("block_id", "").startswith("home_open_")
        }
        if page < 2:
            view = _press(bot, fake_slack, HomeAction.NEXT_PAGE, str(page + 1))
    assert seen == {f"home_open_{case_id}" for case_id in ids}
    assert "page 3 of 3" in _texts(view)
    back = _press(bot, fake_slack, HomeAction.PREVIOUS_PAGE, "1")
    assert "page 2 of 3" in _texts(back)
