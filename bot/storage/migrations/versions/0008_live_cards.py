"""Live pose cards and the end-of-routine check-in: the phase within a step (getting ready,
holding, an optional step on offer), the time left the card last showed, optional steps
done, and how the routine felt.

Revision ID: 0008_live_cards
Revises: 0007_reach_answered
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_live_cards"
down_revision = "0007_reach_answered"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sessions", sa.Column("phase", sa.Text, nullable=False, server_default="hold"))
    op.add_column("sessions", sa.Column("shown_left", sa.Float))
    op.add_column("sessions", sa.Column("feeling", sa.Text))
    op.add_column("sessions", sa.Column("extras_done", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("extras_done")
        batch.drop_column("feeling")
        batch.drop_column("shown_left")
        batch.drop_column("phase")
