"""Several daily reminders per user: a schedule is named by its user, its kind and a slot
(the local time for a daily reminder, empty for the nudges; a snooze takes the slot of the
reminder it postpones, which each delivery now records), and a daily occurrence's key names
its time as well as its date.

Revision ID: 0012_several_daily_reminders
Revises: 0011_user_language
"""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from alembic import op

revision = "0012_several_daily_reminders"
down_revision = "0011_user_language"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("schedules", sa.Column("slot", sa.Text, nullable=False, server_default=""))
    # Which reminder a delivery came from, so that a snooze, and removing a reminder, find its own.
    op.add_column("deliveries", sa.Column("slot", sa.Text))
    op.execute("UPDATE schedules SET slot = local_time WHERE kind = 'daily' AND local_time IS NOT NULL")
    # Until now a user had one daily reminder: what was sent or snoozed came from it (or from
    # the nudges), so the deliveries and the one snooze there can be given its slot.
    their_daily = (
        "(SELECT s.local_time FROM schedules s WHERE s.user_id = {table}.user_id AND s.kind = 'daily')"
    )
    op.execute("UPDATE deliveries SET slot = '' WHERE kind IN ('nudge', 'snooze-nudge')")
    op.execute(
        f"UPDATE deliveries SET slot = {their_daily.format(table='deliveries')} WHERE kind IN ('daily', 'snooze')"
    )
    op.execute(
        f"UPDATE schedules SET slot = COALESCE({their_daily.format(table='schedules')}, 'snoozed') "
        "WHERE kind = 'snooze' AND (snoozed_kind IS NULL OR snoozed_kind <> 'nudge')"
    )
    # 'daily:2026-03-02' becomes 'daily:2026-03-02T12:30', so today's reminder is not sent twice.
    op.execute(
        "UPDATE schedules SET last_key = last_key || 'T' || local_time "
        "WHERE kind = 'daily' AND last_key IS NOT NULL AND local_time IS NOT NULL AND length(last_key) = 16"
    )
    _primary_key("user_id", "kind", "slot")


def downgrade() -> None:
    # Keep the earliest daily reminder of each user: the old key held one.
    op.execute(
        "DELETE FROM schedules WHERE kind = 'daily' AND slot <> "
        "(SELECT MIN(s.slot) FROM schedules s WHERE s.user_id = schedules.user_id AND s.kind = 'daily')"
    )
    op.execute("DELETE FROM schedules WHERE kind = 'snooze' AND slot <> "
               "(SELECT MIN(s.slot) FROM schedules s WHERE s.user_id = schedules.user_id AND s.kind = 'snooze')")
    op.execute("UPDATE schedules SET last_key = substr(last_key, 1, 16) WHERE kind = 'daily' AND last_key IS NOT NULL")
    _primary_key("user_id", "kind")
    with op.batch_alter_table("schedules") as batch:
        batch.drop_column("slot")
    # SQLite drops a column by copying the table: keep its ids never reused (AUTOINCREMENT).
    with op.batch_alter_table("deliveries", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("slot")


def _primary_key(*columns: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("schedules_pkey", "schedules", type_="primary")
        op.create_primary_key("schedules_pkey", "schedules", list(columns))
        return
    # SQLite changes a primary key only by copying the table. SQLAlchemy warns that the copy's
    # key differs from the reflected one; that difference is the point, and the copy has it.
    # A database from before the migrations declares the kinds' check unnamed and the user's
    # key inline, which a copy would drop (the check) or read without its ON DELETE CASCADE (the
    # key): both are restated.
    inspector = sa.inspect(op.get_bind())
    checks = inspector.get_check_constraints("schedules")
    unnamed = [check for check in checks if not check.get("name")]
    kept = (sa.CheckConstraint("kind IN ('daily', 'nudge', 'snooze')", name="schedules_kind_known"),) if unnamed else ()
    keys = inspector.get_foreign_keys("schedules")
    cascade_lost = any(not (key.get("options") or {}).get("ondelete") for key in keys)
    user_key = (
        (sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True),)
        if cascade_lost
        else ()
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Table '_alembic_tmp_schedules' specifies columns", sa.exc.SAWarning)
        warnings.filterwarnings("ignore", "Unnamed CHECK constraint on reflected table 'schedules'", UserWarning)
        with op.batch_alter_table("schedules", recreate="always", table_args=kept, reflect_args=user_key) as batch:
            batch.create_primary_key("schedules_pkey", list(columns))
