"""The language each user is spoken to in (from Telegram's language code at first contact, or
chosen with /language).

Revision ID: 0011_user_language
Revises: 0010_doubtful_reach
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_user_language"
down_revision = "0010_doubtful_reach"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("language", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("language")
