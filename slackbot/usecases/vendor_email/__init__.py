"""Emails to the receiving side: compose a draft, show it, send it once someone confirms.

1. A draft is asked for in the caller's transaction, through the outbox
   (`slackbot.usecases.drafts.request_draft`): the hand-off when a case opens, or a follow-up
   when someone presses a vendor button (`request`) or a reminder's.
2. The outbox performs it (`compose`): it reads the case opener's name and email from Slack (the
   vendor writes back to our agent), composes the draft from the case and its playbook, stores
   it and posts the preview, contact details hidden, in the case thread.
3. Send (`send`) claims the draft and queues the email in one transaction; the mail server's
   answer marks it sent (moving the case along) or failed (it may be sent again).
4. Edit (`edit`) rebuilds it; View full email (`view`) shows it to one person. Only the case's
   opener and its tier's responders may do either, or send (`access`).
5. Whatever becomes of a draft, its preview is edited in place to say so (`preview`).
"""

from __future__ import annotations

# What the composition root, the listeners and the tests use; the rest stays in its module.
from slackbot.usecases.vendor_email.access import DraftError
from slackbot.usecases.vendor_email.compose import Composer
from slackbot.usecases.vendor_email.edit import draft_for_edit, edit_draft, open_for_edit
from slackbot.usecases.vendor_email.preview import PreviewEditor, preview_key
from slackbot.usecases.vendor_email.request import ask_for_draft
from slackbot.usecases.vendor_email.send import DRAFT_EMAIL, email_given_up, email_sent, send_draft
from slackbot.usecases.vendor_email.view import view_draft

__all__ = [
    "DRAFT_EMAIL",
    "Composer",
    "DraftError",
    "PreviewEditor",
    "ask_for_draft",
    "draft_for_edit",
    "edit_draft",
    "email_given_up",
    "email_sent",
    "open_for_edit",
    "preview_key",
    "send_draft",
    "view_draft",
]
