"""Fixtures for the end-to-end tests."""

from tests.support.dovecot import dovecot  # noqa: F401 - the real IMAP server fixture
