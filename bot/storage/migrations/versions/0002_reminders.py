"""Time zones, pauses and blocks on users; reminder schedules and their deliveries.

Revision ID: 0002_reminders
Revises: 0001_users_and_sessions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_reminders"
down_revision = "0001_users_and_sessions"
branch_labels = None
depends_on = None

KEY = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.add_column("users", sa.Column("timezone", sa.Text))
    op.add_column("users", sa.Column("timezone_hint_sent", sa.Integer, nullable=False, server_default="0"))
    op.add_column("users", sa.Column("blocked_at", sa.Float))
    op.add_column("users", sa.Column("paused_until", sa.Float))
    op.add_column("users", sa.Column("moved_at", sa.Float))
    op.create_index("users_by_chat", "users", ["chat_id"])
    op.create_table(
        "schedules",
        sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True),
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("local_time", sa.Text),
        sa.Column("days", sa.Integer, nullable=False, server_default="31"),
        sa.Column("window_start", sa.Text),
        sa.Column("window_end", sa.Text),
        sa.Column("every_minutes", sa.Integer),
        sa.Column("next_due_at", sa.Float),
        sa.Column("last_key", sa.Text),
        sa.CheckConstraint("kind IN ('daily', 'nudge', 'snooze')", name="schedules_kind_known"),
    )
    due = sa.text("next_due_at IS NOT NULL")
    op.create_index("schedules_due", "schedules", ["next_due_at"], sqlite_where=due, postgresql_where=due)
    op.create_table(
        "deliveries",
        sa.Column("id", KEY, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.user_id", ondelete="CASCADE"), nullable=False),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("occurrence", sa.Text, nullable=False),
        sa.Column("due_at", sa.Float, nullable=False),
        sa.Column("late_seconds", sa.Float, nullable=False, server_default="0"),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("sent_at", sa.Float),
        sa.Column("message_id", sa.BigInteger),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'blocked', 'failed', 'unknown', 'expired')",
            name="deliveries_status_known",
        ),
        sa.UniqueConstraint("user_id", "occurrence", name="deliveries_once_per_occurrence"),
        sqlite_autoincrement=True,
    )
    pending = sa.text("status = 'pending'")
    op.create_index("deliveries_pending", "deliveries", ["due_at"], sqlite_where=pending, postgresql_where=pending)


def downgrade() -> None:
    op.drop_table("deliveries")
    op.drop_table("schedules")
    op.drop_index("users_by_chat", "users")
    for column in ("moved_at", "paused_until", "blocked_at", "timezone_hint_sent", "timezone"):
        with op.batch_alter_table("users") as batch:
            batch.drop_column(column)
