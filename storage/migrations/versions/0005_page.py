"""page: pages of on-call through the emergency route

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "page",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("playbook_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("paged_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("paged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("system", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("what_is_down", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False),
        sa.Column("since", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("impact", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False),
        sa.Column("routes", sa.JSON(), nullable=False),
        sa.Column("email_message_id", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("updates", sa.Integer(), nullable=False),
        sa.Column("response_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("both_down_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["escalation_case.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "sequence", name="uq_page_case_sequence"),
        sa.UniqueConstraint("dedup_key"),
    )
    with op.batch_alter_table("page", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_page_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "ix_page_watch", ["acknowledged_at", "reminded_at", "response_due_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("page", schema=None) as batch_op:
        batch_op.drop_index("ix_page_watch")
        batch_op.drop_index(batch_op.f("ix_page_case_id"))
    op.drop_table("page")
