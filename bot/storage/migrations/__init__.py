"""Alembic migrations, applied at start-up by :func:`bot.storage.migrate.upgrade`."""
