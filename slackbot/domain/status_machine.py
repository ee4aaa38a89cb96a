"""The case status machine: which action moves a case from which status to which, and who may.

Everything here is pure. `apply()` turns a case's state and an action into its next state or
raises `IllegalTransition` with a reason fit to show the person who tried; nothing is ever
half-applied. `undo()` restores the state before the latest change. `authorise()` decides who
may act at a tier from membership lists the Slack edge fetched.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from slackbot.domain.cases import CaseStatus
from slackbot.domain.errors import UserFacingError
from slackbot.domain.mrkdwn import mention
from slackbot.domain.playbooks import Playbook, Tier


class Action(StrEnum):
    """What a person can do to a case (reactions, buttons and commands all map to these)."""

    ACKNOWLEDGE = "acknowledge"
    HAND_TO_VENDOR = "hand_to_vendor"
    WAIT_ON_VENDOR = "wait_on_vendor"
    VENDOR_CONTACTING_USER = "vendor_contacting_user"
    ESCALATE_TIER = "escalate_tier"
    NOT_VENDOR_ISSUE = "not_vendor_issue"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    #: The vendor could not reach the end user (after the last contact attempt); no emoji.
    CLOSE_UNREACHABLE = "close_unreachable"
    #: The vendor asked us for details (issue 13): their clocks pause, ours runs.
    VENDOR_NEEDS_INFO = "vendor_needs_info"

    @property
    def label(self) -> str:
        """Human wording: "acknowledge", "escalate to the next tier"."""
        return ACTION_LABELS[self]


ACTION_LABELS = {
    Action.ACKNOWLEDGE: "acknowledge",
    Action.HAND_TO_VENDOR: "hand to the vendor",
    Action.WAIT_ON_VENDOR: "mark as waiting on the vendor",
    Action.VENDOR_CONTACTING_USER: "mark as vendor contacting the end user",
    Action.ESCALATE_TIER: "escalate to the next tier",
    Action.NOT_VENDOR_ISSUE: "return as not a vendor issue",
    Action.RESOLVE: "resolve",
    Action.REOPEN: "reopen",
    Action.CLOSE_UNREACHABLE: "close as unreachable",
    Action.VENDOR_NEEDS_INFO: "mark as vendor needs info from us",
}


class Via(StrEnum):
    """How a change was asked for."""

    REACTION = "reaction"
    BUTTON = "button"
    COMMAND = "command"
    MODAL = "modal"
    #: Followed from an email the bot sent (the hand-off moves the case to the vendor).
    EMAIL = "email"
    #: The bot's own clocks (reminders, the unreachable close).
    SCHEDULER = "scheduler"
    #: The emergency flow (paging, acknowledgements).
    EMERGENCY = "emergency"
    #: PagerDuty said so (an incident acknowledged there).
    PAGERDUTY = "pagerduty"


S = CaseStatus
#: Still being worked: every status but the closed ones.
ACTIVE = frozenset(status for status in CaseStatus if not status.is_closed)
CLOSED = frozenset(status for status in CaseStatus if status.is_closed)
#: The statuses in which the receiving side has the case (their clocks run from the hand-off).
VENDOR_SIDE = frozenset({S.WITH_VENDOR, S.VENDOR_CONTACTING_USER})

#: The transition table: (from status, action) → to status. Anything absent is illegal.
TRANSITIONS: Mapping[tuple[CaseStatus, Action], CaseStatus] = {
    # Taking a case: a new one, one handed up from the tier below, one back from the vendor,
    # or one reopened. A case someone already owns is not silently taken from them.
    **{
        (status, Action.ACKNOWLEDGE): S.ACKNOWLEDGED
        for status in (S.OPEN, S.ESCALATED, S.RETURNED, S.REOPENED)
    },
    # Handing it to the vendor (outbox_tray) or marking it as waiting on them (hourglass); the
    # latter also takes it back from "contacting the end user" when the vendor needs more.
    **{
        (status, Action.HAND_TO_VENDOR): S.WITH_VENDOR
        for status in (S.OPEN, S.ACKNOWLEDGED, S.ESCALATED, S.RETURNED, S.REOPENED)
    },
    **{
        (status, Action.WAIT_ON_VENDOR): S.WITH_VENDOR
        for status in (
            S.OPEN,
            S.ACKNOWLEDGED,
            S.ESCALATED,
            S.RETURNED,
            S.REOPENED,
            S.VENDOR_CONTACTING_USER,
        )
    },
    **{
        (status, Action.VENDOR_CONTACTING_USER): S.VENDOR_CONTACTING_USER
        for status in (S.ACKNOWLEDGED, S.WITH_VENDOR, S.ESCALATED, S.REOPENED)
    },
    # Escalating hands an active case to the next tier (tier limits are checked in `apply`).
    **{(status, Action.ESCALATE_TIER): S.ESCALATED for status in ACTIVE},
    # Only the vendor's side can say it is not theirs: back to our team with their notes.
    **{
        (status, Action.NOT_VENDOR_ISSUE): S.RETURNED
        for status in (S.WITH_VENDOR, S.VENDOR_CONTACTING_USER)
    },
    **{(status, Action.RESOLVE): S.RESOLVED for status in ACTIVE},
    **{
        (status, Action.CLOSE_UNREACHABLE): S.CLOSED_UNREACHABLE
        for status in (S.WITH_VENDOR, S.VENDOR_CONTACTING_USER)
    },
    **{(status, Action.REOPEN): S.REOPENED for status in CLOSED},
    # The vendor asks us for details; sending them (Add update, the hourglass) hands it back.
    **{
        (status, Action.VENDOR_NEEDS_INFO): S.VENDOR_NEEDS_INFO
        for status in (S.WITH_VENDOR, S.VENDOR_CONTACTING_USER)
    },
    (S.VENDOR_NEEDS_INFO, Action.WAIT_ON_VENDOR): S.WITH_VENDOR,
}


class IllegalTransition(UserFacingError):
    """The move is not allowed from where the case stands; `reason` says why, for people."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CaseState:
    """The part of a case the status machine moves."""

    status: CaseStatus
    owner: str | None
    tier: int


