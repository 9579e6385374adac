"""Report periods: presets, custom ranges, and the errors a user can act on."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ivr.stats.figures import PeriodInvalid, parse_period
from ivr.stats.periods import local_today, utc_bounds
from ivr.stats.report import Period

TODAY = date(2026, 11, 15)


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        ("today", Period(date(2026, 11, 15), date(2026, 11, 15))),
        ("7d", Period(date(2026, 11, 9), date(2026, 11, 15))),
        ("month", Period(date(2026, 11, 1), date(2026, 11, 15))),
        ("last_month", Period(date(2026, 10, 1), date(2026, 10, 31))),
    ],
)
def test_presets(preset, expected):
    assert parse_period(preset, None, None, TODAY) == expected


def test_presets_across_a_year_and_on_the_first_of_a_month():
    new_year = date(2027, 1, 1)
    assert parse_period("last_month", None, None, new_year) == Period(
        date(2026, 12, 1), date(2026, 12, 31)
    )
    assert parse_period("month", None, None, new_year) == Period(new_year, new_year)
    assert parse_period("7d", None, None, new_year) == Period(date(2026, 12, 26), new_year)
    assert parse_period("last_month", None, None, date(2028, 3, 31)) == Period(
        date(2028, 2, 1), date(2028, 2, 29)
    )


def test_custom_ranges():
    assert parse_period(None, "2026-11-01", "2026-11-30", TODAY) == Period(
        date(2026, 11, 1), date(2026, 11, 30)
    )
    assert parse_period("custom", " 2026-11-03 ", "", TODAY) == Period(
        date(2026, 11, 3), date(2026, 11, 3)
    )
    assert parse_period(None, "2025-11-15", "2026-11-15", TODAY).days == 366
    assert parse_period(None, None, None, TODAY) == Period(date(2026, 11, 1), TODAY)


@pytest.mark.parametrize(
    ("preset", "start", "end", "message"),
    [
        (None, "2026-11-31", "2026-12-01", "开始日期格式不正确"),
        (None, "2026-11-01", "30/11/2026", "结束日期格式不正确"),
        (None, "2026-11-30", "2026-11-01", "结束日期不能早于开始日期"),
        (None, "2025-11-14", "2026-11-15", "最长 366 天"),
        ("fortnight", None, None, "未知的时间范围：fortnight"),
        (None, None, "2026-11-30", "请填写开始日期"),
        ("custom", "", "", "请填写开始日期"),
    ],
)
def test_bad_periods_say_why(app, preset, start, end, message):
    with app.test_request_context(), pytest.raises(PeriodInvalid) as caught:
        parse_period(preset, start, end, TODAY)
    assert message in str(caught.value)


def test_local_days_and_their_utc_bounds():
    assert utc_bounds(date(2026, 11, 1), date(2026, 11, 30), "Asia/Shanghai") == (
        datetime(2026, 10, 31, 16, tzinfo=UTC),
        datetime(2026, 11, 30, 16, tzinfo=UTC),
    )
    assert utc_bounds(date(2026, 11, 1), date(2026, 11, 1), "Asia/Urumqi") == (
        datetime(2026, 10, 31, 18, tzinfo=UTC),
        datetime(2026, 11, 1, 18, tzinfo=UTC),
    )
    moment = datetime(2026, 11, 30, 15, 59, 59, tzinfo=UTC)
    assert local_today("Asia/Shanghai", moment) == date(2026, 11, 30)
    assert local_today("Asia/Tokyo", moment) == date(2026, 12, 1)


def test_errors_read_in_english_too(app):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("en"):
        with pytest.raises(PeriodInvalid) as caught:
            parse_period(None, "2026-11-30", "2026-11-01", TODAY)
        assert str(caught.value) == "The end date is before the start date"
