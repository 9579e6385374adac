"""A station admin sets the urgent alerts: on or off, and the minutes before escalation."""

from __future__ import annotations

from tests.ivr.admin.test_settings import PROFILE, field_error, station, url


def test_the_profile_page_sets_the_alerts(admin_world, login, db_session):
    browser = login("admin-a")
    page = browser.get(url(admin_world, "a", "profile")).get_data(as_text=True)
    assert 'name="alert_escalation_minutes" value="10"' in page
    assert 'name="alerts_enabled" value="1" checked' in page
    response = browser.post(
        url(admin_world, "a", "profile"),
        settings_version="1",
        alert_escalation_minutes="５",  # full-width digits, as a Chinese keyboard types them
        **PROFILE,
    )
    assert "设置已保存" in response.get_data(as_text=True)
    row = station(db_session, admin_world, "a")
    assert row.alert_escalation_minutes == 5 and row.alerts_enabled is False


def test_escalation_minutes_out_of_range_are_refused(admin_world, login, db_session):
    response = login("admin-a").post(
        url(admin_world, "a", "profile"),
        settings_version="1",
        alerts_enabled="1",
        alert_escalation_minutes="0",
        **PROFILE,
    )
    assert "1到240" in field_error(response.get_data(as_text=True), "alert_escalation_minutes")
    assert station(db_session, admin_world, "a").alert_escalation_minutes == 10
