"""case: the hand-off email's time, the resolution note, action still needed, the opener's rating

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

COLUMNS = (
    ("handoff_emailed_at", sa.DateTime(timezone=True)),
    ("resolution", sa.JSON()),
    ("action_needed", sa.Boolean()),
    ("rating", sa.Integer()),
    ("rating_comment", sa.Text()),
    ("rated_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    with op.batch_alter_table("escalation_case", schema=None) as batch_op:
        for name, kind in COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
    # Cases whose hand-off email already went keep their one hand-off.
    op.execute(
        "UPDATE escalation_case SET handoff_emailed_at = ("
        " SELECT MIN(d.queued_at) FROM email_draft d WHERE d.case_id = escalation_case.id"
        " AND d.purpose = 'handoff' AND d.state IN ('queued', 'sent', 'manual'))"
    )


def downgrade() -> None:
    with op.batch_alter_table("escalation_case", schema=None) as batch_op:
        for name, _kind in reversed(COLUMNS):
            batch_op.drop_column(name)
