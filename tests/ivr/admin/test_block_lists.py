"""Block lists in the admin pages: a station's by its admins, the city's by the city admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from models import AuditLog, BlockedNumber, User, utcnow
from tests.conftest import fresh
from tests.ivr.admin.test_settings import audits, field_error, url

CITY = "/admin/blocked"
ENTRY = {"action": "add", "number": "138 1234 5678", "reason": "反复辱骂社工", "days": "30"}


def listed(db_session, station_id: int | None) -> list[BlockedNumber]:  # type: ignore[no-untyped-def]
    where = (
        BlockedNumber.station_id.is_(None)
        if station_id is None
        else BlockedNumber.station_id == station_id
    )
    return list(fresh(db_session).scalars(select(BlockedNumber).where(where)))


def test_a_station_admin_blocks_a_number_as_people_write_it(admin_world, login, db_session):
    station_id = admin_world["stations"]["a"].id
    page = login("admin-a").post(url(admin_world, "a", "blocked"), **ENTRY)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "已将 +8613812345678 加入拉黑名单" in html
    assert "反复辱骂社工" in html and "admin-a" in html

    (row,) = listed(db_session, station_id)
    assert row.number == "+8613812345678" and row.reason == "反复辱骂社工"
    assert row.expires_at is not None
    assert abs(row.expires_at - (utcnow() + timedelta(days=30))) < timedelta(minutes=1)
    assert db_session.get(User, row.created_by_id).username == "admin-a"
    (entry,) = [a for a in audits(db_session, station_id) if a.action == "block_list.add"]
    assert entry.detail["number"] == "+8613812345678"
    assert listed(db_session, admin_world["stations"]["b"].id) == []


def test_removing_an_entry_is_audited(admin_world, login, db_session):
    browser = login("admin-a")
    path = url(admin_world, "a", "blocked")
    browser.post(path, **(ENTRY | {"days": "0"}))
    (row,) = listed(db_session, admin_world["stations"]["a"].id)
    assert row.expires_at is None  # 0 days: until lifted
    html = browser.post(path, action="remove", entry=str(row.id)).get_data(as_text=True)
    assert "已将 +8613812345678 移出拉黑名单" in html
    assert listed(db_session, admin_world["stations"]["a"].id) == []
    actions = [a.action for a in audits(db_session, admin_world["stations"]["a"].id)]
    assert actions[-2:] == ["block_list.add", "block_list.remove"]


@pytest.mark.parametrize(
    ("typed", "field", "message"),
    [
        ({"number": "12345"}, "number", ""),
        ({"number": "+86282452253"}, "number", "隐藏号码"),
        ({"reason": "   "}, "reason", "原因"),
        ({"reason": "骂" * 201}, "reason", "200"),
        ({"days": "-1"}, "days", "天"),
        ({"days": "99999"}, "days", "天"),
    ],
)
def test_what_cannot_be_a_block_is_refused_beside_its_field(
    admin_world, login, db_session, typed, field, message
):
    page = login("admin-a").post(url(admin_world, "a", "blocked"), **(ENTRY | typed))
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert message in field_error(html, field) and field_error(html, field)
    assert 'value="反复辱骂社工"' in html or field == "reason"  # what was typed stays
    assert listed(db_session, admin_world["stations"]["a"].id) == []


def test_a_number_already_on_the_list_is_refused_but_an_expired_one_renewed(
    admin_world, login, db_session
):
    browser = login("admin-a")
    path = url(admin_world, "a", "blocked")
    browser.post(path, **ENTRY)
    again = browser.post(path, **(ENTRY | {"number": "+8613812345678"}))
    assert again.status_code == 400 and "已在名单上" in field_error(again.get_data(True), "number")
    (row,) = listed(db_session, admin_world["stations"]["a"].id)
    row.expires_at = utcnow() - timedelta(days=1)
    db_session.commit()
    assert browser.post(path, **ENTRY).status_code == 200
    (renewed,) = listed(db_session, admin_world["stations"]["a"].id)
    assert renewed.expires_at > utcnow()


def test_nobody_reaches_another_stations_list(admin_world, login, browser, db_session):
    path = url(admin_world, "a", "blocked")
    assert login("admin-b").get(path).status_code == 404
    assert browser.post(path, **ENTRY).status_code == 404
    browser.client.post("/console/logout", data={"csrf_token": browser.token()})
    assert login("worker-a").get(path).status_code == 403
    assert listed(db_session, admin_world["stations"]["a"].id) == []


def test_a_station_entry_cannot_be_removed_from_another_station(admin_world, login, db_session):
    row = BlockedNumber(station_id=admin_world["stations"]["b"].id, number="+8613900000001")
    db_session.add(row)
    db_session.commit()
    response = login("admin-a").post(
        url(admin_world, "a", "blocked"), action="remove", entry=str(row.id)
    )
    assert response.status_code == 404
    assert len(listed(db_session, admin_world["stations"]["b"].id)) == 1


def test_the_city_admin_keeps_the_city_list_which_stations_see_read_only(
    admin_world, login, browser, db_session
):
    assert login("admin-a").get(CITY).status_code == 403
    browser.client.post("/console/logout", data={"csrf_token": browser.token()})
    city = login("city")
    assert city.post(CITY, **ENTRY).status_code == 200
    (row,) = listed(db_session, None)
    assert row.number == "+8613812345678"
    logged = fresh(db_session).scalars(select(AuditLog).where(AuditLog.action == "block_list.add"))
    assert [(a.object_type, a.station_id) for a in logged] == [("block_list", None)]

    station_page = city.get(url(admin_world, "a", "blocked")).get_data(as_text=True)
    assert "全市拉黑名单（只读）" in station_page and "+8613812345678" in station_page
    assert f'name="entry" value="{row.id}"' not in station_page  # no button acts on it here
    # …and a station's form cannot remove it.
    response = city.post(url(admin_world, "a", "blocked"), action="remove", entry=str(row.id))
    assert response.status_code == 404
    assert city.post(CITY, action="remove", entry=str(row.id)).status_code == 200
    assert listed(db_session, None) == []
