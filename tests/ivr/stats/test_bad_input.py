"""Odd input to the statistics: a clear refusal, never a 500."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from models import Station
from tests.conftest import fresh
from tests.ivr.stats.test_api_stats import get  # noqa: F401 - the fixture


@pytest.mark.parametrize(
    "path",
    [
        "/stats/?preset=custom&from=9999-12-31",
        "/stats/?preset=custom&from=0001-01-01&to=0001-01-02",
        "/stats/export?format=csv&preset=custom&from=9999-12-31",
        "/stats/tickets.csv?preset=custom&from=0001-01-01&to=0001-01-02",
        "/stats/?scope=station:%00",
        "/stats/export?format=csv&scope=district:%00",
        "/stats/tickets.csv?scope=station:a%01",
    ],
)
def test_far_dates_and_control_characters_are_refused_clearly(stats_world, login, path):
    response = login("city").get(path)
    assert response.status_code in (200, 400, 404)
    if response.status_code == 200 and "export" not in path and "tickets" not in path:
        page = response.get_data(as_text=True)
        assert "2000" in page or "找不到" in page


def test_the_api_refuses_dates_beyond_the_calendar(get):  # noqa: F811 - the fixture
    for query in ({"from": "9999-12-31"}, {"from": "0001-01-01", "to": "0001-01-02"}):
        response = get("city", **query)
        assert response.status_code == 400, query
        assert response.get_json()["error"]["code"]


def test_a_control_character_in_a_station_name_does_not_break_excel(stats_world, login, db_session):
    station = fresh(db_session).get(Station, stats_world["stations"]["a"].id)
    station.name_zh = "南洲街\x01"
    db_session.commit()
    browser = login("haizhu-admin")
    for path in ("/stats/export?format=xlsx", "/stats/tickets.xlsx"):
        response = browser.get(path)
        assert response.status_code == 200, path
        book = load_workbook(io.BytesIO(response.data))
        cells = [c for sheet in book for row in sheet.iter_rows(values_only=True) for c in row]
        assert "南洲街" in cells or any(isinstance(c, str) and "南洲街" in c for c in cells)
