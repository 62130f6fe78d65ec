"""Reach measurements, and the wait for an answer during a session.

Revision ID: 0003_measurements
Revises: 0002_reminders
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_measurements"
down_revision = "0002_reminders"
branch_labels = None
depends_on = None

KEY = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.add_column("sessions", sa.Column("awaiting_answer_until", sa.Float))
    op.create_table(
        "measurements",
        sa.Column("id", KEY, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.user_id", ondelete="CASCADE"), nullable=False),
        sa.Column("session_id", KEY, sa.ForeignKey("sessions.id", ondelete="SET NULL")),
        sa.Column("taken_at", sa.Float, nullable=False),
        sa.Column("value_cm", sa.Float),
        sa.Column("landmark", sa.Text),
        sa.Column("phase", sa.Text, nullable=False),
        sa.Column("convention", sa.Text, nullable=False),
        sa.CheckConstraint("phase IN ('before', 'after', 'single')", name="measurements_phase_known"),
        sa.CheckConstraint("value_cm IS NOT NULL OR landmark IS NOT NULL", name="measurements_have_a_value"),
        sqlite_autoincrement=True,
    )
    op.create_index("measurements_by_user", "measurements", ["user_id", "taken_at"])


def downgrade() -> None:
    op.drop_table("measurements")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("awaiting_answer_until")
