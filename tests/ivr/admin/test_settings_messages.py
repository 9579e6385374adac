"""The acknowledgement-text settings page: on/off, wording per language, quiet hours."""

from __future__ import annotations

from sqlalchemy import select

from models import AuditLog, Station
from tests.conftest import fresh
from tests.ivr.admin.test_settings import field_error, url

GOOD = {
    "acknowledge_by_sms": "1",
    "text_zh": "{station}已收到您的留言，{hours}小时内回电。",
    "quiet_hours_start": "22:00",
    "quiet_hours_end": "07:30",
}


def _station(db_session, world, key: str = "a") -> Station:  # type: ignore[no-untyped-def]
    return fresh(db_session).get(Station, world["stations"][key].id)


def test_the_page_shows_the_wording_and_what_a_resident_would_read(admin_world, login):
    page = login("admin-a").get(url(admin_world, "a", "messages"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "您的留言已收到，{station}社工站会在 {hours} 小时内回电。" in html
    assert "您的留言已收到，南洲街社工站会在 24 小时内回电。" in html  # the sample
    assert 'name="quiet_hours_start" value="21:00"' in html


def test_saving_turns_texts_on_with_the_stations_wording(admin_world, login, db_session):
    browser = login("admin-a")
    saved = browser.post(url(admin_world, "a", "messages"), settings_version="1", **GOOD)
    assert "设置已保存" in saved.get_data(as_text=True)
    row = _station(db_session, admin_world)
    assert row.acknowledge_by_sms is True
    assert row.acknowledgement_texts == {"zh": GOOD["text_zh"]}
    assert (row.quiet_hours_start, row.quiet_hours_end) == ("22:00", "07:30")
    audit = fresh(db_session).scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert audit.action == "station.messages"
    off = browser.post(
        url(admin_world, "a", "messages"),
        settings_version="2",
        **{**GOOD, "acknowledge_by_sms": ""},
    )
    assert "设置已保存" in off.get_data(as_text=True)
    assert _station(db_session, admin_world).acknowledge_by_sms is False


def test_unknown_placeholders_and_bad_clocks_are_refused(admin_world, login, db_session):
    bad = {**GOOD, "text_zh": "{name}您好，{hours}小时内回电", "quiet_hours_end": "25:00"}
    response = login("admin-a").post(url(admin_world, "a", "messages"), settings_version="1", **bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "{name}" in field_error(html, "text_zh")
    assert "HH:MM" in field_error(html, "quiet_hours_end")
    assert "{name}您好" in html  # what was typed stays
    unbalanced = {**GOOD, "text_zh": "回电 {hours"}
    response = login("admin-a").post(
        url(admin_world, "a", "messages"), settings_version="1", **unbalanced
    )
    assert response.status_code == 400 and field_error(response.get_data(as_text=True), "text_zh")
    assert _station(db_session, admin_world).acknowledge_by_sms is False


def test_another_stations_admin_and_workers_cannot_reach_it(admin_world, login, db_session):
    browser = login("admin-b")
    assert browser.get(url(admin_world, "a", "messages")).status_code == 404
    refused = browser.post(url(admin_world, "a", "messages"), settings_version="1", **GOOD)
    assert refused.status_code == 404
    worker = login("worker-a")
    assert worker.get(url(admin_world, "a", "messages")).status_code in (302, 403, 404)
    assert _station(db_session, admin_world).acknowledge_by_sms is False
