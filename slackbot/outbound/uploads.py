"""Re-uploading a file from a vendor's email to a case thread with `files_upload_v2`.

The outbox item's payload holds the channel, the thread and the file (name, title, base64
bytes, already size-capped by the use case that queued it). Slack's three steps (upload URL,
bytes, completion) are the SDK's; its refusals become the outbox's verdicts.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from slackbot.effects import PermanentFailure, RetryLater
from slackbot.outbound.slack import PERMANENT_ERRORS, slack_error
from storage.models import OutboxItem

#: Errors uploading that retrying won't fix, beyond the posting ones.
UPLOAD_PERMANENT = PERMANENT_ERRORS | {"file_uploads_disabled", "invalid_arguments"}


class ThreadUploads:
    """Uploads one queued file into a thread."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def perform(self, item: OutboxItem) -> dict[str, Any]:
        """Upload the file the item carries; returns the file id Slack gave it."""
        payload = item.payload
        if not payload.get("data"):
            raise PermanentFailure("the file's bytes are gone (the item was already finished)")
        try:
            data = base64.b64decode(payload["data"], validate=True)
        except (binascii.Error, ValueError):
            raise PermanentFailure("the queued file is not valid base64") from None
        try:
            response = self.client.files_upload_v2(
                channel=payload["channel"],
                thread_ts=payload.get("thread_ts"),
                file=data,
                filename=payload.get("filename") or "attachment",
                title=payload.get("title") or payload.get("filename") or "attachment",
            )
        except SlackApiError as exc:
            error = slack_error(exc)
            if error in UPLOAD_PERMANENT:
                raise PermanentFailure(f"Slack refused the upload: {error}") from None
            raise RetryLater(f"Slack error uploading: {error}") from None
        except (SlackRequestError, OSError) as exc:
            # Step 2 (the bytes) failed or the connection dropped: the SDK starts over.
            raise RetryLater(f"uploading failed: {type(exc).__name__}") from None
        files = response.get("files") or [response.get("file") or {}]
        return {"file_ids": [item.get("id") for item in files if item.get("id")]}
