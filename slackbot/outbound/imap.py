"""IMAP reader: the escalation mailbox over stdlib imaplib, honouring IMAP_SECURITY.

A bare client: it connects, logs in, selects the folder, tells its UIDVALIDITY and hands back
raw messages with a UID above the one given, in batches. It never marks anything seen unless
asked (`BODY.PEEK[]`). What to do with the bytes is the caller's business.

Failures are split as for SMTP: `ImapTransient` (refused or dropped connections, timeouts,
BYE, temporary server trouble) is worth retrying with backoff; `ImapPermanent` (login
refused, no such folder, an untrusted certificate, no STARTTLS) needs a person to fix the
settings, though retrying now and then does no harm.
"""

from __future__ import annotations

import imaplib
import re
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from slackbot.config import Settings

TIMEOUT_SECONDS = 30
BATCH_SIZE = 50
#: Larger messages are read only this far: the headers and text survive, the attachments
#: (which is where the size is) are cut and reported as broken.
MAX_MESSAGE_BYTES = 40 * 1024 * 1024

_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")
#: Response codes that say a NO is the server's passing trouble, not a verdict (RFC 5530).
_TEMPORARY_CODES = (b"[UNAVAILABLE]", b"[SERVERBUG]", b"[INUSE]", b"[LIMIT]")


class ImapError(Exception):
    """Reading the mailbox failed; the message says why without the password."""

    transient = True

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ImapTransient(ImapError):
    """The server is unreachable or busy: try again later."""


class ImapPermanent(ImapError):
    """The settings are wrong (login, folder, TLS): trying again won't help until fixed."""

    transient = False


class ImapLoginRefused(ImapPermanent):
    """The server refused IMAP_USERNAME / IMAP_PASSWORD."""


@dataclass(frozen=True)
class FetchedMessage:
    """One message as the server holds it: its UID and raw bytes (cut when `truncated`)."""

    uid: int
    raw: bytes
    size: int
    truncated: bool = False


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _quote(folder: str) -> str:
    escaped = folder.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _shutdown(connection: imaplib.IMAP4) -> None:
    """Drop a connection we are giving up on; it may be gone already."""
    with suppress(OSError):
        connection.shutdown()


@contextmanager
def _translated(where: str) -> Iterator[None]:
    """Turn imaplib's, ssl's and the socket's exceptions into ImapTransient / ImapPermanent."""
    try:
        yield
    except imaplib.IMAP4.abort as exc:  # BYE, dropped connection: before its parent class
        raise ImapTransient(f"{where}: the server closed the connection ({_text(exc)})") from None
    except imaplib.IMAP4.error as exc:
        raise ImapTransient(f"{where}: the server said {_text(exc)}") from None
    except ssl.SSLCertVerificationError as exc:
        raise ImapPermanent(
            f"{where}: the server's certificate is not trusted ({exc.verify_message})"
        ) from None
    except ssl.SSLError as exc:
        raise ImapTransient(f"{where}: TLS failed ({exc.reason or exc})") from None
    except TimeoutError:
        raise ImapTransient(f"{where}: timed out") from None
    except OSError as exc:
        raise ImapTransient(f"{where}: {exc.strerror or exc}") from None


def _check(
    status: str, data: Sequence[object], where: str, *, refusal: type[ImapError] = ImapTransient
) -> None:
    """A NO or BAD answer raises `refusal`; always transient when the server flags it as
    passing trouble. Only a refused SELECT is taken as permanent (the folder is missing)."""
    if status == "OK":
        return
    detail = b" ".join(item for item in data if isinstance(item, bytes))
    if any(code in detail.upper() for code in _TEMPORARY_CODES):
        raise ImapTransient(f"{where}: the server said {_text(detail)}")
    raise refusal(f"{where}: the server said {status} {_text(detail)}")


