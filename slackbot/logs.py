"""Logging for the running bot: our own modules log at LOG_LEVEL; the libraries that see message
bodies, envelopes and tokens (Bolt, slack_sdk and its Socket Mode client, urllib3, websocket,
waitress) never log below INFO, whatever LOG_LEVEL says.

Two guards, because either alone can be undone: the libraries' loggers are capped, and every
handler drops records below INFO that do not come from our packages. Bolt configures the loggers
it makes from the root logger's level (DEBUG under LOG_LEVEL=DEBUG) unless it is given a base
logger, so `build_app` hands it `bolt_logger()`, whose level and filter Bolt copies to them all.
"""

from __future__ import annotations

import logging
from typing import TextIO

#: Our packages: the only loggers allowed below INFO.
OURS = ("slackbot", "storage", "commands")
#: Libraries whose debug output carries payloads, headers or tokens.
LIBRARIES = ("slack_bolt", "slack_sdk", "urllib3", "websocket", "waitress", "pypd", "aiohttp")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class NoLibraryDebug(logging.Filter):
    """Lets a record through if it is INFO or above, or comes from one of our packages."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Whether `record` may be written."""
        return record.levelno >= logging.INFO or record.name.split(".", 1)[0] in OURS


def configure_logging(level: str, stream: TextIO | None = None) -> None:
    """Log at `level` to stderr (or `stream`), with the libraries capped at INFO."""
    logging.basicConfig(level=level, format=FORMAT, stream=stream)
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, NoLibraryDebug) for f in handler.filters):
            handler.addFilter(NoLibraryDebug())
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
    # APScheduler logs every run of every job at INFO; a failing job still logs at ERROR.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))


def bolt_logger() -> logging.Logger:
    """The base logger for Bolt's App (and its Socket Mode client): never below INFO."""
    logger = logging.getLogger("slack_bolt.App")
    logger.setLevel(max(logging.INFO, logging.getLogger().level))
    if not any(isinstance(f, NoLibraryDebug) for f in logger.filters):
        logger.addFilter(NoLibraryDebug())
    return logger
