"""A station's night, when texts wait: "21:00"–"08:00" in the station's own timezone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from models import Station

CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
FALLBACK_ZONE = "Asia/Shanghai"


def parse_clock(text: str) -> time | None:
    match = CLOCK.fullmatch(text.strip())
    return time(int(match.group(1)), int(match.group(2))) if match else None


def _zone(station: Station) -> ZoneInfo:
    try:
        return ZoneInfo(station.timezone or FALLBACK_ZONE)
    except (KeyError, ValueError):
        return ZoneInfo(FALLBACK_ZONE)


def quiet_until(station: Station, now: datetime) -> datetime | None:
    """When the station's quiet hours end, if ``now`` falls in them; else None.

    Equal start and end (or an unreadable clock) means no quiet hours."""
    start = parse_clock(station.quiet_hours_start or "")
    end = parse_clock(station.quiet_hours_end or "")
    if start is None or end is None or start == end:
        return None
    zone = _zone(station)
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    quiet = start <= clock < end if start < end else clock >= start or clock < end
    if not quiet:
        return None
    morning = datetime.combine(local.date(), end, tzinfo=zone)
    if morning <= local:
        morning = datetime.combine(local.date() + timedelta(days=1), end, tzinfo=zone)
    return morning.astimezone(UTC)
