"""A station or caller name that looks like a formula stays text in every export."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from ivr.phone import is_e164
from tests.ivr.stats.conftest import local_today

HYPERLINK = '=HYPERLINK("http://x","y")'
CALLER = "@SUM(1+1)"


@pytest.fixture
def hostile_names(stats_world, db_session):
    stats_world["stations"]["a"].name_zh = HYPERLINK
    stats_world["tickets"]["a"].caller.name = CALLER
    db_session.commit()
    return stats_world


def assert_no_formulas(data: bytes) -> list[object]:
    book = load_workbook(io.BytesIO(data))
    values = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                values.append(cell.value)
    return values


def with_scope(path: str) -> str:
    return path + ("&" if "?" in path else "?") + "scope=district:haizhu"


def csv_cells(data: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for cell in row]


@pytest.mark.parametrize("path", ["/stats/export?format=xlsx", "/stats/tickets.xlsx"])
def test_xlsx_exports_hold_no_formula_cells(hostile_names, login, path):
    response = login("haizhu-admin").get(with_scope(path))
    assert response.status_code == 200
    values = assert_no_formulas(response.get_data())
    assert "'" + HYPERLINK in values
    if "tickets" in path:
        assert "'" + CALLER in values


@pytest.mark.parametrize("path", ["/stats/export?format=csv", "/stats/tickets.csv"])
def test_csv_exports_start_no_cell_with_a_formula_character(hostile_names, login, path):
    response = login("haizhu-admin").get(with_scope(path))
    assert response.status_code == 200
    cells = csv_cells(response.get_data())
    risky = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert [c for c in risky if not is_e164(c)] == []  # a caller's number stays dialable
    assert "'" + HYPERLINK in cells
    if "tickets" in path:
        assert "'" + CALLER in cells


def test_the_report_command_guards_its_files(hostile_names, runner, tmp_path):
    today = local_today().isoformat()
    for fmt in ("csv", "xlsx"):
        target = tmp_path / f"report.{fmt}"
        args = ["report", "--scope", "district:haizhu", "--from", today, "--to", today]
        result = runner.invoke(*args, "--format", fmt, "-o", str(target))
        assert result.exit_code == 0, result.output
        data = target.read_bytes()
        if fmt == "xlsx":
            assert "'" + HYPERLINK in assert_no_formulas(data)
        else:
            assert "'" + HYPERLINK in csv_cells(data)
