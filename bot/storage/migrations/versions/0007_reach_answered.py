"""Whether the current assessment step already has its answer (given during the hold, which
then runs to its end instead of being cut short).

Revision ID: 0007_reach_answered
Revises: 0006_leases
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_reach_answered"
down_revision = "0006_leases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sessions", sa.Column("reach_answered", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("reach_answered")
