"""SMTP transport: one email over smtplib, honouring SMTP_SECURITY (none, starttls, ssl).

Failures are classified: 4xx replies, dropped connections and timeouts are transient (retry);
5xx replies are permanent (the server said no, and saying it again won't change its mind).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from slackbot.config import Settings

TIMEOUT_SECONDS = 30


class SmtpError(Exception):
    """Sending failed; `transient` says whether trying again may help."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


@dataclass(frozen=True)
class SmtpTransport:
    """Sends EmailMessages to the configured server."""

    host: str
    port: int
    security: str = "starttls"
    username: str | None = None
    password: str | None = None
    timeout: float = TIMEOUT_SECONDS

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpTransport | None:
        """The transport for SMTP_HOST, or None when email is not configured."""
        if not settings.smtp_host:
            return None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password,
        )

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            client.starttls(context=ssl.create_default_context())
        return client

    def send(self, message: EmailMessage) -> None:
        """Hand `message` to the server; raise SmtpError saying whether to retry."""
        try:
            with self._connect() as client:
                if self.username:
                    client.login(self.username, self.password or "")
                refused = client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            reasons = "; ".join(
                f"{rcpt}: {code} {msg.decode(errors='replace')}"
                for rcpt, (code, msg) in exc.recipients.items()
            )
            raise SmtpError(
                f"recipients refused ({reasons})", transient=all(400 <= c < 500 for c in codes)
            ) from None
        except smtplib.SMTPResponseException as exc:
            reason = f"{exc.smtp_code} {exc.smtp_error.decode(errors='replace') if isinstance(exc.smtp_error, bytes) else exc.smtp_error}"
            raise SmtpError(f"server said {reason}", transient=400 <= exc.smtp_code < 500) from None
        except (
            TimeoutError,
            smtplib.SMTPServerDisconnected,
            smtplib.SMTPConnectError,
            OSError,
        ) as exc:
            raise SmtpError(
                f"could not reach {self.host}:{self.port} ({exc})", transient=True
            ) from None
        except smtplib.SMTPException as exc:
            raise SmtpError(f"SMTP error: {exc}", transient=True) from None
        if refused:
            raise SmtpError(f"some recipients were refused: {sorted(refused)}", transient=False)
