"""Leases for work only one replica may do at a time (the clock), with a fencing counter; and
which lease holder claimed each delivery for sending.

Revision ID: 0006_leases
Revises: 0005_intake_chats_cards
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_leases"
down_revision = "0005_intake_chats_cards"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("holder", sa.Text),
        sa.Column("fence", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("expires_at", sa.Float, nullable=False, server_default="0"),
    )
    op.add_column("deliveries", sa.Column("claimed_fence", sa.BigInteger))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("claimed_fence")
    op.drop_table("leases")
