"""Is a station open now? Opening hours, holidays and 24-hour mode in its own timezone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class HoursInvalid(ValueError):
    """Opening hours that cannot be understood; the message names the bad entry."""


def _clock(text: str, where: str) -> time:
    if text == "24:00":
        return time.max
    try:
        hours, minutes = text.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise HoursInvalid(f"{where}: {text!r} is not a time like 09:00") from None


@dataclass(frozen=True)
class OpeningHours:
    timezone: str = "Asia/Shanghai"
    always_open: bool = True
    # weekday → [(opens, closes)], closes after opens on the same day.
    weekly: dict[str, tuple[tuple[time, time], ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()

    @classmethod
    def from_settings(
        cls, timezone: str, always_open: bool, weekly: dict[str, Any], holidays: list[str]
    ) -> OpeningHours:
        """Build from a station's stored settings (``{"mon": [["09:00", "18:00"]]}``)."""
        parsed: dict[str, tuple[tuple[time, time], ...]] = {}
        for day, ranges in (weekly or {}).items():
            if day not in WEEKDAYS:
                raise HoursInvalid(f"{day!r} is not one of {', '.join(WEEKDAYS)}")
            spans = []
            for opens, closes in ranges:
                start, end = _clock(opens, day), _clock(closes, day)
                if end <= start:
                    raise HoursInvalid(f"{day}: {opens}-{closes} closes before it opens")
                spans.append((start, end))
            parsed[day] = tuple(spans)
        try:
            days = frozenset(date.fromisoformat(d) for d in holidays or [])
        except ValueError as exc:
            raise HoursInvalid(f"holidays: {exc}") from None
        return cls(timezone, always_open, parsed, days)

    def is_open(self, now: datetime) -> bool:
        """Whether the station is open at the instant ``now`` (timezone-aware)."""
        if self.always_open:
            return True
        local = now.astimezone(ZoneInfo(self.timezone))
        if local.date() in self.holidays:
            return False
        moment = local.time().replace(tzinfo=None)
        spans = self.weekly.get(WEEKDAYS[local.weekday()], ())
        return any(opens <= moment < closes for opens, closes in spans)
