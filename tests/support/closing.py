"""A resolution note for tests that resolve cases (a resolve needs one, issue 13)."""

import json

from slackbot.domain.resolution import Resolution

NOTE = Resolution(
    issue="The selfie check failed",
    done="The vendor reset the check; advised the user to retry",
    action_needed=False,
)
NEEDS_ACTION = Resolution(
    issue="The sign-up email was wrong",
    done="Advised the user to update it",
    action_needed=True,
    action_by="Tier 1 agent",
)


def note_values(
    issue: str = "The selfie check failed",
    done: str = "The vendor reset the check; advised the user to retry",
    needed: str = "no",
    by: str = "",
) -> dict:
    """The resolution note form's state, as Slack submits it."""
    return {
        "f_issue": {"value": {"type": "plain_text_input", "value": issue}},
        "f_done": {"value": {"type": "plain_text_input", "value": done}},
        "f_action_needed": {
            "value": {"type": "radio_buttons", "selected_option": {"value": needed}}
        },
        "f_action_by": {"value": {"type": "plain_text_input", "value": by or None}},
    }


def note_form(fake_slack) -> dict:
    """The latest resolution note form the bot opened."""
    call = fake_slack.wait_until(
        lambda c: c.method == "views.open" and "case_resolution_note" in str(c.body),
        "the resolution note form",
    )[-1]
    view = call.body["view"]
    return json.loads(view) if isinstance(view, str) else view
