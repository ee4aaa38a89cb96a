"""The one place that talks to PagerDuty, through pypd; callers never import pypd.

pypd is archived upstream and has sharp edges, each handled here:

- no HTTP timeout at all: every request goes through our own `requests.Session` with an explicit
  (connect, read) timeout, by overriding pypd's `_do_request` in small subclasses;
- the events URL gets a trailing slash (pypd joins `base_url + "/" + endpoint` with an empty
  endpoint): stripped before sending;
- `EventV2.validate` asserts a trigger `payload` even for acknowledge and resolve, and uses
  `assert` (gone under `python -O`): replaced by our own validation, run before any network call;
- 4xx/5xx become pypd errors that mix up 429 with 400: we classify the response ourselves.

Retry policy is the outbox's (exponential backoff); this module only says whether a failure is
worth retrying. Events API v2: https://developer.pagerduty.com/docs/events-api-v2/overview
(202 accepted; 400 invalid event, not worth retrying; 429 throttled and 5xx: retry with backoff).
"""

from __future__ import annotations

import importlib
import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from types import ModuleType
from typing import TYPE_CHECKING, Any

from slackbot.effects import PermanentFailure, RetryLater, backoff

if TYPE_CHECKING:
    import requests

    from slackbot.config import Settings

log = logging.getLogger(__name__)

#: (connect, read) seconds; pypd itself would wait forever.
DEFAULT_TIMEOUT = (3.05, 10.0)
_ACTIONS = ("trigger", "acknowledge", "resolve")
_SEVERITIES = ("critical", "error", "warning", "info")