@dataclass(frozen=True)
class Transition:
    """One applied move: the states before and after, and what it means for the case."""

    action: Action
    actor: str
    before: CaseState
    after: CaseState

    @property
    def escalated(self) -> bool:
        """Whether the case went up a tier."""
        return self.after.tier > self.before.tier

    @property
    def closes(self) -> bool:
        """Whether the case is now closed."""
        return self.after.status.is_closed and not self.before.status.is_closed

    @property
    def reopens(self) -> bool:
        """Whether a closed case is open again."""
        return self.before.status.is_closed and not self.after.status.is_closed

    @property
    def hands_off(self) -> bool:
        """Whether the case went to the receiving side, by any route (📤, ⏳, the email, …)."""
        return self.after.status in VENDOR_SIDE and self.before.status not in VENDOR_SIDE


def target(status: CaseStatus, action: Action) -> CaseStatus | None:
    """Where `action` takes a case in `status` according to the table, or None."""
    return TRANSITIONS.get((status, action))


def _refusal(state: CaseState, action: Action) -> str:
    status = state.status
    if status.is_closed and action is not Action.REOPEN:
        return f"the case is {status.label}: reopen it first (:repeat:) to {action.label} it"
    if action is Action.REOPEN:
        return f"the case is {status.label}, not closed: there is nothing to reopen"
    if action is Action.ACKNOWLEDGE and state.owner:
        return f"the case is already {status.label}, owned by {mention(state.owner)}"
    if action is Action.ACKNOWLEDGE:
        return f"the case is already {status.label}"
    if target(status, action) == status:
        return f"the case is already {status.label}"
    if action is Action.NOT_VENDOR_ISSUE:
        return "only a case that is with the vendor can be returned as not their issue"
    if action is Action.CLOSE_UNREACHABLE:
        return "only a case that is with the vendor can be closed as unreachable"
    if action is Action.VENDOR_NEEDS_INFO:
        return "only a case that is with the vendor can wait on details from us"
    return f"a case that is {status.label} can't be moved to {action.label}"


