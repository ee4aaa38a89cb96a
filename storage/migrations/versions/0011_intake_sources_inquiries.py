"""intake sources, triage, opener DM preferences and general inquiries (issue 13, C3)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("escalation_case", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source_channel", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
        batch_op.add_column(
            sa.Column("source_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
        batch_op.add_column(
            sa.Column("source_link", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True)
        )
        batch_op.add_column(
            sa.Column("triage", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.create_unique_constraint("uq_case_source_message", ["source_channel", "source_ts"])
    op.create_table(
        "notify_preference",
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("opener_dms", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "opener_notice",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["escalation_case.id"]),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_table(
        "inquiry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("playbook_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("requester_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("topic", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("answer", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("logged_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("inquiry", schema=None) as batch_op:
        batch_op.create_index("ix_inquiry_logged_at", ["logged_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inquiry", schema=None) as batch_op:
        batch_op.drop_index("ix_inquiry_logged_at")
    op.drop_table("inquiry")
    op.drop_table("opener_notice")
    op.drop_table("notify_preference")
    with op.batch_alter_table("escalation_case", schema=None) as batch_op:
        batch_op.drop_constraint("uq_case_source_message", type_="unique")
        batch_op.drop_column("triage")
        batch_op.drop_column("source_link")
        batch_op.drop_column("source_ts")
        batch_op.drop_column("source_channel")
