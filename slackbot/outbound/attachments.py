"""Email attachments: files uploaded in the intake modal, fetched from Slack when the email is sent.

The outbox payload holds only the file descriptors (`{id, name, mimetype, size, url_private}`);
the bytes are downloaded at send time and never stored. The URL in a stored payload is never
used: `files.info` is asked for the file's current download URL, and the bot token is sent only
to Slack's own hosts (or to SLACK_API_URL's origin, which is how tests reach the fake Slack).

Oversized attachments are refused with a sentence saying what to do, never sent:
`attachment_problems()` checks the descriptors before anything is queued, the preparer checks
them again at send time, and the download stops at the per-file limit even if `size` was wrong.
"""

from __future__ import annotations

import http.client
import importlib
import re
import time
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from slackbot.domain.attachments import (
    MAX_FILE_BYTES,
    MAX_TOTAL_BYTES,
    MB,
    attachment_problems,
    clean_filename,
    megabytes,
)
from slackbot.domain.attachments import (
    label as file_label,
)
from slackbot.effects import PermanentFailure, RetryLater

if TYPE_CHECKING:
    import requests


def _requests() -> ModuleType:
    """requests, imported at the first download rather than at start-up (with urllib3, idna and
    charset_normalizer ~50 ms of it; Slack's own client needs none of them)."""
    return importlib.import_module("requests")


#: (connect, read) seconds for one download; a whole download may take at most DOWNLOAD_DEADLINE.
TIMEOUT = (3.05, 30.0)
DOWNLOAD_DEADLINE = 120.0
CHUNK_BYTES = 64 * 1024
MAX_REDIRECTS = 3
SLACK_FILE_HOSTS = ("slack.com", "slack-edge.com")
_MIMETYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")

#: Slack errors that no retry will fix, and what to tell the person who attached the file.
_PERMANENT_ERRORS = {
    "file_not_found": "is no longer in Slack (file_not_found): attach it again",
    "file_deleted": "was deleted from Slack (file_deleted): attach it again",
    "missing_scope": (
        "cannot be read by the bot (missing_scope): add the files:read scope to the Slack app "
        "and reinstall it"
    ),
    "not_authed": "cannot be read: the bot token was not accepted (not_authed)",
    "invalid_auth": "cannot be read: the bot token was not accepted (invalid_auth)",
    "token_revoked": "cannot be read: the bot token was revoked (token_revoked)",
    "account_inactive": "cannot be read: the bot's account is inactive (account_inactive)",
}


def _origin(url: str) -> tuple[str, str, int | None]:
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        port = parts.port or {"https": 443, "http": 80}.get(scheme)
        return scheme, (parts.hostname or "").lower(), port
    except ValueError:  # a malformed host or port
        return "", "", None


def token_may_go_to(url: str, *, api_url: str) -> bool:
    """Whether the bot token may go to `url`: Slack's hosts over https, or SLACK_API_URL's origin."""
    scheme, host, port = _origin(url)
    if not host:
        return False
    if scheme == "https" and any(
        host == domain or host.endswith("." + domain) for domain in SLACK_FILE_HOSTS
    ):
        return True
    return (scheme, host, port) == _origin(api_url)


def _retry_after(headers: Any) -> timedelta | None:
    value = (headers or {}).get("Retry-After") or (headers or {}).get("retry-after")
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return timedelta(seconds=int(value)) if value is not None else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Download:
    """One downloaded file."""

    data: bytes
    info: dict[str, Any]


