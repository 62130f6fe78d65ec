"""The few places where SQLite and PostgreSQL need different SQL, kept together.

Everything else in ``bot.storage`` is one statement for both engines.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement


def insert(table: Table, engine: str) -> Any:
    """An INSERT that understands ON CONFLICT (both engines spell it alike, SQLAlchemy has one
    construct per dialect)."""
    return (postgresql.insert if engine == "postgresql" else sqlite.insert)(table)


def greatest(engine: str, *values: ColumnElement[Any]) -> ColumnElement[Any]:
    """The largest of several values: GREATEST on PostgreSQL, multi-argument MAX on SQLite."""
    return func.greatest(*values) if engine == "postgresql" else func.max(*values)
