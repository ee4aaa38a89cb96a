"""The app factory: builds the Bolt App, puts the services in every request's context, records
every request that changes state in the inbox before it is answered, registers every listener.
Nothing happens at import time.

The inbox (slackbot.usecases.inbox) is joined to Bolt here, in three places:

- a middleware records the request (one INSERT, before the listener runs and so before the
  answer), or answers 503 when the database does not take it, so Slack sends it again;
- every listener is wrapped at registration (`tracked`): it runs in a turn, and when it (and
  the work it handed to the listener executor) ended, its request is marked done (sooner for
  interactivity: see slackbot.usecases.turns). A wrapper rather than Bolt's completion hook,
  which is no public API; and the wrapper sees how the listener ended (a refusal is done, an
  error is not), which the hook does not. The same wrapper makes the listener take a slot of
  the executor's work gate once it has acked (an event at its start, acked by Bolt already):
  the ack itself never waits behind other listeners' work (slackbot.usecases.work_gate);
- the inbox replays an unfinished request through `app.dispatch`, as the request it was.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse

import commands
from slackbot.domain.errors import UserFacingError
from slackbot.listeners import actions, events, shape, shortcuts, views
from slackbot.logs import bolt_logger
from slackbot.services import Services
from slackbot.usecases import inbox, turns
from slackbot.usecases.notices import tell
from slackbot.usecases.work_gate import Priority, Slot, WorkCancelled

log = logging.getLogger(__name__)

SOMETHING_WENT_WRONG = ":warning: Something went wrong on our side; nothing was changed. Try again."

#: Context keys: the inbox key of the request being handled; set on a replay of a stored one.
INBOX_KEY = "inbox_key"
REPLAY = "inbox_replay"


def register_listeners(app: App) -> None:
    """Every registration, in one list."""
    commands.register(app)
    actions.register(app)
    views.register(app)
    events.register(app)
    shortcuts.register(app)


class RecordingApp(App):
    """Bolt's App whose every listener is `tracked`: registered through these five methods."""

    def event(self, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        """Register event listeners (tracked)."""
        return _tracking(super().event(*args, **kwargs))

    def action(self, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        """Register button listeners (tracked)."""
        return _tracking(super().action(*args, **kwargs))

    def view(self, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        """Register modal submission listeners (tracked)."""
        return _tracking(super().view(*args, **kwargs))

    def command(self, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        """Register slash command listeners (tracked)."""
        return _tracking(super().command(*args, **kwargs))

    def shortcut(self, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        """Register shortcut listeners (tracked: never recorded, but gated like the others)."""
        return _tracking(super().shortcut(*args, **kwargs))


def _tracking(register: Callable[..., Any]) -> Callable[..., Any]:
    def register_tracked(*functions: Callable[..., Any]) -> Any:
        """Register the listener functions, each tracked."""
        return register(*(tracked(fn) for fn in functions))

    return register_tracked


def tracked(handler: Callable[..., Any]) -> Callable[..., Any]:
    """`handler`, marking its recorded request done when it and the work it handed on ended,
    and running its work after the ack in a work slot.

    Bolt passes a listener the arguments its signature names: the wrapper's signature is the
    handler's, plus `context` and `body` if it lacks them (and no `__wrapped__`, which Bolt
    would follow to the handler's own).
    """
    signature = inspect.signature(handler)
    own = set(signature.parameters)
    extra = [
        inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None)
        for name in ("context", "body")
        if name not in own
    ]

    @functools.wraps(handler)
    def run_tracked(**kwargs: Any) -> Any:
        """Run the handler with what it asked for, in its request's turn if it has one."""
        context, body = kwargs.get("context"), kwargs.get("body") or {}
        mine = {name: value for name, value in kwargs.items() if name in own}
        services: Services | None = context.get("services") if context is not None else None
        if services is None:
            return handler(**mine)
        event = body.get("type") == "event_callback"
        slot = services.listener_executor.gate.slot(
            Priority.EVENT if event else Priority.INTERACTIVE
        )
        key = context.get(INBOX_KEY)
        turn = services.inbox.turn(key, event=event) if key is not None else None
        try:
            return _run_in_slot(handler, mine, slot, turn)
        except WorkCancelled:
            # Shutdown came before its work started: the request stays unfinished (replayed).
            log.info("a listener's work was cancelled at shutdown before it started")
            return None

    del run_tracked.__wrapped__
    run_tracked.__signature__ = signature.replace(
        parameters=[*signature.parameters.values(), *extra]
    )
    return run_tracked


def _run_in_slot(
    handler: Callable[..., Any], kwargs: dict[str, Any], slot: Slot, turn: turns.Turn | None
) -> Any:
    """Run the handler in `turn` (if any): its work in `slot`, taken after its `ack` when it
    acks itself, else at once; the turn is released however it ends, unless WorkCancelled."""
    if "ack" in kwargs and slot.priority is Priority.INTERACTIVE:
        kwargs = {**kwargs, "ack": slot.after(kwargs["ack"])}
    else:
        slot.take()  # an event (acked by Bolt) or a listener that does not ack
    token = turns.enter(turn) if turn is not None else None
    ok = False
    try:
        result = handler(**kwargs)
        ok = True
        return result
    except UserFacingError:
        ok = True  # a refusal, told to the asker: handled
        raise
    except WorkCancelled:
        turn = None  # never started its work: not released, so not finished
        raise
    finally:
        if token is not None:
            turns.leave(token)
        try:
            if turn is not None:
                turn.release(ok)  # its done mark is a write: bounded by the slots too
        finally:
            slot.give()


def build_app(services: Services, *, token_verification: bool = True) -> App:
    """A Bolt App wired to the services, with every listener registered."""
    app = RecordingApp(
        client=services.slack,
        # Bolt derives its loggers from this one (level and filter): no payloads at DEBUG.
        logger=bolt_logger(),
        listener_executor=services.listener_executor,
        signing_secret=services.settings.slack_signing_secret or None,
        token_verification_enabled=token_verification,
        # Listeners ack first and do slow work after the ack, in the listener executor.
        process_before_response=False,
        raise_error_for_unhandled_request=False,
    )
    app.middleware(_inject(services))
    app.middleware(_shape_check)
    app.middleware(_record(services))
    register_listeners(app)
    app.error(_error_handler(services))
    services.inbox.attach(_replayer(app))
    return app


def _inject(services: Services) -> Callable[..., None]:
    def inject_services(context: BoltContext, next: Callable[[], None]) -> None:
        context["services"] = services
        next()

    return inject_services


def _shape_check(req: BoltRequest, next: Callable[[], None]) -> BoltResponse | None:
    """Refuse what Slack never sends before anything reads it: a 400, or for a modal whose
    values have the wrong type, errors under those fields (nothing recorded, nothing changed)."""
    refused = shape.refusal(req.body)
    if refused is None:
        return next()
    log.warning("refused a malformed request: %s", refused.reason)
    if refused.field_errors:
        errors = {"response_action": "errors", "errors": refused.field_errors}
        return BoltResponse(
            status=200, body=json.dumps(errors), headers={"content-type": "application/json"}
        )
    return BoltResponse(status=400, body="bad request")


def _record(services: Services) -> Callable[..., BoltResponse | None]:
    def record_request(
        req: BoltRequest, context: BoltContext, next: Callable[[], None]
    ) -> BoltResponse | None:
        """Record a request that changes state before anything answers it; name the lane its
        listener runs in (events on one message: in Slack's order, see slackbot.usecases.turns)."""
        turns.route_next(inbox.order_key(req.body))
        replayed = context.get(REPLAY)
        if replayed is not None:
            context[INBOX_KEY] = replayed
            return next()
        found = inbox.request_key(req.body)
        if found is None:
            return next()
        kind, key = found
        try:
            services.inbox.record(key, kind, req.body)
        except Exception as exc:
            # Not acknowledged: Slack sends an event again; a person sees the error.
            log.error("could not record a %s request: %s", kind, type(exc).__name__)
            return BoltResponse(status=503, body="")
        context[INBOX_KEY] = key
        return next()

    return record_request


def _replayer(app: App) -> inbox.Replay:
    def replay(key: str, body: dict[str, Any]) -> None:
        """Hand a stored request to the app again.

        Its signature was checked when it came in (it is recorded after Bolt's verification):
        it goes in as Bolt takes an already authenticated request, one of Socket Mode's (a dict,
        no signature), marked as a replay so that it is not recorded again.
        """
        app.dispatch(BoltRequest(body=body, mode="socket_mode", context={REPLAY: key}))

    return replay


def _asker(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """Who made the request and where, when the payload says (events and modals may not)."""
    user = body.get("user_id") or (body.get("user") or {}).get("id")
    channel = body.get("channel_id") or (body.get("channel") or {}).get("id")
    return user, channel


def _error_handler(services: Services) -> Callable[..., BoltResponse | None]:
    def handle_error(
        error: Exception, body: dict[str, Any], context: BoltContext
    ) -> BoltResponse | None:
        """A refusal goes to the asker as is; anything else is logged (never the payload)."""
        user, channel = _asker(body)
        if isinstance(error, UserFacingError):
            text = str(error)
        else:
            kind = body.get("type") or body.get("command") or "request"
            log.error("unhandled error in %s: %s", kind, type(error).__name__, exc_info=error)
            text = SOMETHING_WENT_WRONG
        # Nobody is waiting for an answer to a replay: a late "try again" would only confuse.
        if user and body.get("type") != "event_callback" and not context.get(REPLAY):
            try:
                tell(services, user=user, channel=channel, text=text)
            except Exception:
                log.exception("could not tell %s what went wrong", user)
        return None

    return handle_error
