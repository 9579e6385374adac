"""No export hands a spreadsheet a live formula; the station CSV still round-trips."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from ivr.formula_guard import guard, unguard
from ivr.stations.registry import export_districts, export_stations, import_stations
from models import Station
from tests import factories

HYPERLINK = '=HYPERLINK("http://x","y")'


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (HYPERLINK, "'" + HYPERLINK),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("'=1", "''=1"),  # already quoted by someone: one more, so unguard gives it back
        ("+8613812345678", "+8613812345678"),  # an E.164 number is not a formula
        ("+862083000034;+862083000035", "+862083000034;+862083000035"),
        ("+86139****5678", "'+86139****5678"),  # a masked number is text
        ("南洲街", "南洲街"),
        ("it's", "it's"),
        ("", ""),
    ],
)
def test_text_that_would_be_a_formula_is_guarded_and_read_back(value, written):
    assert guard(value) == written
    assert unguard(written) == value


def test_numbers_and_none_pass_unchanged():
    assert guard(-5) == -5 and guard(1.5) == 1.5 and guard(None) is None


def test_a_formula_station_name_round_trips_through_export_and_import(db_session):
    district = factories.district(db_session, code="haizhu", name_zh="@海珠区")
    factories.station(
        db_session, district, code="haizhu-nanzhou", name_zh=HYPERLINK, numbers=("+862083000034",)
    )
    db_session.commit()
    exported = export_stations(db_session)
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[1][1] == "'" + HYPERLINK
    assert "+862083000034" in rows[1]  # numbers stay as the importer and Twilio write them
    assert list(csv.reader(io.StringIO(export_districts(db_session))))[1][1] == "'@海珠区"
    result = import_stations(db_session, exported.encode())
    assert result.updated == [] and result.unchanged == ["haizhu-nanzhou"]
    assert db_session.scalar(select(Station.name_zh)) == HYPERLINK
    assert export_stations(db_session) == exported
