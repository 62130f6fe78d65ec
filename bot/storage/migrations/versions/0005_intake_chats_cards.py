"""The inbox of updates, group chats apart from users, missed pose cards, one measurement per
message; and a repair of users that earlier releases bound to a group chat.

Revision ID: 0005_intake_chats_cards
Revises: 0004_snoozed_kind
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_intake_chats_cards"
down_revision = "0004_snoozed_kind"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("update_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("user_id", sa.BigInteger),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("received_at", sa.Float, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.CheckConstraint("status IN ('pending', 'done', 'unreadable')", name="inbox_status_known"),
    )
    pending = sa.text("status = 'pending'")
    op.create_index("inbox_pending", "inbox", ["update_id"], sqlite_where=pending, postgresql_where=pending)
    op.create_index("inbox_by_age", "inbox", ["received_at"])
    op.create_table(
        "chats",
        sa.Column("chat_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False, server_default=""),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.add_column("sessions", sa.Column("cards_missed", sa.Integer, nullable=False, server_default="0"))
    op.add_column("measurements", sa.Column("source", sa.Text))
    with_source = sa.text("source IS NOT NULL")
    op.create_index(
        "measurements_once_per_source", "measurements", ["user_id", "source"], unique=True,
        sqlite_where=with_source, postgresql_where=with_source,
    )
    # A user's private chat is the user (Telegram gives them the same id). Earlier releases
    # stored whichever chat the user wrote from last, a group included: undo that, and the
    # blocks and group-bound deliveries that followed from it.
    op.execute("UPDATE users SET blocked_at = NULL WHERE chat_id < 0")
    op.execute("UPDATE users SET chat_id = user_id WHERE chat_id != user_id")
    op.execute("UPDATE sessions SET chat_id = user_id WHERE chat_id < 0 AND status = 'active'")
    op.execute("UPDATE deliveries SET chat_id = user_id WHERE chat_id < 0 AND status = 'pending'")


def downgrade() -> None:
    op.drop_index("measurements_once_per_source", "measurements")
    with op.batch_alter_table("measurements") as batch:
        batch.drop_column("source")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("cards_missed")
    op.drop_table("chats")
    op.drop_table("inbox")