def apply(state: CaseState, action: Action, *, actor: str, top_tier: int) -> Transition:
    """The next state for `action` by `actor`, or IllegalTransition saying why not."""
    action = Action(action)
    new_status = target(state.status, action)
    if new_status is None or (new_status == state.status and action is not Action.ESCALATE_TIER):
        raise IllegalTransition(_refusal(state, action))
    owner = state.owner
    tier = state.tier
    if action is Action.ACKNOWLEDGE:
        owner = actor
    elif action is Action.ESCALATE_TIER:
        if tier >= top_tier:
            raise IllegalTransition(
                f"the case is at tier {tier}, the last tier: there is no one to escalate to"
            )
        # The next tier takes it from here: nobody owns it until one of them acknowledges.
        tier, owner = tier + 1, None
    elif action is Action.HAND_TO_VENDOR and owner is None:
        owner = actor
    after = CaseState(status=new_status, owner=owner, tier=tier)
    return Transition(action=action, actor=actor, before=state, after=after)


def undo(current: CaseState, latest: Transition) -> CaseState:
    """The state before `latest`, provided `latest` is still what the case shows."""
    if current != latest.after:
        raise IllegalTransition("the case has changed since: that move can no longer be undone")
    return replace(latest.before)


def allowed_actions(state: CaseState, *, top_tier: int) -> list[Action]:
    """Every action legal from `state`, in declaration order (for buttons and help)."""
    allowed = []
    for action in Action:
        try:
            apply(state, action, actor="-", top_tier=top_tier)
        except IllegalTransition:
            continue
        allowed.append(action)
    return allowed


# --- who may act -----------------------------------------------------------------------------

CHANNEL = "channel"


@dataclass(frozen=True)
class Responders:
    """Where a tier's responders are listed: a user group, or the members of a channel."""

    tier: int
    name: str
    usergroup: str | None
    channel: str | None

    @property
    def description(self) -> str:
        """Human wording for refusals: "the members of <!subteam^S1>"."""
        if self.usergroup:
            return f"the members of <!subteam^{self.usergroup}> ({self.name})"
        return f"the members of this channel ({self.name})"


#: The `tier` key under which an actor's membership of the emergency's on-call group is kept
#: (tiers are 1 to 3).
ON_CALL_TIER = 0


def on_call_for(playbook: Playbook) -> Responders | None:
    """The emergency's on-call group, when the playbook names one."""
    group = playbook.emergency.responders if playbook.emergency else None
    if not group:
        return None
    return Responders(tier=ON_CALL_TIER, name="on-call", usergroup=group, channel=None)


def responders_for(playbook: Playbook, tier: int, *, channel_id: str | None) -> Responders:
    """Who answers for `tier` in this playbook (the case's channel when it names no group)."""
    spec: Tier | None = playbook.tier(tier)
    if spec is None:  # a tier the playbook no longer has: its last one answers
        spec = playbook.tiers[-1]
    if spec.responders == CHANNEL:
        return Responders(tier=spec.tier, name=spec.name, usergroup=None, channel=channel_id)
    return Responders(tier=spec.tier, name=spec.name, usergroup=spec.responders, channel=None)


@dataclass(frozen=True)
class Decision:
    """Whether an actor may act, and why not."""

    allowed: bool
    reason: str = ""


def authorise(actor: str, responders: Responders, members: Collection[str]) -> Decision:
    """Only the responders of the case's current tier may move it."""
    if actor in members:
        return Decision(True)
    return Decision(
        False,
        f"only {responders.description} may move cases at tier {responders.tier}",
    )


