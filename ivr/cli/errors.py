"""Errors every ``ivr`` command may meet, said in one line instead of a traceback."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError


def schema_missing(exc: BaseException) -> bool:
    """The database has no tables yet (``ivr db upgrade`` never ran)."""
    if not isinstance(exc, DBAPIError):
        return False
    # SQLite says so in words; psycopg raises UndefinedTable.
    return "no such table" in str(exc.orig) or type(exc.orig).__name__ == "UndefinedTable"