class SlackFiles:
    """Downloads files shared with the bot: `files.info` for the URL, then GET with the bot token."""

    def __init__(
        self,
        client: WebClient,
        *,
        token: str,
        api_url: str,
        timeout: tuple[float, float] = TIMEOUT,
        deadline: float = DOWNLOAD_DEADLINE,
    ) -> None:
        self.client = client
        self._token = token
        self.api_url = api_url
        self.timeout = timeout
        self.deadline = deadline

    def __repr__(self) -> str:  # the token never reaches a log line through repr()
        return f"SlackFiles(api_url={self.api_url!r})"

    def info(self, file_id: str, *, label: str) -> dict[str, Any]:
        """The file's current metadata from `files.info`; PermanentFailure or RetryLater if not."""
        try:
            response = self.client.files_info(file=file_id)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            status = exc.response.status_code if exc.response is not None else None
            if error in _PERMANENT_ERRORS:
                raise PermanentFailure(
                    f"the attachment “{label}” {_PERMANENT_ERRORS[error]}"
                ) from None
            after = _retry_after(exc.response.headers) if exc.response is not None else None
            raise RetryLater(
                f"Slack could not describe the attachment “{label}” "
                f"({error or f'HTTP {status}'}); will try again",
                after,
            ) from None
        except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, refusals
            raise RetryLater(
                f"could not reach Slack for the attachment “{label}” ({type(exc).__name__})"
            ) from None
        return dict(response.get("file") or {})

    def download(self, file_id: str, *, label: str, limit: int = MAX_FILE_BYTES) -> Download:
        """The file's bytes, at most `limit` of them; PermanentFailure or RetryLater if not."""
        info = self.info(file_id, label=label)
        url = info.get("url_private_download") or info.get("url_private")
        if not isinstance(url, str) or not url:
            raise PermanentFailure(f"Slack gave no download link for the attachment “{label}”")
        started = time.monotonic()
        requests = _requests()
        with requests.Session() as session:
            for _ in range(MAX_REDIRECTS + 1):
                if not token_may_go_to(url, api_url=self.api_url):
                    host = _origin(url)[1] or "an unknown host"
                    raise PermanentFailure(
                        f"the attachment “{label}” is served from {host}, which is not a Slack "
                        "host; the bot token is not sent there"
                    )
                try:
                    response = session.get(
                        url,
                        headers={"Authorization": f"Bearer {self._token}"},
                        timeout=self.timeout,
                        stream=True,
                        allow_redirects=False,
                    )
                except requests.RequestException as exc:
                    raise RetryLater(
                        f"could not download the attachment “{label}” ({type(exc).__name__})"
                    ) from None
                with response:
                    if response.is_redirect and response.headers.get("Location"):
                        url = urljoin(url, response.headers["Location"])
                        continue
                    data = self._read(response, label=label, limit=limit, started=started)
                    return Download(data, info)
        raise PermanentFailure(f"the download of the attachment “{label}” redirected too often")

    def _read(
        self, response: requests.Response, *, label: str, limit: int, started: float
    ) -> bytes:
        status = response.status_code
        if status == 429 or status >= 500:
            raise RetryLater(
                f"Slack answered HTTP {status} for the attachment “{label}”; will try again",
                _retry_after(response.headers),
            )
        if status in (404, 410):
            raise PermanentFailure(
                f"the attachment “{label}” is no longer in Slack: attach it again"
            )
        if status != 200:
            raise PermanentFailure(
                f"Slack refused the download of the attachment “{label}” (HTTP {status}); "
                "check that the app has the files:read scope"
            )
        if response.headers.get("Content-Type", "").startswith("text/html"):
            # What Slack answers, instead of the file, when the token cannot read it.
            raise PermanentFailure(
                f"Slack answered a web page instead of the attachment “{label}”; check that "
                "the app has the files:read scope"
            )
        too_large = PermanentFailure(
            f"the attachment “{label}” is larger than the {megabytes(limit)} an attachment may "
            "be: remove it or attach a smaller one"
        )
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise too_large
        received = bytearray()
        requests = _requests()
        try:
            for chunk in response.iter_content(CHUNK_BYTES):
                received += chunk
                if len(received) > limit:
                    raise too_large
                if time.monotonic() - started > self.deadline:
                    raise RetryLater(
                        f"the download of the attachment “{label}” took too long; will try again"
                    )
        except requests.RequestException as exc:
            raise RetryLater(
                f"the download of the attachment “{label}” broke off ({type(exc).__name__})"
            ) from None
        return bytes(received)


def _content_type(*candidates: Any) -> tuple[str, str]:
    for candidate in candidates:
        value = str(candidate or "").strip().lower()
        if _MIMETYPE.match(value):
            maintype, _, subtype = value.partition("/")
            # Bytes cannot be attached as a container type; send them as an opaque file.
            if maintype not in ("multipart", "message"):
                return maintype, subtype
    return "application", "octet-stream"


class AttachmentPreparer:
    """An email preparer: attaches the payload's files, refusing what is too large."""

    def __init__(self, files: SlackFiles) -> None:
        self.files = files

    def __call__(self, message: EmailMessage, payload: dict[str, Any]) -> None:
        """Download and attach every file in `payload["attachments"]`."""
        attachments = [a for a in payload.get("attachments") or [] if isinstance(a, dict)]
        if not attachments:
            return
        problems = attachment_problems(attachments)
        if problems:
            raise PermanentFailure("; ".join(problems))
        total = 0
        for descriptor in attachments:
            label = file_label(descriptor)
            file_id = str(descriptor.get("id") or "")
            if not file_id:
                raise PermanentFailure(f"the attachment “{label}” has no Slack file id")
            download = self.files.download(file_id, label=label)
            total += len(download.data)
            if total > MAX_TOTAL_BYTES:
                raise PermanentFailure(
                    f"the attachments add up to more than {MAX_TOTAL_BYTES // MB} MB, the most "
                    "one email can carry: remove some or attach smaller ones"
                )
            maintype, subtype = _content_type(
                descriptor.get("mimetype"), download.info.get("mimetype")
            )
            message.add_attachment(
                download.data,
                maintype,
                subtype,
                filename=clean_filename(descriptor.get("name") or download.info.get("name")),
            )
