"""The routine a daily reminder offers: the one the user chose for the schedule (if any), and
the one each queued reminder resolved to when it was claimed.

Revision ID: 0009_reminder_routine
Revises: 0008_live_cards
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_reminder_routine"
down_revision = "0008_live_cards"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("schedules", sa.Column("routine_id", sa.Text))
    op.add_column("deliveries", sa.Column("routine_id", sa.Text))


def downgrade() -> None:
    # SQLite drops a column by copying the table: keep its ids never reused (AUTOINCREMENT).
    with op.batch_alter_table("deliveries", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("routine_id")
    with op.batch_alter_table("schedules") as batch:
        batch.drop_column("routine_id")
