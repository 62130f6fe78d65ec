"""A snooze remembers what it postpones ('daily' or 'nudge'), so it comes back as that.

Revision ID: 0004_snoozed_kind
Revises: 0003_measurements
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_snoozed_kind"
down_revision = "0003_measurements"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("schedules", sa.Column("snoozed_kind", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("schedules") as batch:
        batch.drop_column("snoozed_kind")
