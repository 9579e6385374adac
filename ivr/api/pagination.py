"""Keyset pagination: an opaque cursor names the last row a page ended on.

A cursor is URL-safe base64 of a small JSON array: the listing it belongs to, then the
sort key of the last row. Pages stay stable while rows are added, unlike offsets.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from ivr.api.errors import invalid_parameter
from ivr.api.serialize import iso

MAX_CURSOR_LENGTH = 200
Row = TypeVar("Row")


def encode_cursor(listing: str, *key: object) -> str:
    values = [iso(v) if isinstance(v, datetime) else v for v in key]
    raw = json.dumps([listing, *values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(raw: str | None, listing: str, kinds: tuple[type, ...]) -> list[Any] | None:
    """The sort key in ``raw``, typed as ``kinds`` (datetime from ISO text); None if absent."""
    if raw is None:
        return None
    try:
        if len(raw) > MAX_CURSOR_LENGTH:
            raise ValueError
        data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        if not isinstance(data, list) or data[:1] != [listing] or len(data) != len(kinds) + 1:
            raise ValueError
        return [_typed(value, kind) for value, kind in zip(data[1:], kinds, strict=True)]
    except (ValueError, binascii.Error, UnicodeDecodeError, OverflowError):
        raise invalid_parameter(
            "cursor", "无效的分页游标；请使用上一页返回的 next_cursor"
        ) from None


def _typed(value: object, kind: type) -> Any:
    if kind is datetime:
        if not isinstance(value, str):
            raise ValueError
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError
        return moment
    if kind is int and (type(value) is not int or not 0 <= value < 2**31):
        raise ValueError
    return value


def page(rows: Sequence[Row], limit: int) -> tuple[Sequence[Row], bool]:
    """The first ``limit`` rows, and whether more follow (the query fetched limit + 1)."""
    return rows[:limit], len(rows) > limit
