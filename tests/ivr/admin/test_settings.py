"""Station settings: the profile and opening-hours pages, stale edits, audit and scoping."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ivr.admin.settings import SettingsStale, save_settings
from ivr.calls.log import call_context
from ivr.db import get_session
from models import AuditLog, Station
from tests.conftest import fresh

PROFILE = {
    "name_zh": "南洲街道社工站",
    "name_en": "Nanzhou",
    "languages": ["yue", "zh"],
    "timezone": "Asia/Hong_Kong",
}
WORKDAYS = {f"hours_{day}": "09:00-12:00, 14:00-18:00" for day in ("mon", "tue", "wed", "thu")}


def station(db_session, world, key: str) -> Station:  # type: ignore[no-untyped-def]
    return fresh(db_session).get(Station, world["stations"][key].id)


def audits(db_session, station_id: int) -> list[AuditLog]:  # type: ignore[no-untyped-def]
    return list(
        fresh(db_session).scalars(
            select(AuditLog).where(AuditLog.station_id == station_id).order_by(AuditLog.id)
        )
    )


def field_error(html: str, field: str) -> str:
    """The message shown next to ``field``; empty when there is none."""
    found = re.search(rf'<span class="field-error" id="error-{field}" role="alert">([^<]*)<', html)
    return found.group(1) if found else ""


def url(world, key: str, tab: str) -> str:  # type: ignore[no-untyped-def]
    return f"/admin/stations/{world['stations'][key].id}/{tab}"


# Profile


def test_the_profile_page_shows_the_station_and_its_numbers_read_only(admin_world, login):
    page = login("admin-a").get(url(admin_world, "a", "profile"))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    number = admin_world["stations"]["a"].hotline_numbers[0].number
    assert 'value="南洲街"' in html and number in html
    assert 'name="number"' not in html  # shown, never an input
    assert 'name="settings_version" value="1"' in html
    assert '<option value="Asia/Hong_Kong">' in html  # the short list beside free text


def test_a_profile_save_changes_the_station_and_is_audited(admin_world, login, db_session):
    browser = login("admin-a")
    response = browser.post(url(admin_world, "a", "profile"), settings_version="1", **PROFILE)
    assert response.status_code == 200 and "设置已保存" in response.get_data(as_text=True)
    row = station(db_session, admin_world, "a")
    assert (row.name_zh, row.name_en, row.languages) == ("南洲街道社工站", "Nanzhou", ["yue", "zh"])
    assert row.timezone == "Asia/Hong_Kong"
    assert row.ticket_on_abandon is False  # the box was not ticked
    assert row.settings_version == 2
    (audit,) = audits(db_session, row.id)
    assert audit.action == "station.profile"
    assert audit.user_id == admin_world["users"]["admin-a"].id
    changes = audit.detail["changes"]
    assert changes["name_zh"] == ["南洲街", "南洲街道社工站"]
    assert changes["languages"] == [["zh"], ["yue", "zh"]]
    assert changes["ticket_on_abandon"] == [True, False]
    assert "name_zh" in changes and "settings_version" not in changes
    assert audit.detail["settings_version"] == 2


def test_saving_what_is_already_there_changes_nothing(admin_world, login, db_session):
    form = {"name_zh": "南洲街", "name_en": "", "languages": ["zh"], "timezone": "Asia/Shanghai"}
    page = login("admin-a").post(
        url(admin_world, "a", "profile"), settings_version="1", ticket_on_abandon="1", **form
    )
    assert "设置没有变化" in page.get_data(as_text=True)
    assert station(db_session, admin_world, "a").settings_version == 1
    assert audits(db_session, admin_world["stations"]["a"].id) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("timezone", "Mars/Olympus", "“Mars/Olympus”不是有效的时区名称"),
        ("timezone", "asia/shanghai", "时区名称区分大小写，应为 Asia/Shanghai"),
        ("timezone", "../../etc/passwd", "不是有效的时区名称"),
        ("timezone", "", "请填写时区"),
        ("languages", ["", "", ""], "请至少选择一种语言"),
        ("languages", ["zh", "zh"], "同一种语言只能选一次"),
        ("languages", ["ko"], "只能选择普通话、粤语或英语"),
        ("name_zh", "  ", "请填写名称"),
        ("name_en", "x" * 101, "最多100个字"),
    ],
)
def test_a_bad_profile_is_refused_next_to_the_field_keeping_the_input(
    admin_world, login, db_session, field, value, message
):
    form = {**PROFILE, field: value}
    response = login("admin-a").post(url(admin_world, "a", "profile"), settings_version="1", **form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in field_error(html, field)
    kept = "name_zh" if field == "name_en" else "name_en"
    assert f'value="{form[kept]}"' in html  # what was typed stays in the form
    row = station(db_session, admin_world, "a")
    assert (row.name_zh, row.timezone, row.languages) == ("南洲街", "Asia/Shanghai", ["zh"])
    assert row.settings_version == 1 and audits(db_session, row.id) == []


def test_the_languages_keep_the_order_chosen(admin_world, login, db_session):
    form = {**PROFILE, "languages": ["en", "", "yue"]}
    login("admin-a").post(url(admin_world, "a", "profile"), settings_version="1", **form)
    assert station(db_session, admin_world, "a").languages == ["en", "yue"]


# Opening hours


def test_hours_are_stored_as_the_engine_reads_them(admin_world, login, db_session):
    form = {
        **WORKDAYS,
        "hours_fri": "9:00 – 12:00，14：00-24:00",  # what a Chinese keyboard produces
        "hours_sat": "",
        "holidays": "2026-10-02\n\n2026-10-01\n2026-10-01\n",
    }
    page = login("admin-a").post(url(admin_world, "a", "hours"), settings_version="1", **form)
    assert "设置已保存" in page.get_data(as_text=True)
    row = station(db_session, admin_world, "a")
    assert row.twenty_four_hours is False
    assert row.opening_hours["mon"] == [["09:00", "12:00"], ["14:00", "18:00"]]
    assert row.opening_hours["fri"] == [["09:00", "12:00"], ["14:00", "24:00"]]
    assert "sat" not in row.opening_hours and "sun" not in row.opening_hours
    assert row.holidays == ["2026-10-01", "2026-10-02"]
    hours = call_context(row, "", datetime.now(UTC)).hours
    shanghai = ZoneInfo("Asia/Shanghai")
    monday = datetime(2026, 9, 28, tzinfo=shanghai)  # a Monday
    assert hours.is_open(monday.replace(hour=10))
    assert not hours.is_open(monday.replace(hour=13))
    assert hours.is_open(monday.replace(hour=14))
    assert not hours.is_open(monday.replace(hour=18))
    assert hours.is_open(datetime(2026, 10, 2, 23, 59, tzinfo=shanghai)) is False  # holiday
    assert hours.is_open(datetime(2026, 10, 9, 23, 59, tzinfo=shanghai))  # Friday till 24:00
    (audit,) = audits(db_session, row.id)
    assert audit.action == "station.hours"
    assert audit.detail["changes"]["twenty_four_hours"] == [True, False]
    assert audit.detail["changes"]["holidays"] == [[], ["2026-10-01", "2026-10-02"]]


def test_the_page_says_open_or_closed_now_as_the_engine_decides(admin_world, login, db_session):
    browser = login("admin-a")
    page = browser.get(url(admin_world, "a", "hours")).get_data(as_text=True)
    assert "现在开放" in page and "24小时模式" in page  # the default
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    around = "\n".join(str(today + timedelta(days=d)) for d in (-1, 0, 1))
    every_day = {
        f"hours_{d}": "00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    }
    page = browser.post(
        url(admin_world, "a", "hours"), settings_version="1", holidays=around, **every_day
    )
    html = page.get_data(as_text=True)
    assert "现在关闭" in html and "今天是节假日" in html
    row = station(db_session, admin_world, "a")
    now = datetime.now(UTC)
    assert call_context(row, "", now).hours.is_open(now) is False
    page = browser.post(url(admin_world, "a", "hours"), settings_version="2", **every_day)
    html = page.get_data(as_text=True)
    assert "现在开放" in html and "24小时模式" not in html


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"hours_mon": "9-17"}, "hours_mon", "“9-17”不是 HH:MM-HH:MM 格式的时段"),
        ({"hours_tue": "09:00-25:00"}, "hours_tue", "不是 HH:MM-HH:MM 格式的时段"),
        ({"hours_wed": "18:00-09:00"}, "hours_wed", "结束时间不晚于开始时间"),
        ({"hours_wed": "09:00-09:00"}, "hours_wed", "结束时间不晚于开始时间"),
        (
            {"hours_thu": "09:00-12:00, 11:30-14:00"},
            "hours_thu",
            "时段 09:00-12:00 和 11:30-14:00 重叠",
        ),
        ({"hours_fri": "14:00-18:00 08:00-20:00"}, "hours_fri", "重叠"),
        ({"holidays": "2026-10-01\n2026-02-30"}, "holidays", "第2行“2026-02-30”"),
        ({"holidays": "20261001"}, "holidays", "不是 YYYY-MM-DD 格式的日期"),
        ({"holidays": "2026/10/01"}, "holidays", "不是 YYYY-MM-DD 格式的日期"),
        ({"hours_mon": ""}, "hours", "关闭24小时模式时，请至少填写一个开放时段"),
    ],
)
def test_bad_hours_are_refused_and_change_nothing(
    admin_world, login, db_session, form, field, message
):
    typed = {**WORKDAYS, **form} if field != "hours" else {}
    response = login("admin-a").post(url(admin_world, "a", "hours"), settings_version="1", **typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in field_error(html, field)
    if field != "hours":
        assert 'value="09:00-12:00, 14:00-18:00"' in html  # the typed days are kept
    row = station(db_session, admin_world, "a")
    assert row.opening_hours == {} and row.holidays == [] and row.twenty_four_hours is True
    assert row.settings_version == 1 and audits(db_session, row.id) == []


def test_24_hour_mode_keeps_the_weekly_hours_for_later(admin_world, login, db_session):
    form = {**WORKDAYS, "twenty_four_hours": "1"}
    login("admin-a").post(url(admin_world, "a", "hours"), settings_version="1", **form)
    row = station(db_session, admin_world, "a")
    assert row.twenty_four_hours is True and row.opening_hours["mon"][0] == ["09:00", "12:00"]
    assert call_context(row, "", datetime.now(UTC)).hours.always_open


# Stale edits


def test_a_stale_save_is_refused_naming_who_changed_what_meanwhile(
    admin_world, login, second_browser, db_session
):
    first = login("admin-a")
    assert 'name="settings_version" value="1"' in first.get(
        url(admin_world, "a", "profile")
    ).get_data(as_text=True)
    second_browser.login("haizhu-admin")
    saved = second_browser.post(
        url(admin_world, "a", "profile"), settings_version="1", **{**PROFILE, "name_en": "Theirs"}
    )
    assert "设置已保存" in saved.get_data(as_text=True)

    mine = {**PROFILE, "name_zh": "我的<b>名称</b>", "name_en": "Mine"}
    response = first.post(url(admin_world, "a", "profile"), settings_version="1", **mine)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "haizhu-admin 于" in html and "修改了本站设置，您这次的修改没有保存" in html
    assert 'value="我的&lt;b&gt;名称&lt;/b&gt;"' in html and 'value="Mine"' in html
    assert 'name="settings_version" value="2"' in html  # saving again overwrites, knowingly
    row = station(db_session, admin_world, "a")
    assert row.name_en == "Theirs" and row.settings_version == 2
    assert [a.user_id for a in audits(db_session, row.id)] == [
        admin_world["users"]["haizhu-admin"].id
    ]


def test_a_stale_version_counts_across_pages(admin_world, login, second_browser, db_session):
    first = login("admin-a")
    second_browser.login("admin-a")
    second_browser.post(url(admin_world, "a", "hours"), settings_version="1", **WORKDAYS)
    response = first.post(url(admin_world, "a", "profile"), settings_version="1", **PROFILE)
    assert response.status_code == 409 and "admin-a 于" in response.get_data(as_text=True)
    for bad in ("", "x", "99999999999"):
        refused = first.post(url(admin_world, "a", "profile"), settings_version=bad, **PROFILE)
        assert refused.status_code == 409
    assert station(db_session, admin_world, "a").name_zh == "南洲街"


# Scoping


TABS = ("profile", "hours", "roster", "tags")


@pytest.mark.parametrize("tab", TABS)
def test_a_station_admin_cannot_reach_another_station(admin_world, login, db_session, tab):
    browser = login("admin-a")
    assert browser.get(url(admin_world, "b", tab)).status_code == 404
    response = browser.post(url(admin_world, "b", tab), settings_version="1", **PROFILE)
    assert response.status_code == 404
    assert browser.get(url(admin_world, "a", tab)).status_code == 200
    assert station(db_session, admin_world, "b").settings_version == 1


@pytest.mark.parametrize("tab", TABS)
def test_a_worker_is_forbidden(admin_world, login, tab):
    browser = login("worker-a")
    assert browser.get(url(admin_world, "a", tab)).status_code == 403
    response = browser.post(url(admin_world, "a", tab), settings_version="1", **PROFILE)
    assert response.status_code == 403


def test_a_district_admin_edits_the_district_stations_only(admin_world, login, db_session):
    browser = login("haizhu-admin")
    for key in ("a", "a2"):
        form = {**PROFILE, "name_zh": f"海珠{key}"}
        response = browser.post(url(admin_world, key, "profile"), settings_version="1", **form)
        assert response.status_code == 200
        assert station(db_session, admin_world, key).name_zh == f"海珠{key}"
    assert browser.get(url(admin_world, "b", "hours")).status_code == 404
    refused = browser.post(url(admin_world, "b", "profile"), settings_version="1", **PROFILE)
    assert refused.status_code == 404
    assert station(db_session, admin_world, "b").name_zh == "同德街"


def test_the_city_admin_edits_every_station(admin_world, login, db_session):
    browser = login("city")
    for key in ("a", "a2", "b"):
        response = browser.post(url(admin_world, key, "hours"), settings_version="1", **WORKDAYS)
        assert response.status_code == 200
        row = station(db_session, admin_world, key)
        assert row.settings_version == 2 and row.twenty_four_hours is False
        (audit,) = audits(db_session, row.id)
        assert audit.user_id == admin_world["users"]["city"].id


def test_the_pages_speak_english_too(admin_world, login):
    browser = login("admin-a")
    browser.post("/console/language", lang="en")
    html = browser.get(url(admin_world, "a", "hours")).get_data(as_text=True)
    assert "Weekly opening hours" in html and "Holidays" in html


def test_a_save_that_lost_a_race_changes_nothing(app, admin_world, db_session):
    station_id = admin_world["stations"]["a"].id
    with app.test_request_context():
        row = get_session().get(Station, station_id)
        row.name_zh = "后到的修改"
        # The form said version 0; the station is at 1 by the time the UPDATE runs.
        with pytest.raises(SettingsStale):
            save_settings(row, "profile", 0, {"name_zh": ["南洲街", "后到的修改"]})
    row = station(db_session, admin_world, "a")
    assert row.name_zh == "南洲街" and row.settings_version == 1
    assert audits(db_session, station_id) == []
