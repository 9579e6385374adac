"""``GET /api/v1/stats``: the report as JSON, scoped to the token's user, strict input."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ivr.api.tokens import issue_token
from ivr.stats.exports import to_json
from ivr.stats.figures import build_report, resolve_scope
from ivr.stats.report import Period
from models import utcnow
from tests.ivr.stats.conftest import local_today


@pytest.fixture
def get(client, stats_world, db_session):  # type: ignore[no-untyped-def]
    """``get("worker-a", scope=...)``: the response to a request with that user's token."""
    tokens = {name: issue_token(db_session, name, utcnow()).secret for name in stats_world["users"]}
    db_session.commit()

    def request(username: str | None, **query: str):  # type: ignore[no-untyped-def]
        headers = {"Authorization": f"Bearer {tokens[username]}"} if username else {}
        return client.get("/api/v1/stats", query_string=query, headers=headers)

    return request


def body(response) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def error(response, status: int) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.get_data(as_text=True)
    data = response.get_json()
    assert set(data) == {"error"} and data["error"]["message"]
    return data["error"]["code"]


def test_a_worker_gets_their_station_this_month_by_default(get):
    data = body(get("worker-a"))
    assert data["scope"]["spec"] == "station:haizhu-nanzhou"
    today = local_today()
    assert data["period"] == {
        "start": today.replace(day=1).isoformat(),
        "end": today.isoformat(),
        "days": today.day,
    }
    assert data["totals"]["calls_received"] == 7
    assert data["totals"]["calls_answered"] == 2
    assert data["totals"]["tickets_opened"] == 1
    assert data["rows"] == []


def test_scopes_outside_the_tokens_user_are_not_found(get):
    for spec in ("district:haizhu", "station:haizhu-fengyang", "city", "station:nowhere"):
        assert error(get("worker-a", scope=spec), 404) == "not_found"
    for spec in ("station:baiyun-tongde", "district:白云区", "city"):
        assert error(get("haizhu-admin", scope=spec), 404) == "not_found"


def test_a_district_admin_gets_the_district_with_a_row_per_station(get):
    data = body(get("haizhu-admin", scope="district:海珠区", preset="7d"))
    assert data["scope"]["spec"] == "district:haizhu"
    assert data["period"]["days"] == 7
    assert data["totals"]["calls_received"] == 11
    assert [(r["code"], r["figures"]["calls_received"]) for r in data["rows"]] == [
        ("haizhu-fengyang", 4),
        ("haizhu-nanzhou", 7),
    ]
    station = body(get("haizhu-admin", scope="station:haizhu-fengyang", preset="today"))
    assert station["totals"]["calls_answered"] == 4


def test_the_city_gets_every_district(get):
    data = body(get("city"))
    assert data["scope"]["kind"] == "city"
    assert data["totals"]["calls_received"] == 24
    assert {r["code"]: r["figures"]["calls_to_voicemail"] for r in data["rows"]} == {
        "baiyun": 13,
        "haizhu": 3,
    }


def test_the_figures_are_the_reports_own(get, db_session):
    today = local_today()
    start = today - timedelta(days=3)
    data = body(get("city", scope="district:haizhu", **{"from": str(start), "to": str(today)}))
    scope = resolve_scope(db_session, "district:haizhu")
    expected = to_json(build_report(db_session, scope, Period(start, today)))
    assert data["totals"] == expected["totals"]
    assert data["rows"] == expected["rows"]
    assert data["period"] == expected["period"]


BAD_QUERIES = [
    {"from": "2026-11-30", "to": "2026-11-01"},  # reversed
    {"from": "2026-02-30"},  # no such day
    {"from": "2024-01-01", "to": "2026-01-01"},  # over 366 days
    {"to": "2026-11-01"},  # an end without a start
    {"preset": "fortnight"},
    {"preset": "7d", "from": "2026-11-01"},  # both ways at once
    {"scope": "district"},
    {"scope": "station:<b>"},
    {"when": "today"},  # unknown parameter
]


def test_bad_input_is_a_400_with_a_message(get):
    for query in BAD_QUERIES:
        code = error(get("city", **query), 400)
        assert code in ("invalid_parameter", "unknown_parameter"), query


def test_the_period_error_names_the_problem(get):
    response = get("city", **{"from": "2026-11-30", "to": "2026-11-01"})
    assert "结束日期不能早于开始日期" in response.get_json()["error"]["message"]


def test_no_token_no_figures(get):
    assert error(get(None), 401) == "unauthorized"
