"""A reach value far from the user's recent ones is kept but waits for "did you mean...?"
before it counts as their best.

Revision ID: 0010_doubtful_reach
Revises: 0009_reminder_routine
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_doubtful_reach"
down_revision = "0009_reminder_routine"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("measurements", sa.Column("confirmed", sa.Integer, nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("measurements") as batch:
        batch.drop_column("confirmed")
