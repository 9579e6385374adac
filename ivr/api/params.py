"""Reading the query string: every parameter checked, anything unexpected a 400."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from werkzeug.datastructures import MultiDict

from ivr.api.errors import ApiError, invalid_parameter

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_VALUE_LENGTH = 200
FIRST = datetime.min.replace(tzinfo=UTC)
LAST = datetime.max.replace(tzinfo=UTC)
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# RFC 3339: a date-time names its offset, so no one guesses which time zone was meant.
DATE_TIME = re.compile(
    r"(?P<base>\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2})(\.(?P<fraction>\d{1,9}))?"
    r"(?P<offset>[Zz]|[+-]\d{2}:\d{2})"
)


def _parse_moment(raw: str, end_of_day: bool) -> datetime:
    """An RFC 3339 date or date-time, as aware UTC. A bare date is the start of that day
    (UTC), or the start of the next one when it closes a range (``until``). Moments past
    the ends of Python's calendar (0001-01-01T00:00+05:00) clamp to its first or last."""
    if DATE.fullmatch(raw):
        moment = datetime.combine(date.fromisoformat(raw), time(), tzinfo=UTC)
        if not end_of_day:
            return moment
        return moment + timedelta(days=1) if moment.date() < date.max else LAST
    parts = DATE_TIME.fullmatch(raw)
    if parts is None:
        raise ValueError(raw)
    micro = (parts["fraction"] or "")[:6].ljust(6, "0")  # Python keeps microseconds
    moment = datetime.fromisoformat(f"{parts['base'].upper()}.{micro}{parts['offset'].upper()}")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return FIRST if moment.year == 1 else LAST


class Query:
    """The request's query parameters: only ``allowed`` names, each given at most once."""

    def __init__(self, args: MultiDict[str, str], allowed: set[str]) -> None:
        unknown = sorted(set(args) - allowed)
        if unknown:
            raise ApiError(400, "unknown_parameter", f"未知的查询参数：{', '.join(unknown)}")
        for name in args:
            if len(args.getlist(name)) > 1:
                raise invalid_parameter(name, "只能给一次")
        self.args = args

    def raw(self, name: str) -> str | None:
        value = self.args.get(name)
        if value is not None and len(value) > MAX_VALUE_LENGTH:
            raise invalid_parameter(name, f"不能超过{MAX_VALUE_LENGTH}个字符")
        return value

    def matching(self, name: str, pattern: re.Pattern[str], hint: str) -> str | None:
        value = self.raw(name)
        if value is not None and not pattern.fullmatch(value):
            raise invalid_parameter(name, hint)
        return value

    def choice(self, name: str, choices: tuple[str, ...]) -> str | None:
        value = self.raw(name)
        if value is not None and value not in choices:
            raise invalid_parameter(name, f"应为 {' | '.join(choices)} 之一")
        return value

    def boolean(self, name: str) -> bool | None:
        value = self.choice(name, ("true", "false"))
        return None if value is None else value == "true"

    def moment(self, name: str, end_of_day: bool = False) -> datetime | None:
        value = self.raw(name)
        if value is None:
            return None
        try:
            return _parse_moment(value, end_of_day)
        except ValueError:
            raise invalid_parameter(
                name, "应为 ISO 8601 日期或时间，如 2024-05-01 或 2024-05-01T08:00:00Z"
            ) from None

    def limit(self) -> int:
        value = self.raw("limit")
        if value is None:
            return DEFAULT_LIMIT
        if not re.fullmatch(r"\d{1,4}", value) or not 1 <= int(value) <= MAX_LIMIT:
            raise invalid_parameter("limit", f"应为1到{MAX_LIMIT}之间的整数")
        return int(value)
