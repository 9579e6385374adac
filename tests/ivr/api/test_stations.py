"""``GET /stations`` and ``GET /stations/{code}``."""

from __future__ import annotations

from tests.ivr.api.conftest import error_code


def _codes(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [s["code"] for s in response.get_json()["items"]]


def test_each_role_lists_its_own_stations(api, world):
    assert _codes(api("worker-a").get("/stations")) == ["haizhu-nanzhou"]
    assert _codes(api("haizhu-admin").get("/stations")) == ["haizhu-fengyang", "haizhu-nanzhou"]
    assert _codes(api("city").get("/stations")) == [
        "baiyun-tongde",
        "haizhu-fengyang",
        "haizhu-nanzhou",
    ]


def test_one_station(api, world):
    body = api("worker-a").get("/stations/haizhu-nanzhou").get_json()
    assert body["name_zh"] == "南洲街" and body["district"]["code"] == "haizhu"
    assert body["hotline_numbers"] == [world.a.hotline_numbers[0].number]
    assert "on_duty_phones" not in body  # workers' own phones stay out of the API


def test_another_districts_station_is_404_like_a_missing_one(api, world):
    hidden = api("haizhu-admin").get("/stations/baiyun-tongde")
    missing = api("haizhu-admin").get("/stations/no-such-station")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_json() == missing.get_json()
    assert error_code(api("city").get("/stations/BAD%00code")) == "not_found"
