"""Fixtures for the outbound adapters' tests."""

from tests.support.dovecot import dovecot  # noqa: F401 - the real IMAP server fixture
