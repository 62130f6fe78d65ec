"""Users and guided sessions (the first release).

Revision ID: 0001_users_and_sessions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_users_and_sessions"
down_revision = None
branch_labels = None
depends_on = None

KEY = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("user_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("first_name", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "sessions",
        sa.Column("id", KEY, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.user_id", ondelete="CASCADE"), nullable=False),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("routine_id", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("step_index", sa.Integer, nullable=False),
        sa.Column("clock_started_at", sa.Float),
        sa.Column("remaining", sa.Float, nullable=False),
        sa.Column("halfway_sent", sa.Integer, nullable=False, server_default="0"),
        sa.Column("active_seconds", sa.Float, nullable=False, server_default="0"),
        sa.Column("steps_done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("steps_skipped", sa.Integer, nullable=False, server_default="0"),
        sa.Column("pose_message_id", sa.BigInteger),
        sa.Column("next_event_at", sa.Float),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("ended_at", sa.Float),
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
        sa.CheckConstraint(
            "status IN ('active', 'finished', 'stopped', 'abandoned')", name="sessions_status_known"
        ),
        sqlite_autoincrement=True,
    )
    active = sa.text("status = 'active'")
    op.create_index(
        "sessions_one_active", "sessions", ["user_id"], unique=True, sqlite_where=active, postgresql_where=active
    )
    due = sa.text("status = 'active' AND next_event_at IS NOT NULL")
    op.create_index("sessions_due", "sessions", ["next_event_at"], sqlite_where=due, postgresql_where=due)
    op.create_index("sessions_by_user", "sessions", ["user_id", "started_at"])


def downgrade() -> None:
    op.drop_table("sessions")
    op.drop_table("users")
