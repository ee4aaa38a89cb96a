"""case work: what the vendor asked us for, our engineers' assessment, the call-out request

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None

_WHEN = (
    "needs_info_since",
    "needs_info_answered_at",
    "assessed_at",
    "callout_at",
    "callout_requested_at",
    "callout_confirmed_at",
)


def upgrade() -> None:
    with op.batch_alter_table("escalation_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("needs_info", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("assessed_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
        batch_op.add_column(sa.Column("assessment", sa.Text(), nullable=True))
        for name in _WHEN:
            batch_op.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("escalation_case", schema=None) as batch_op:
        for name in ("needs_info", "assessed_by", "assessment", *_WHEN):
            batch_op.drop_column(name)