class ImapMailbox:
    """One logged-in connection with the folder selected; use it as a context manager."""

    def __init__(self, connection: imaplib.IMAP4, folder: str, *, batch_size: int) -> None:
        self._connection = connection
        self.folder = folder
        self.batch_size = batch_size
        self.uidvalidity = 0
        self.uidnext: int | None = None

    def __enter__(self) -> ImapMailbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def select(self) -> None:
        """Select the folder (read-write, so that `mark_seen` works) and read UIDVALIDITY."""
        with _translated(f"selecting {self.folder!r}"):
            status, data = self._connection.select(_quote(self.folder))
            _check(status, data, f"selecting {self.folder!r}", refusal=ImapPermanent)
            validity = self._code("UIDVALIDITY")
            self.uidnext = self._code("UIDNEXT")
        if not validity:
            raise ImapPermanent(f"selecting {self.folder!r}: the server sent no UIDVALIDITY")
        self.uidvalidity = validity

    def _code(self, name: str) -> int | None:
        _, values = self._connection.response(name)
        for value in values or ():
            if isinstance(value, bytes) and value.strip().isdigit():
                return int(value)
        return None

    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs greater than `last_uid`, ascending."""
        with _translated("searching for new mail"):
            status, data = self._connection.uid("SEARCH", f"UID {last_uid + 1}:*")
            _check(status, data, "searching for new mail")
        found = {int(token) for line in data if line for token in line.split()}
        # "N:*" always includes the highest UID, even below N: filter (RFC 3501, 6.4.8).
        return sorted(uid for uid in found if uid > last_uid)

    def _fetch(self, uids: Sequence[int], items: str) -> list[tuple[bytes, bytes | None]]:
        """(metadata, literal) pairs of a UID FETCH; the UID may come before or after the body."""
        where = f"fetching UIDs {uids[0]}–{uids[-1]}"
        with _translated(where):
            status, data = self._connection.uid("FETCH", ",".join(map(str, uids)), items)
            _check(status, data, where)
        pairs: list[tuple[bytes, bytes | None]] = []
        for item in data:
            if isinstance(item, tuple):
                pairs.append((item[0], item[1]))
            elif isinstance(item, bytes) and pairs and not _UID.search(pairs[-1][0]):
                pairs[-1] = (pairs[-1][0] + item, pairs[-1][1])
            elif isinstance(item, bytes) and item.strip() not in (b"", b")"):
                pairs.append((item, None))
        return pairs

    def _sizes(self, uids: Sequence[int]) -> dict[int, int]:
        sizes: dict[int, int] = {}
        for meta, _ in self._fetch(uids, "(UID RFC822.SIZE)"):
            uid, size = _UID.search(meta), _SIZE.search(meta)
            if uid and size:
                sizes[int(uid.group(1))] = int(size.group(1))
        return sizes

    def _bodies(self, uids: Sequence[int], item: str) -> dict[int, bytes]:
        bodies: dict[int, bytes] = {}
        for meta, literal in self._fetch(uids, f"(UID {item})"):
            uid = _UID.search(meta)
            if uid and literal is not None:
                bodies[int(uid.group(1))] = literal
        return bodies

    def fetch(
        self, uids: Sequence[int], *, max_bytes: int = MAX_MESSAGE_BYTES
    ) -> list[FetchedMessage]:
        """These messages, in UID order, without setting \\Seen; messages over `max_bytes`
        are read only that far. UIDs the server no longer has are left out."""
        if not uids:
            return []
        sizes = self._sizes(uids)
        small = [uid for uid in uids if sizes.get(uid, 0) <= max_bytes and uid in sizes]
        large = [uid for uid in uids if sizes.get(uid, 0) > max_bytes]
        bodies = self._bodies(small, "BODY.PEEK[]") if small else {}
        cut = self._bodies(large, f"BODY.PEEK[]<0.{max_bytes}>") if large else {}
        found = [FetchedMessage(uid, bodies[uid], sizes[uid]) for uid in small if uid in bodies]
        found += [FetchedMessage(uid, cut[uid], sizes[uid], True) for uid in large if uid in cut]
        return sorted(found, key=lambda message: message.uid)

    def fetch_after(
        self, last_uid: int, *, max_bytes: int = MAX_MESSAGE_BYTES
    ) -> Iterator[FetchedMessage]:
        """Every message with a UID greater than `last_uid`, ascending, `batch_size` at a time."""
        uids = self.uids_after(last_uid)
        for start in range(0, len(uids), self.batch_size):
            yield from self.fetch(uids[start : start + self.batch_size], max_bytes=max_bytes)

    def mark_seen(self, uids: Sequence[int]) -> None:
        """Set \\Seen on these messages (only when the caller wants the mailbox to show it)."""
        if not uids:
            return
        with _translated("marking mail as seen"):
            status, data = self._connection.uid(
                "STORE", ",".join(map(str, uids)), "+FLAGS.SILENT", "(\\Seen)"
            )
            _check(status, data, "marking mail as seen")

    def close(self) -> None:
        """Log out; a connection that is already gone is fine."""
        with suppress(imaplib.IMAP4.error, OSError):
            self._connection.logout()


@dataclass(frozen=True)
class ImapClient:
    """Connects to the configured mailbox."""

    host: str
    port: int
    username: str
    password: str
    security: str = "ssl"
    folder: str = "INBOX"
    timeout: float = TIMEOUT_SECONDS
    batch_size: int = BATCH_SIZE
    #: Trust for ssl/starttls; the system's certificate authorities when None.
    ssl_context: ssl.SSLContext | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ImapClient | None:
        """The client for IMAP_HOST, or None when no mailbox is configured."""
        if not settings.imap_host:
            return None
        return cls(
            host=settings.imap_host,
            port=settings.imap_port,
            username=settings.imap_username or "",
            password=settings.imap_password or "",
            security=settings.imap_security,
            folder=settings.imap_folder,
        )

    def _connect(self) -> imaplib.IMAP4:
        context = self.ssl_context or ssl.create_default_context()
        if self.security == "ssl":
            return imaplib.IMAP4_SSL(
                self.host, self.port, ssl_context=context, timeout=self.timeout
            )
        connection = imaplib.IMAP4(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            try:
                connection.starttls(ssl_context=context)
            except imaplib.IMAP4.abort:
                raise
            except imaplib.IMAP4.error as exc:
                _shutdown(connection)
                raise ImapPermanent(
                    f"STARTTLS with {self.host}:{self.port}: {_text(exc)}"
                ) from None
        return connection

    def _login(self, connection: imaplib.IMAP4) -> None:
        try:
            connection.login(self.username, self.password)
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error as exc:
            detail = _text(exc)
            if any(code.decode() in detail.upper() for code in _TEMPORARY_CODES):
                raise ImapTransient(f"logging in as {self.username!r}: {detail}") from None
            raise ImapLoginRefused(f"logging in as {self.username!r}: {detail}") from None
        except UnicodeEncodeError:
            raise ImapLoginRefused(
                "IMAP LOGIN takes ASCII only: IMAP_USERNAME or IMAP_PASSWORD has other characters"
            ) from None

    def open(self) -> ImapMailbox:
        """Connect, log in and select the folder; raise ImapTransient or ImapPermanent."""
        where = f"connecting to {self.host}:{self.port} ({self.security})"
        with _translated(where):
            connection = self._connect()
        try:
            with _translated(f"logging in as {self.username!r}"):
                self._login(connection)
            mailbox = ImapMailbox(connection, self.folder, batch_size=self.batch_size)
            mailbox.select()
        except ImapError:
            _shutdown(connection)
            raise
        return mailbox
