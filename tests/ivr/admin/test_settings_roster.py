"""The on-duty roster page: add, reorder, deactivate, remove; bad numbers; stale edits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from ivr.calls.log import call_context
from models import OnDutyPhone
from tests.ivr.admin.test_settings import audits, field_error, station, url

ZHANG = "+8613800000001"
LI = "+8613800000002"
WANG = "+8613800000003"


def roster(db_session, world, key: str = "a") -> list[tuple[str, str, int, bool]]:  # type: ignore[no-untyped-def]
    row = station(db_session, world, key)
    return [(p.number, p.name, p.position, p.active) for p in row.on_duty_phones]


def phone_id(db_session, number: str) -> str:  # type: ignore[no-untyped-def]
    return str(db_session.scalar(select(OnDutyPhone.id).where(OnDutyPhone.number == number)))


@pytest.fixture
def three(admin_world, login, db_session):  # type: ignore[no-untyped-def]
    """admin-a's browser, with Zhang, Li and Wang on A's roster (settings version 4)."""
    browser = login("admin-a")
    path = url(admin_world, "a", "roster")
    typed = [("+86 138-0000-0001", "张社工"), ("＋８６ １３８ ００００ ０００２", "李"), (WANG, "")]
    for version, (number, name) in enumerate(typed, 1):
        page = browser.post(
            path, action="add", settings_version=str(version), number=number, name=name
        )
        assert page.status_code == 200, page.get_data(as_text=True)
    return browser


def test_phones_are_added_in_ring_order_and_written_as_e164(admin_world, three, db_session):
    assert roster(db_session, admin_world) == [
        (ZHANG, "张社工", 0, True),
        (LI, "李", 1, True),
        (WANG, "", 2, True),
    ]
    page = three.get(url(admin_world, "a", "roster")).get_data(as_text=True)
    assert page.index(ZHANG) < page.index(LI) < page.index(WANG)
    first = audits(db_session, admin_world["stations"]["a"].id)[0]
    assert first.action == "station.roster" and first.user_id == admin_world["users"]["admin-a"].id
    assert first.detail["changes"]["on_duty_phones"] == [[], [[ZHANG, "张社工", True]]]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13812345678", "+8613812345678"),  # a local mobile: +86 added, not refused
        ("138 1234 5678", "+8613812345678"),
        ("020-12345678", "+862012345678"),  # a fixed line with its area code
        ("+85291234567", "+85291234567"),  # already E.164: kept
    ],
)
def test_local_numbers_are_added_in_e164(admin_world, three, db_session, typed, stored):
    page = three.post(
        url(admin_world, "a", "roster"), action="add", settings_version="4", number=typed
    )
    assert page.status_code == 200 and f"已添加 {stored}" in page.get_data(as_text=True)
    assert roster(db_session, admin_world)[-1] == (stored, "", 3, True)
    row = station(db_session, admin_world, "a")
    assert call_context(row, "", datetime.now(UTC)).on_duty_phones[-1] == stored


def test_reorder_deactivate_and_remove_reach_the_engine(admin_world, three, db_session):
    path = url(admin_world, "a", "roster")
    page = three.post(path, action="down", phone=phone_id(db_session, ZHANG), settings_version="4")
    assert "已调整 +8613800000001 的顺序" in page.get_data(as_text=True)
    assert [p[0] for p in roster(db_session, admin_world)] == [LI, ZHANG, WANG]
    three.post(path, action="up", phone=phone_id(db_session, WANG), settings_version="5")
    assert [p[0] for p in roster(db_session, admin_world)] == [LI, WANG, ZHANG]
    three.post(path, action="deactivate", phone=phone_id(db_session, LI), settings_version="6")
    three.post(path, action="remove", phone=phone_id(db_session, ZHANG), settings_version="7")
    assert roster(db_session, admin_world) == [(LI, "李", 0, False), (WANG, "", 1, True)]
    row = station(db_session, admin_world, "a")
    assert call_context(row, "", datetime.now(UTC)).on_duty_phones == (WANG,)
    three.post(path, action="activate", phone=phone_id(db_session, LI), settings_version="8")
    row = station(db_session, admin_world, "a")
    assert call_context(row, "", datetime.now(UTC)).on_duty_phones == (LI, WANG)
    assert row.settings_version == 9
    last = audits(db_session, row.id)[-1]
    assert last.detail["changes"]["on_duty_phones"] == [
        [[LI, "李", False], [WANG, "", True]],
        [[LI, "李", True], [WANG, "", True]],
    ]


def test_moving_the_first_phone_up_is_refused_with_a_message(admin_world, three, db_session):
    path = url(admin_world, "a", "roster")
    response = three.post(
        path, action="up", phone=phone_id(db_session, ZHANG), settings_version="4"
    )
    assert response.status_code == 400
    assert "已经在最前或最后" in field_error(response.get_data(as_text=True), "action")
    assert station(db_session, admin_world, "a").settings_version == 4


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("1381234567", "不是有效的手机号"),
        ("83000034", "缺少区号"),
        ("+86 138 1234 abcd", "不是有效的电话号码"),
        ("+0123456789", "不是有效的电话号码"),
        ("", "请填写电话号码"),
        ("+86-138-0000-0001", "+8613800000001 已在值班名单上"),
        ("138 0000 0001", "+8613800000001 已在值班名单上"),
        ("hotline", "是热线号码"),
        ("local hotline", "是热线号码"),
    ],
)
def test_a_bad_or_duplicate_number_is_refused(admin_world, three, db_session, number, message):
    hotline = admin_world["stations"]["b"].hotline_numbers[0].number
    if number == "hotline":
        number = hotline
    elif number == "local hotline":  # +8620… as a Guangzhou fixed line: 020-…
        number = "0" + hotline.removeprefix("+86")
    response = three.post(
        url(admin_world, "a", "roster"),
        action="add",
        settings_version="4",
        number=number,
        name="赵",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in field_error(html, "number")
    assert 'value="赵"' in html  # the typed name is kept
    assert len(roster(db_session, admin_world)) == 3
    assert station(db_session, admin_world, "a").settings_version == 4
    assert len(audits(db_session, admin_world["stations"]["a"].id)) == 3


def test_a_phone_of_another_station_is_not_found(admin_world, three, login, db_session):
    other = OnDutyPhone(station_id=admin_world["stations"]["b"].id, number=ZHANG, position=0)
    db_session.add(other)
    db_session.commit()
    response = three.post(
        url(admin_world, "a", "roster"), action="remove", phone=str(other.id), settings_version="4"
    )
    assert response.status_code == 404
    assert [p.number for p in station(db_session, admin_world, "b").on_duty_phones] == [ZHANG]


def test_a_stale_roster_change_is_refused_keeping_the_typed_number(
    admin_world, three, second_browser, db_session
):
    second_browser.login("haizhu-admin")
    second_browser.post(
        url(admin_world, "a", "roster"),
        action="remove",
        phone=phone_id(db_session, WANG),
        settings_version="4",
    )
    response = three.post(
        url(admin_world, "a", "roster"),
        action="add",
        settings_version="4",
        number="+8613800000009",
        name="新同事",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "haizhu-admin 于" in html
    assert 'value="+8613800000009"' in html and 'value="新同事"' in html
    assert [p[0] for p in roster(db_session, admin_world)] == [ZHANG, LI]
    stale_move = three.post(
        url(admin_world, "a", "roster"),
        action="down",
        phone=phone_id(db_session, ZHANG),
        settings_version="4",
    )
    assert stale_move.status_code == 409
    assert [p[0] for p in roster(db_session, admin_world)] == [ZHANG, LI]
