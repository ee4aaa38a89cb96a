"""The logging set-up: our modules log at LOG_LEVEL, the Slack and HTTP libraries never below
INFO (their debug output carries bodies, envelopes and tokens)."""

from __future__ import annotations

import logging

from slackbot.logs import NoLibraryDebug, bolt_logger


def record(name: str, level: int) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, "body: %s", ("secret",), None)


def test_the_filter_drops_library_debug_and_keeps_ours_and_library_info():
    only = NoLibraryDebug()
    assert only.filter(record("slackbot.usecases.outbox", logging.DEBUG))
    assert only.filter(record("storage.db", logging.DEBUG))
    for name in ("slack_bolt.App", "slack_sdk.socket_mode.builtin.client", "app.py:Listener"):
        assert not only.filter(record(name, logging.DEBUG))
        assert only.filter(record(name, logging.INFO))


def test_bolts_base_logger_stays_at_info_under_a_debug_root():
    root = logging.getLogger()
    before = root.level
    root.setLevel(logging.DEBUG)
    try:
        logger = bolt_logger()
        assert logger.level == logging.INFO
        assert any(isinstance(f, NoLibraryDebug) for f in logger.filters)
    finally:
        root.setLevel(before)
