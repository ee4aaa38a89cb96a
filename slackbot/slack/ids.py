"""Slack callback and action ids: the vocabulary between our views and our listeners."""

from __future__ import annotations

from enum import StrEnum


class CallbackId(StrEnum):
    """Modal callback ids."""

    PICK_PLAYBOOK = "escalate_pick_playbook"
    INTAKE = "escalate_intake"


class BlockId(StrEnum):
    """Fixed block ids (intake field blocks are `f_<field id>`)."""

    PLAYBOOK = "playbook"


VALUE = "value"


def field_block_id(field_id: str) -> str:
    """The block id that carries an intake field."""
    return f"f_{field_id}"


def field_id_of(block_id: str) -> str:
    """The intake field id a block id carries."""
    return block_id.removeprefix("f_")


class CaseAction(StrEnum):
    """Action ids of the buttons on a case's root message (their value is the case id)."""

    ACKNOWLEDGE = "case_acknowledge"
    ESCALATE = "case_escalate"
    RESOLVE = "case_resolve"
    REOPEN = "case_reopen"
    ADD_UPDATE = "case_add_update"


class CaseView(StrEnum):
    """Callback ids of the case modals."""

    ADD_UPDATE = "case_add_update"
