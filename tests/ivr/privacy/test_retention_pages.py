"""Retention in the admin pages: a station's tab, district and city defaults."""

from __future__ import annotations

from sqlalchemy import select

from models import AuditLog, RetentionPolicy
from tests.conftest import fresh


def _tab(world, key: str) -> str:
    return f"/admin/stations/{world['stations'][key].id}/retention"


def test_a_station_admin_sees_and_sets_the_stations_periods(admin_world, login, db_session):
    browser = login("admin-a")
    page = browser.get(_tab(admin_world, "a")).get_data(as_text=True)
    assert "保留期限" in page and "90 天" in page and "系统默认" in page
    version = admin_world["stations"]["a"].settings_version
    saved = browser.post(
        _tab(admin_world, "a"),
        page=_tab(admin_world, "a"),
        recordings_days="30",
        transcripts_days="",
        caller_details_days="",
        settings_version=str(version),
    )
    html = saved.get_data(as_text=True)
    assert "设置已保存" in html and "30 天" in html and "本站设置" in html
    row = fresh(db_session).scalars(select(RetentionPolicy)).one()
    assert (row.scope, row.recordings_days, row.transcripts_days) == (
        f"station:{admin_world['stations']['a'].id}",
        30,
        None,
    )
    audit = db_session.scalars(select(AuditLog).where(AuditLog.action == "station.retention")).one()
    assert audit.detail["changes"] == {"recordings_days": [None, 30]}


def test_outside_the_limits_is_refused_at_its_field(admin_world, login, db_session):
    browser = login("admin-a")
    refused = browser.post(
        _tab(admin_world, "a"),
        page=_tab(admin_world, "a"),
        recordings_days="3",
        settings_version=str(admin_world["stations"]["a"].settings_version),
    )
    assert refused.status_code == 400
    assert 'id="error-recordings_days"' in refused.get_data(as_text=True)
    assert fresh(db_session).scalars(select(RetentionPolicy)).all() == []


def test_another_stations_tab_is_not_there(admin_world, login):
    assert login("admin-a").get(_tab(admin_world, "b")).status_code == 404
    assert login("worker-a").get(_tab(admin_world, "a")).status_code == 403


def test_district_and_city_defaults(admin_world, login, db_session):
    district = login("haizhu-admin")
    district.post("/admin/retention", page="/admin/retention", recordings_days="60")
    city = login("city")
    city.post(
        "/admin/retention",
        page="/admin/retention",
        recordings_days="120",
        caller_details_days="365",
    )
    # A station of 海珠区 now follows the district; one of 白云区 the city.
    a = city.get(_tab(admin_world, "a")).get_data(as_text=True)
    assert "60 天" in a and "区默认" in a
    b = city.get(_tab(admin_world, "b")).get_data(as_text=True)
    assert "120 天" in b and "市默认" in b and "365 天" in b
    scopes = {
        r.scope: r.recordings_days for r in fresh(db_session).scalars(select(RetentionPolicy))
    }
    haizhu = admin_world["stations"]["a"].district_id
    assert scopes == {f"district:{haizhu}": 60, "city": 120}
    actions = set(db_session.scalars(select(AuditLog.action)))
    assert {"retention.district", "retention.city"} <= actions


def test_a_station_admin_has_no_defaults_page(admin_world, login):
    assert login("admin-a").get("/admin/retention").status_code == 403


def test_the_pages_speak_english_too(admin_world, login):
    browser = login("city")
    browser.post("/console/language", lang="en")
    tab = browser.get(_tab(admin_world, "a")).get_data(as_text=True)
    assert "Recordings (days after the case is resolved)" in tab and "System default" in tab
    requests = browser.get("/admin/residents").get_data(as_text=True)
    assert "Residents&#39; data requests" in requests or "Residents' data requests" in requests
    assert "IVR_STORAGE_KEYS is not set" in requests