#: What a refused person tried, in words: "Only … can <phrase>" ({case} is the case's key).
ACTION_PHRASES: Mapping[Action, str] = {
    Action.ACKNOWLEDGE: "acknowledge {case}",
    Action.HAND_TO_VENDOR: "hand {case} to the vendor",
    Action.WAIT_ON_VENDOR: "mark {case} as waiting on the vendor",
    Action.VENDOR_CONTACTING_USER: "mark {case} as vendor contacting the end user",
    Action.ESCALATE_TIER: "escalate {case} to the next tier",
    Action.NOT_VENDOR_ISSUE: "return {case} as not a vendor issue",
    Action.RESOLVE: "resolve {case}",
    Action.REOPEN: "reopen {case}",
    Action.CLOSE_UNREACHABLE: "close {case} as unreachable",
}
#: The same for the other things a guard stands before, by the name the history logs.
WHAT_PHRASES: Mapping[str, str] = {
    **{action.value: phrase for action, phrase in ACTION_PHRASES.items()},
    "send email": "send the emails of {case}",
    "edit email": "edit the emails of {case}",
    "view email": "see the full emails of {case}",
    "view an email": "see the vendor's emails on {case}",
    "attach an email": "attach emails to {case}",
    "take on the vendor's request": "take on the vendor's requests on {case}",
    "ignore the vendor's email": "ignore the vendor's emails on {case}",
    "acknowledge page": "acknowledge the page for {case}",
    "page again": "page on-call again for {case}",
    "confirm call-back": "confirm the call-back of {case}",
    "update": "add updates to {case}",
    "undo": "undo changes to {case}",
}


def what_phrase(what: str, case: str) -> str:
    """ "send the emails of ESC-42", "ask for the hand-off email of ESC-42", from what was tried."""
    phrase = WHAT_PHRASES.get(what)
    if phrase is None and what.startswith("draft "):
        phrase = f"ask for the {what.removeprefix('draft ')} of {{case}}"
    return (phrase or f"{what} on {{case}}").format(case=case)


def who_may(responders: Responders, *, besides: Collection[str] = ()) -> str:
    """ "the opener, the owner or Tier 2 support (<!subteam^S1>)": who may act, in words."""
    where = f"<!subteam^{responders.usergroup}>" if responders.usergroup else "this channel"
    group = f"{responders.name} ({where})"
    people = [*besides, group]
    return people[0] if len(people) == 1 else f"{', '.join(people[:-1])} or {people[-1]}"


def denial(responders: Responders, *, what: str, case: str, besides: Collection[str] = ()) -> str:
    """The reason a refused person is given: "Only the opener, the owner or Tier 2 support
    (<!subteam^S1>) can edit the emails of ESC-42"."""
    return f"Only {who_may(responders, besides=besides)} can {what_phrase(what, case)}"


#: Words people type for actions in `/escalate move ESC-42 <word>`, besides the action names.
ACTION_WORDS: Mapping[str, Action] = {
    "ack": Action.ACKNOWLEDGE,
    "take": Action.ACKNOWLEDGE,
    "vendor": Action.HAND_TO_VENDOR,
    "handoff": Action.HAND_TO_VENDOR,
    "wait": Action.WAIT_ON_VENDOR,
    "waiting": Action.WAIT_ON_VENDOR,
    "contacting": Action.VENDOR_CONTACTING_USER,
    "escalate": Action.ESCALATE_TIER,
    "up": Action.ESCALATE_TIER,
    "returned": Action.NOT_VENDOR_ISSUE,
    "not-vendor": Action.NOT_VENDOR_ISSUE,
    "resolved": Action.RESOLVE,
    "done": Action.RESOLVE,
    "unreachable": Action.CLOSE_UNREACHABLE,
    "needs-info": Action.VENDOR_NEEDS_INFO,
    "needs_info": Action.VENDOR_NEEDS_INFO,
    "info": Action.VENDOR_NEEDS_INFO,
}


def parse_action(word: str) -> Action | None:
    """The action a typed word names ("resolve", "escalate", "wait", …), or None."""
    word = (word or "").strip().lower()
    try:
        return Action(word.replace("-", "_"))
    except ValueError:
        return ACTION_WORDS.get(word)
