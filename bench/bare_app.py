"""The benchmark's baseline: a bare Bolt app, one no-op listener per request type it is sent.

Run by the benchmark as its own process, like the bot: `python bench/bare_app.py --port N`.
Served by waitress with the bot's server settings; prints "listening on <port>" once bound.
Imports nothing of the bot's.
"""

from __future__ import annotations

import argparse
import os
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from waitress.server import create_server

#: What `python -m slackbot` serves with: slackbot.server.create_server's thread count, and
#: the Bolt listener pool of slackbot.app.build_app.
THREADS = 8
LISTENER_THREADS = 8
EVENTS_PATH = "/slack/events"


def handle_event(ack: Ack) -> None:
    """No-op event listener (Bolt acks events itself; this answers the same)."""
    ack()


def handle_noop(ack: Ack) -> None:
    """No-op listener for commands and actions: an empty 200."""
    ack()


def build_app(signing_secret: str, api_url: str, action_ids: list[str]) -> App:
    """A Bolt app configured as the bot's is (ack first, work after), with no-op listeners."""
    app = App(
        # Bolt calls auth.test once, on the first request: at the fake Slack, like the bot.
        client=WebClient(token="xoxb-bench-bare", base_url=api_url),
        signing_secret=signing_secret,
        token_verification_enabled=False,
        process_before_response=False,
        raise_error_for_unhandled_request=False,
        listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS),
    )
    app.event("reaction_added")(handle_event)
    for action_id in action_ids:
        app.action(action_id)(handle_noop)
    app.command("/escalate")(handle_noop)
    return app


def main() -> None:
    """Serve the bare app on 127.0.0.1 until terminated."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--action", action="append", default=[], help="a block action id")
    args = parser.parse_args()
    app = build_app(os.environ["SLACK_SIGNING_SECRET"], os.environ["SLACK_API_URL"], args.action)
    handler = SlackRequestHandler(app)

    def wsgi(environ, start_response):
        if environ.get("PATH_INFO") == EVENTS_PATH and environ.get("REQUEST_METHOD") == "POST":
            return handler(environ, start_response)
        start_response("404 Not Found", [("Content-Length", "0")])
        return [b""]

    server = create_server(wsgi, host="127.0.0.1", port=args.port, threads=THREADS)
    print(f"listening on {server.effective_port}", flush=True)
    # SIGTERM's default action ends it: a no-op app has nothing to finish.
    server.run()


if __name__ == "__main__":
    main()
