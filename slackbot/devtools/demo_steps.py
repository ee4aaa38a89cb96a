"""The demo's script: each step does what one person does in Slack, through the bot's signed
HTTP endpoint, and waits until the bot has answered."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slackbot.devtools.samples import filled_view, intake_answers, view_state
from slackbot.devtools.signed import Response, SlackSender, block_actions, view_submission
from slackbot.devtools.stage import AGENT, LEAD, SCALE, SUPPORT_CHANNEL, Stage
from slackbot.devtools.transcript import Transcript
from slackbot.domain.durations import format_duration, parse_duration
from slackbot.domain.playbooks import Playbook
from slackbot.render.ids import EmailAction

#: How long a step may wait for what it expects (the machine may be busy).
WAIT = 30.0
#: The emergency modal's answers, by block id.
EMERGENCY_ANSWERS = {
    "em_system": "Identity verification API",
    "em_what_is_down": "Every verification returns 503",
    "em_since": "05:40 local time",
    "em_impact": "No prescriber can verify; sign-ups are blocked",
    "em_page_again": [],
}
RESOLUTION_NOTE = "Fixed: the verification was reset on their side; the user signed in at 11:05."


class DemoError(Exception):
    """A step did not see what it expected."""


class CheckedSender:
    """Slack's side of the endpoint: every request must be answered 200, as Slack expects."""

    def __init__(self, sender: SlackSender) -> None:
        self._sender = sender

    @staticmethod
    def _ok(response: Response) -> Response:
        if response.status != 200:
            raise DemoError(f"the bot answered HTTP {response.status}: {response.body[:200]}")
        return response

    def command(self, command: str, text: str = "", **kwargs: Any) -> Response:
        """A slash command."""
        return self._ok(self._sender.command(command, text, **kwargs))

    def interactive(self, payload: dict[str, Any]) -> Response:
        """An interactivity payload."""
        return self._ok(self._sender.interactive(payload))

    def event(self, event: dict[str, Any]) -> Response:
        """An Events API envelope."""
        return self._ok(self._sender.event(event))