class PagerDutyError(Exception):
    """PagerDuty did not take the request."""

    def __init__(self, reason: str, *, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class PagerDutyTransient(PagerDutyError):
    """Worth retrying: network failure, timeout, 429 or 5xx."""

    def __init__(
        self, reason: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(reason, status=status)
        self.retry_after = retry_after


class PagerDutyRejected(PagerDutyError):
    """Never worth retrying as is: PagerDuty refused the request (400), with its message."""


class EventInvalid(PagerDutyRejected):
    """The event is invalid before anything was sent."""


@dataclass(frozen=True)
class IncidentStatus:
    """What PagerDuty says about the incident for a dedup key."""

    id: str
    status: str
    acknowledged_by: str | None = None

    @property
    def acknowledged(self) -> bool:
        """Someone on call has taken it (or it is already resolved)."""
        return self.status in ("acknowledged", "resolved")


def validate_event(event: dict[str, Any]) -> None:
    """Check an Events API v2 body; raise EventInvalid saying what is wrong."""
    if not isinstance(event.get("routing_key"), str) or not event["routing_key"]:
        raise EventInvalid("routing_key is missing: set PAGERDUTY_ROUTING_KEY")
    action = event.get("event_action")
    if action not in _ACTIONS:
        raise EventInvalid(f"event_action {action!r} is not one of {', '.join(_ACTIONS)}")
    if action == "trigger":
        payload = event.get("payload") or {}
        for key in ("summary", "source"):
            if not payload.get(key):
                raise EventInvalid(f"a trigger needs payload.{key}")
        if payload.get("severity") not in _SEVERITIES:
            raise EventInvalid(f"payload.severity must be one of {', '.join(_SEVERITIES)}")
    elif not event.get("dedup_key"):
        raise EventInvalid(f"{action} needs the dedup_key of the alert")


def _imported(module: str) -> ModuleType:
    """pypd or requests, imported at the first PagerDuty call rather than at start-up (with
    urllib3, idna and charset_normalizer they are ~50 ms of it, and most processes never page)."""
    return importlib.import_module(module)


def _retry_after(response: requests.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


def _message(response: requests.Response) -> str:
    """PagerDuty's own explanation: Events API `message`/`errors`, REST API `error`."""
    try:
        body = response.json()
    except ValueError:
        return (response.text or response.reason or "").strip()[:500]
    if isinstance(body, dict):
        if isinstance(body.get("error"), dict):
            body = body["error"]
        parts = [str(body.get("message") or "")]
        errors = body.get("errors") or []
        if errors:
            parts.append("; ".join(str(e) for e in errors))
        return ": ".join(part for part in parts if part)[:500]
    return str(body)[:500]


def _send(
    session: requests.Session, timeout: tuple[float, float], method: str, url: str, **kwargs: Any
) -> Any:
    """One HTTP request with a timeout, classified into our errors; returns parsed JSON."""
    kwargs.pop("proxies", None)
    requests = _imported("requests")
    try:
        response = session.request(method.upper(), url, timeout=timeout, **kwargs)
    except requests.Timeout:
        raise PagerDutyTransient("PagerDuty did not answer in time") from None
    except requests.RequestException as exc:
        raise PagerDutyTransient(f"could not reach PagerDuty: {type(exc).__name__}") from None
    status = response.status_code
    if status == 429:
        raise PagerDutyTransient(
            "PagerDuty is throttling requests (429)", status=429, retry_after=_retry_after(response)
        )
    if status >= 500:
        raise PagerDutyTransient(f"PagerDuty answered {status}", status=status)
    if status >= 400:
        raise PagerDutyRejected(
            f"PagerDuty refused the request ({status}): {_message(response)}", status=status
        )
    if not response.content:
        return {}
    try:
        return response.json()
    except ValueError:
        return {}


class _Transport:
    """Our HTTP transport for pypd models: one requests.Session per thread, explicit timeout."""

    _session: requests.Session | None
    _local: threading.local
    _timeout: tuple[float, float]

    @classmethod
    def _http(cls) -> requests.Session:
        if cls._session is not None:
            return cls._session
        # The outbox runs in several threads; Sessions are not documented as thread-safe.
        session = getattr(cls._local, "session", None)
        if session is None:
            session = cls._local.session = _imported("requests").Session()
        return session


class _Events(_Transport):
    """Over pypd's Events API v2 client (`EventV2`): our transport and validation."""

    @classmethod
    def validate(cls, event_info: dict[str, Any]) -> None:
        validate_event(event_info)

    def _do_request(self, method: str, *args: Any, **kwargs: Any) -> Any:
        url = args[0].rstrip("/")  # pypd appends "/" + "" to the events URL
        headers = dict(kwargs.pop("headers", None) or {})
        headers.pop("Authorization", None)  # the routing key authenticates events
        headers["Accept"] = "application/json"
        return _send(self._http(), self._timeout, method, url, headers=headers, **kwargs)


class _Incidents(_Transport):
    """Over pypd's REST incident model (`Incident`): our transport."""

    endpoint = "incidents"

    def _do_request(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return _send(self._http(), self._timeout, method, args[0], **kwargs)


class PagerDuty:
    """Send Events API v2 events and look incidents up, with timeouts and typed errors."""

    def __init__(
        self,
        *,
        events_url: str,
        api_url: str,
        api_key: str | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
    ) -> None:
        self.api_key = api_key
        self._urls = (events_url.rstrip("/"), api_url.rstrip("/"))
        self._shared = {"_session": session, "_local": threading.local(), "_timeout": timeout}
        self._lock = threading.Lock()
        self._pypd_models: tuple[Any, Any] | None = None

    def _models(self) -> tuple[Any, Any]:
        """pypd's event and incident models over our transport, made at the first call.

        pypd reads base_url from the class: one subclass per adapter keeps instances apart.
        """
        with self._lock:
            if self._pypd_models is None:
                pypd = _imported("pypd")
                events_url, api_url = self._urls
                events = type(
                    "_Events", (_Events, pypd.EventV2), {"base_url": events_url, **self._shared}
                )
                incidents = type(
                    "_Incidents", (_Incidents, pypd.Incident), {"base_url": api_url, **self._shared}
                )
                self._pypd_models = (events, incidents)
            return self._pypd_models

    @classmethod
    def from_settings(cls, settings: Settings) -> PagerDuty:
        """An adapter pointed at PAGERDUTY_EVENTS_URL / PAGERDUTY_API_URL."""
        return cls(
            events_url=settings.pagerduty_events_url,
            api_url=settings.pagerduty_api_url,
            api_key=settings.pagerduty_api_key,
        )

    @property
    def can_look_up(self) -> bool:
        """Whether incident status can be read (PAGERDUTY_API_KEY is set)."""
        return bool(self.api_key)

    def send(self, event: dict[str, Any]) -> dict[str, Any]:
        """Send one trigger/acknowledge/resolve; returns PagerDuty's answer (with dedup_key)."""
        validate_event(event)
        result = self._models()[0].create(data=event)
        return result if isinstance(result, dict) else {}

    def deliver(self, event: dict[str, Any]) -> dict[str, Any]:
        """Send one event for the outbox: a transient failure is RetryLater (honouring
        PagerDuty's Retry-After), a refusal PermanentFailure with PagerDuty's message."""
        try:
            answer = self.send(event)
        except PagerDutyTransient as exc:
            after = None
            if exc.retry_after:
                after = max(backoff(1), timedelta(seconds=exc.retry_after))
            raise RetryLater(exc.reason, after) from None
        except PagerDutyRejected as exc:
            raise PermanentFailure(exc.reason) from None
        return {"status": answer.get("status"), "dedup_key": answer.get("dedup_key")}

    def look_up(self, dedup_key: str) -> IncidentStatus | None:
        """The incident's status, or None when PagerDuty has none or cannot say just now."""
        try:
            return self.incident_status(dedup_key)
        except PagerDutyError as exc:
            log.warning("could not read the PagerDuty incident: %s", exc.reason)
            return None

    def incident_status(self, dedup_key: str) -> IncidentStatus | None:
        """The incident whose alert has this dedup key, or None if PagerDuty has none."""
        if not self.api_key:
            raise PagerDutyRejected("PAGERDUTY_API_KEY is not set: incidents cannot be read")
        # Not fetch_all=False: pypd then returns its (entities, response) tuple as the list.
        found = self._models()[1].find(api_key=self.api_key, incident_key=dedup_key, maximum=1)
        if not found:
            return None
        incident = found[0]
        acks = incident.get("acknowledgements") or []
        who = None
        if acks:
            who = (acks[-1].get("acknowledger") or {}).get("summary")
        return IncidentStatus(
            id=str(incident.get("id")), status=str(incident.get("status")), acknowledged_by=who
        )
