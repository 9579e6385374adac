from datetime import UTC, datetime

import pytest

from ivr.menus.hours import HoursInvalid, OpeningHours

WEEKDAYS_9_TO_6 = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def hours(**kw) -> OpeningHours:  # type: ignore[no-untyped-def]
    settings = {
        "timezone": "Asia/Shanghai",
        "always_open": False,
        "weekly": WEEKDAYS_9_TO_6,
        "holidays": [],
    }
    settings.update(kw)
    return OpeningHours.from_settings(**settings)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("instant", "is_open"),
    [
        (utc(2022, 4, 11, 0, 59), False),  # Monday 08:59 in Shanghai
        (utc(2022, 4, 11, 1, 0), True),  # Monday 09:00
        (utc(2022, 4, 11, 9, 59), True),  # Monday 17:59
        (utc(2022, 4, 11, 10, 0), False),  # Monday 18:00: closed
        (utc(2022, 4, 15, 16, 0), False),  # Saturday 00:00 in Shanghai, Friday in UTC
        (utc(2022, 4, 10, 16, 30), False),  # Monday 00:30 in Shanghai, Sunday in UTC
        (utc(2022, 4, 10, 17, 0), False),
    ],
)
def test_hours_are_read_in_the_station_timezone(instant, is_open):
    assert hours().is_open(instant) is is_open


def test_a_holiday_closes_the_whole_local_day():
    h = hours(holidays=["2022-04-11"])
    assert h.is_open(utc(2022, 4, 11, 3, 0)) is False
    # 2022-04-11 09:30 UTC is 17:30 in Shanghai, still the holiday
    assert h.is_open(utc(2022, 4, 11, 9, 30)) is False
    assert h.is_open(utc(2022, 4, 12, 3, 0)) is True


def test_twenty_four_hour_mode_is_always_open_even_on_holidays():
    h = hours(always_open=True, holidays=["2022-04-11"])
    assert h.is_open(utc(2022, 4, 11, 19, 0)) is True


def test_a_late_shift_may_run_to_midnight():
    h = hours(weekly={"sat": [["20:00", "24:00"]]})
    assert h.is_open(utc(2022, 4, 16, 15, 59)) is True  # Saturday 23:59 in Shanghai
    assert h.is_open(utc(2022, 4, 16, 16, 0)) is False  # Sunday 00:00


@pytest.mark.parametrize(
    ("weekly", "holidays", "message"),
    [
        ({"someday": [["09:00", "10:00"]]}, [], "'someday' is not one of"),
        ({"mon": [["9am", "10:00"]]}, [], "'9am' is not a time"),
        ({"mon": [["18:00", "09:00"]]}, [], "closes before it opens"),
        ({}, ["11/04/2022"], "holidays"),
    ],
)
def test_bad_settings_say_what_is_wrong(weekly, holidays, message):
    with pytest.raises(HoursInvalid, match=message):
        hours(weekly=weekly, holidays=holidays)