@dataclass
class Run:
    """The demo in progress: the stage, the transcript and what the steps learned."""

    stage: Stage
    transcript: Transcript
    playbook: Playbook
    #: The playbook as the file says (the running one has its clocks scaled).
    shipped: Playbook
    channel: str = ""
    root_ts: str = ""
    preview: dict[str, Any] | None = None

    @property
    def slack(self):
        """The fake Slack Web API."""
        return self.stage.slack

    def send(self) -> CheckedSender:
        """The signed-request sender (Slack's side)."""
        assert self.stage.sender is not None
        return CheckedSender(self.stage.sender)

    def wait(self, check: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
        """Wait until `check()` returns something true."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = check()
            if found:
                return found
            time.sleep(0.05)
        raise DemoError(f"waited {timeout:.0f} s for {what}")

    def posts(self, predicate: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        """Every chat.postMessage body that `predicate` accepts."""
        return [c.body for c in self.slack.calls_to("chat.postMessage") if predicate(c.body)]

    def modal_after(self, count: int) -> dict[str, Any]:
        """The view of the `count`+1-th views.open."""
        try:
            calls = self.slack.wait_for("views.open", count + 1, WAIT)
        except AssertionError as exc:
            raise DemoError(f"no form opened ({exc})".splitlines()[0][:300]) from None
        return calls[count].body["view"]

    def react(self, name: str, user: str = LEAD) -> None:
        """`user` adds reaction `name` to the case's root message."""
        self.send().event(
            {
                "type": "reaction_added",
                "user": user,
                "reaction": name,
                "item_user": "UBOT0001",
                "item": {"type": "message", "channel": self.channel, "ts": self.root_ts},
                "event_ts": f"{time.time():.6f}",
            }
        )

    def press(self, action_id: str, value: str, user: str = AGENT) -> None:
        """`user` presses a button in the case's channel."""
        payload = block_actions(action_id, value, user=user, channel=self.channel)
        self.send().interactive(payload)


def _button(blocks: list[dict[str, Any]], action_id: str) -> dict[str, Any] | None:
    for block in blocks:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("action_id") == action_id:
                return element
    return None


# -- the steps -------------------------------------------------------------------------------


def step_escalate(run: Run) -> None:
    """Sam types /escalate <playbook> in #support: the playbook's form opens."""
    before = len(run.slack.calls_to("views.open"))
    run.send().command("/escalate", run.playbook.id, user=AGENT, channel=SUPPORT_CHANNEL)
    run.modal_after(before)


def step_submit(run: Run) -> None:
    """Sam fills the form with sample answers and presses Open case."""
    view = run.slack.calls_to("views.open")[-1].body["view"]
    state = view_state(view, intake_answers(run.playbook))
    run.transcript.modal(AGENT, filled_view(view, state), where="form, as submitted")
    payload = view_submission(view, state, user=AGENT)
    answer = run.send().interactive(payload).json() or {}
    if answer.get("response_action") == "errors":
        raise DemoError(f"the form refused the sample answers: {answer['errors']}")
    name = run.playbook.channel

    def root() -> list[dict[str, Any]]:
        return run.posts(lambda b: b.get("channel") == name and not b.get("thread_ts"))

    run.wait(root, "the root message")
    run.wait(lambda: run.slack.calls_to("chat.postEphemeral"), "Sam's confirmation")
    run.channel = run.slack.channel_ids.get(name, name)
    run.slack.channel_members[run.channel] = [AGENT, LEAD]
    run.root_ts = run.wait(lambda: run.slack.posts_in(run.channel), "the kept root")[0]["ts"]
    if run.playbook.receiver.email:
        previews = run.wait(
            lambda: run.posts(lambda b: str(b.get("text", "")).startswith("Hand-off email")),
            "the hand-off email's preview",
        )
        run.preview = previews[-1]


def _updates(run: Run) -> int:
    return len(run.slack.calls_to("chat.update"))


def step_take(run: Run) -> None:
    """Dana reacts 👀 on the root message: she owns the case."""
    before = _updates(run)
    run.react("eyes")
    run.wait(lambda: _updates(run) > before, "the root message edited")


def step_wait(run: Run) -> None:
    """Dana reacts ⏳: the case waits on the receiving side."""
    before = _updates(run)
    run.react("hourglass_flowing_sand")
    run.wait(lambda: _updates(run) > before, "the root message edited")


def step_view_email(run: Run) -> None:
    """Sam presses View full email: the whole email, contact details included, only to him."""
    if run.preview is None:
        run.transcript.write(f"({run.playbook.receiver.name} takes no email: nothing to send)")
        return
    view = _button(run.preview.get("blocks") or [], EmailAction.VIEW)
    if view is None:
        raise DemoError("the preview has no View full email button")
    before = len(run.slack.calls_to("chat.postEphemeral"))
    run.press(EmailAction.VIEW, view["value"])
    run.wait(lambda: len(run.slack.calls_to("chat.postEphemeral")) > before, "the full email")


def step_send_email(run: Run) -> None:
    """Sam presses Send to vendor (and confirms): the email goes out once."""
    if run.preview is None:
        return
    send = _button(run.preview.get("blocks") or [], EmailAction.SEND)
    if send is None:
        raise DemoError("the preview has no Send button")
    run.press(EmailAction.SEND, send["value"])
    run.wait(lambda: run.stage.smtp.messages, "the email at the vendor's inbox")


def _reminders(run: Run) -> list[dict[str, Any]]:
    return run.posts(
        lambda b: bool(b.get("thread_ts")) and ":alarm_clock:" in str(b.get("blocks") or "")
    )


def step_reminder(run: Run) -> None:
    """The vendor's acknowledgement is overdue: a reminder in the thread, with its buttons."""
    if run.preview is None:
        run.transcript.write("(nothing was handed off by email: no vendor clock runs)")
        return
    ack = parse_duration(run.shipped.sla.vendor_ack)
    run.transcript.write(
        f"(the vendor owes an acknowledgement within {format_duration(ack)}; an hour lasts "
        f"{3600 / SCALE:g} s here, so it is due {ack.total_seconds() / SCALE:g} s after the send)"
    )
    run.wait(lambda: _reminders(run), "a reminder in the thread", timeout=WAIT + 30)


def _emergency(run: Run, *, confirmed: bool) -> dict[str, Any]:
    before = len(run.slack.calls_to("views.open"))
    run.send().command("/emergency", "ESC-1", user=AGENT, channel=run.channel)
    view = run.modal_after(before)
    criteria = next(b for b in view["blocks"] if b.get("block_id") == "em_criteria")
    options = [o["value"] for o in criteria["element"].get("options", [])]
    answers = {**EMERGENCY_ANSWERS, "em_criteria": options if confirmed else []}
    state = view_state(view, answers)
    run.transcript.flush(AGENT)  # the form as it opened
    if confirmed:
        run.transcript.modal(AGENT, filled_view(view, state), where="form, as submitted")
    payload = view_submission(view, state, user=AGENT)
    return {
        "view": filled_view(view, state),
        "answer": run.send().interactive(payload).json() or {},
    }


def step_emergency_refused(run: Run) -> None:
    """Sam types /emergency ESC-1 but cannot say production is down: nobody is paged."""
    if run.playbook.emergency is None:
        run.transcript.write(f"({run.playbook.title} has no emergency route)")
        return
    result = _emergency(run, confirmed=False)
    errors = result["answer"].get("errors") or {}
    if result["answer"].get("response_action") != "errors":
        raise DemoError("an unconfirmed emergency was not refused")
    run.transcript.modal(AGENT, result["view"], errors)


def step_emergency_paged(run: Run) -> None:
    """Sam confirms production is down: on-call is paged once, a siren thread says so."""
    if run.playbook.emergency is None:
        return
    result = _emergency(run, confirmed=True)
    if result["answer"].get("response_action") == "errors":
        raise DemoError(f"the confirmed emergency was refused: {result['answer']['errors']}")
    run.wait(lambda: run.stage.pagerduty.events(), "the PagerDuty event")


def step_resolve(run: Run) -> None:
    """Dana writes the resolution note in the thread and reacts ✅: the case is resolved."""
    opened = len(run.slack.calls_to("views.open"))
    run.transcript.user_post(LEAD, run.playbook.channel, RESOLUTION_NOTE)
    run.send().event(
        {
            "type": "message",
            "user": LEAD,
            "text": RESOLUTION_NOTE,
            "channel": run.channel,
            "ts": f"{time.time():.6f}",
            "thread_ts": run.root_ts,
            "event_ts": f"{time.time():.6f}",
            "channel_type": "channel",
        }
    )
    calls = len(run.slack.calls)
    run.react("white_check_mark")
    run.transcript.settle()
    if not _resolved(run) and len(run.slack.calls_to("views.open")) == opened:
        # The bot may ask for the note with a button (a reaction cannot open a form).
        _press_note_button(run, calls)
        run.transcript.settle()
    # A resolution-note form, when the bot asks for one, is answered with the same note.
    if len(run.slack.calls_to("views.open")) > opened:
        view = run.slack.calls_to("views.open")[-1].body["view"]
        state = view_state(view, note_answers(view))
        run.transcript.flush(LEAD)
        run.transcript.modal(LEAD, filled_view(view, state), where="form, as submitted")
        answer = run.send().interactive(view_submission(view, state, user=LEAD)).json() or {}
        if answer.get("response_action") == "errors":
            raise DemoError(f"the resolution note was refused: {answer['errors']}")
    run.wait(lambda: _resolved(run), "the root message edited to resolved")


def note_answers(view: dict[str, Any]) -> dict[str, Any]:
    """A resolution-note form's answers: the note in each empty required text box, "No" where
    it asks a yes-or-no question (no action still needed), what it prefilled elsewhere."""
    answers: dict[str, Any] = {}
    for block in view.get("blocks", []):
        element = block.get("element") or {}
        block_id = block.get("block_id", "")
        if block.get("type") != "input":
            continue
        if element.get("type") == "plain_text_input" and not element.get("initial_value"):
            answers[block_id] = "" if block.get("optional") else RESOLUTION_NOTE
        for option in element.get("options") or []:
            if str((option.get("text") or {}).get("text", "")).lower() == "no":
                answers[block_id] = option.get("value")
    return answers


def _resolved(run: Run) -> bool:
    """Whether the root message was edited to say the case is resolved."""
    return any(
        c.body.get("ts") == run.root_ts and "[resolved]" in str(c.body.get("text", ""))
        for c in run.slack.calls_to("chat.update")
    )


def _press_note_button(run: Run, since: int) -> None:
    """Press the first button about a resolution note posted since call number `since`."""
    for call in run.slack.calls[since:]:
        if call.method not in ("chat.postEphemeral", "chat.postMessage"):
            continue
        for block in call.body.get("blocks") or []:
            for element in block.get("elements", []) if block.get("type") == "actions" else []:
                action = str(element.get("action_id", ""))
                if "resol" in action or "note" in action:
                    run.press(action, str(element.get("value", "")), user=LEAD)
                    return


STEPS: list[tuple[str, Callable[[Run], None], str]] = [
    ("Sam (tier-1 agent) types /escalate {pb} in #support", step_escalate, AGENT),
    ("Sam fills the form with sample answers and presses Open case", step_submit, AGENT),
    ("Dana (tier 2) reacts 👀 on the root message to take the case", step_take, LEAD),
    ("Dana reacts ⏳: the case waits on the receiving side", step_wait, LEAD),
    ("Sam presses View full email on the hand-off preview", step_view_email, AGENT),
    ("Sam presses Send to vendor and confirms", step_send_email, AGENT),
    ("Time passes: the vendor's acknowledgement is overdue", step_reminder, AGENT),
    ("Sam types /emergency ESC-1 but production is not down", step_emergency_refused, AGENT),
    ("Sam types /emergency ESC-1 and confirms production is down", step_emergency_paged, AGENT),
    ("Dana notes the resolution in the thread and reacts ✅", step_resolve, LEAD),
]
