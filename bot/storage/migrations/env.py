"""Alembic's entry point. Limber runs it in-process at start-up, on a connection it opened (and,
on PostgreSQL, locked), passed in ``config.attributes["connection"]``."""

from __future__ import annotations

from alembic import context

from bot.storage.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Limber applies its migrations itself at start-up (python -m bot)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite changes most tables only by copying them: let migrations use batch operations.
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
