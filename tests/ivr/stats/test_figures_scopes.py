"""Report scopes: naming them, and refusing those outside the viewer's."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ivr.stats.figures import ScopeNotAllowed, ScopeNotFound, default_scope, resolve_scope
from ivr.tickets.scope import Scope
from models import Role
from tests.ivr.stats.test_figures import build_month


@pytest.fixture
def month(db_session):
    return build_month(db_session)


def viewers(month):  # type: ignore[no-untyped-def]
    return {
        "worker-a": Scope(Role.WORKER, station_id=month.a.id),
        "admin-c": Scope(Role.STATION_ADMIN, station_id=month.c.id),
        "haizhu": Scope(Role.DISTRICT_ADMIN, district_id=month.haizhu.id),
        "city": Scope(Role.CITY_ADMIN),
    }


def test_specs_name_a_station_a_district_by_code_or_chinese_name_and_the_city(db_session, month):
    station = resolve_scope(db_session, "station:haizhu-fengyang")
    assert (station.kind, station.code, station.name_zh, station.station_ids) == (
        "station",
        "haizhu-fengyang",
        "凤阳街",
        (month.b.id,),
    )
    assert station.timezone == "Asia/Tokyo"
    assert station.spec == "station:haizhu-fengyang"
    by_code = resolve_scope(db_session, " district:haizhu ")
    assert resolve_scope(db_session, "district:海珠区") == by_code
    assert (by_code.kind, by_code.code, by_code.name_zh) == ("district", "haizhu", "海珠区")
    assert by_code.station_ids == (month.b.id, month.a.id)
    city = resolve_scope(db_session, "city")
    assert (city.kind, city.code, city.spec) == ("city", "", "city")
    assert set(city.station_ids) == {month.a.id, month.b.id, month.c.id}
    # Two of the three stations keep Shanghai time: the city's "today" is read there.
    assert city.timezone == "Asia/Shanghai"
    assert city.today(datetime(2026, 11, 30, 16, 30, tzinfo=UTC)) == date(2026, 12, 1)
    assert station.today(datetime(2026, 11, 30, 14, 30, tzinfo=UTC)) == date(2026, 11, 30)


@pytest.mark.parametrize(
    "spec",
    ["station:nowhere", "district:天河区", "town:haizhu", "station:", "", "city:guangzhou"],
)
def test_unknown_scopes_are_refused_with_what_was_asked(db_session, month, spec):
    with pytest.raises(ScopeNotFound) as caught:
        resolve_scope(db_session, spec)
    if spec:
        assert spec.partition(":")[2].split(":")[-1] in str(caught.value)


@pytest.mark.parametrize(
    ("viewer", "allowed", "refused"),
    [
        (
            "worker-a",
            ["station:haizhu-nanzhou"],
            ["station:haizhu-fengyang", "district:haizhu", "city"],
        ),
        (
            "admin-c",
            ["station:baiyun-tongde"],
            ["station:haizhu-nanzhou", "district:baiyun", "city"],
        ),
        (
            "haizhu",
            [
                "district:haizhu",
                "district:海珠区",
                "station:haizhu-nanzhou",
                "station:haizhu-fengyang",
            ],
            ["district:baiyun", "station:baiyun-tongde", "city"],
        ),
        ("city", ["city", "district:baiyun", "station:haizhu-fengyang"], []),
    ],
)
def test_each_viewer_reaches_only_its_own_scopes(db_session, month, viewer, allowed, refused):
    scope = viewers(month)[viewer]
    for spec in allowed:
        assert resolve_scope(db_session, spec, scope).spec == spec.replace("海珠区", "haizhu")
    for spec in refused:
        with pytest.raises(ScopeNotAllowed):
            resolve_scope(db_session, spec, scope)


def test_an_unknown_scope_is_not_found_even_for_a_limited_viewer(db_session, month):
    with pytest.raises(ScopeNotFound):
        resolve_scope(db_session, "station:nowhere", viewers(month)["worker-a"])


def test_default_scopes_follow_the_role(db_session, month):
    v = viewers(month)
    assert default_scope(db_session, v["worker-a"]).spec == "station:haizhu-nanzhou"
    assert default_scope(db_session, v["admin-c"]).spec == "station:baiyun-tongde"
    district = default_scope(db_session, v["haizhu"])
    assert (district.spec, district.station_ids) == ("district:haizhu", (month.b.id, month.a.id))
    assert default_scope(db_session, v["city"]).spec == "city"
