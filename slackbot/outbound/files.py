"""Uploading files the bot made (report CSVs and charts) with `files_upload_v2`.

A person's id is turned into their DM channel first (`conversations.open`, scope im:write):
files_upload_v2 shares into a channel id only.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from slackbot.outbound.slack import call


class FileUploader:
    """Shares files in a channel, a thread or a person's DM."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def dm_channel(self, user: str) -> str:
        """The id of the bot's DM with `user`."""
        response = call(self.client.conversations_open, users=user)
        return response["channel"]["id"]

    def share(
        self,
        channel: str,
        uploads: list[dict[str, Any]],
        *,
        comment: str = "",
        thread_ts: str | None = None,
    ) -> list[str]:
        """Upload and share files (each `{filename, content, title}`) in one message; returns
        their file ids."""
        if channel.startswith(("U", "W")):
            channel = self.dm_channel(channel)
        kwargs = {"thread_ts": thread_ts} if thread_ts else {}
        response = call(
            self.client.files_upload_v2,
            file_uploads=uploads,
            channel=channel,
            initial_comment=comment,
            **kwargs,
        )
        return [item["id"] for item in response.get("files") or []]
