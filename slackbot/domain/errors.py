"""The one kind of error a person is shown as is: a refusal that says why.

Use cases raise a `UserFacingError` (or a subclass) when they will not do what was asked; the
Slack edge's one error handler turns it into a message only the asker sees. Every other
exception is ours to fix: it is logged, and the person is told that nothing was changed.
"""

from __future__ import annotations


class UserFacingError(Exception):
    """A refusal whose message is written for the person who asked."""
