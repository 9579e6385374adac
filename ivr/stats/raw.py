"""Reading timestamps and dates as the driver returns them, for the statistics' bulk reads.

A report or a rollup refresh reads thousands of rows; SQLAlchemy's per-value conversion of
SQLite's text timestamps costs more than everything else done with a row. These columns
are read uncoerced and converted here with ``fromisoformat`` (PostgreSQL's driver already
returns ``datetime`` and ``date``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, String, type_coerce


def raw(column: Any) -> ColumnElement[Any]:
    """``column`` without SQLAlchemy's result conversion."""
    return type_coerce(column, String)


def as_utc(value: str | datetime | None) -> datetime | None:
    """A raw timestamp (SQLite: naive UTC text; PostgreSQL: aware) as aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value.astimezone(UTC)


def as_date(value: str | date) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value
