"""Report periods: presets and custom ranges of local calendar days, and their UTC bounds.

A period is a range of local calendar days. Each station reads it on its own clock: the
period covers [start 00:00, end + 1 day 00:00) in the station's timezone, so the same
period has different UTC bounds at stations in different timezones.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from ivr.stats.report import Period

PRESETS = ("today", "7d", "month", "last_month")
MAX_DAYS = 366
FIRST_YEAR, LAST_YEAR = 2000, 2100  # the years a period may name


class PeriodInvalid(ValueError):
    """The period asked for cannot be reported on; the message says why."""


def parse_period(preset: str | None, start: str | None, end: str | None, today: date) -> Period:
    """The period a preset or a custom range names, relative to the local date ``today``.

    Presets: "today"; "7d" (today and the 6 days before); "month" (the 1st of this month to
    today); "last_month" (the whole previous calendar month). Without a preset, ``start``
    and ``end`` are ISO dates (``end`` defaults to ``start``), at most ``MAX_DAYS`` apart.
    Giving neither means "month".
    """
    preset = (preset or "").strip()
    if preset and preset != "custom":
        return preset_period(preset, today)
    if not (start or "").strip():
        if preset == "custom" or (end or "").strip():
            raise PeriodInvalid(_l("请填写开始日期"))
        return preset_period("month", today)
    first = _parse_date(start, _l("开始日期格式不正确，请用 YYYY-MM-DD，例如 2026-11-01"))
    last = first
    if (end or "").strip():
        last = _parse_date(end, _l("结束日期格式不正确，请用 YYYY-MM-DD，例如 2026-11-30"))
    if last < first:
        raise PeriodInvalid(_l("结束日期不能早于开始日期"))
    if first.year < FIRST_YEAR or last.year > LAST_YEAR:
        # Far dates are typing slips, and their UTC bounds would leave the calendar.
        raise PeriodInvalid(
            _l("日期应在 %(first)d 年到 %(last)d 年之间", first=FIRST_YEAR, last=LAST_YEAR)
        )
    period = Period(first, last)
    if period.days > MAX_DAYS:
        raise PeriodInvalid(_l("时间范围最长 %(n)d 天", n=MAX_DAYS))
    return period


def preset_period(preset: str, today: date) -> Period:
    if preset == "today":
        return Period(today, today)
    if preset == "7d":
        return Period(today - timedelta(days=6), today)
    if preset == "month":
        return Period(today.replace(day=1), today)
    if preset == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return Period(last.replace(day=1), last)
    raise PeriodInvalid(
        _l("未知的时间范围：%(preset)s（可选 today、7d、month、last_month）", preset=preset)
    )


def _parse_date(text: str | None, message: object) -> date:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise PeriodInvalid(message) from None


def local_today(zone: str, now: datetime) -> date:
    """The calendar date at ``now`` in ``zone``."""
    return now.astimezone(ZoneInfo(zone)).date()


def day_start(day: date, zone: str) -> datetime:
    """When local ``day`` begins in ``zone``, in UTC."""
    return datetime.combine(day, time(), ZoneInfo(zone)).astimezone(UTC)


def utc_bounds(first: date, last: date, zone: str) -> tuple[datetime, datetime]:
    """[first 00:00, last + 1 day 00:00) local in ``zone``, as UTC instants."""
    return day_start(first, zone), day_start(last + timedelta(days=1), zone)


def days_in(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
