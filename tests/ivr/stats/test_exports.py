"""Exports: one table shape for CSV and XLSX, JSON mirroring the report, both languages."""

from __future__ import annotations

import csv
import io
import json
import time

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook

from ivr.stats import exports
from ivr.stats.report import CATEGORIES, VULNERABILITIES
from tests.ivr.stats.conftest import make_report


@pytest.fixture
def context(app):
    with app.app_context():
        yield


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8 Chinese
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def json_numbers(report) -> dict[str, object]:
    """Every figure of the JSON totals, named as figures_table names them (in Chinese)."""
    totals = exports.to_json(report)["totals"]
    expected = {
        "来电总数": totals["calls_received"],
        "留言数": totals["voicemails"],
        "社工接听": totals["calls_answered"],
        "转入留言": totals["calls_to_voicemail"],
        "未留言挂断": totals["calls_abandoned"],
        "服务人次": totals["person_times"],
        "待转写": totals["transcription_backlog"],
        "转写失败": totals["transcription_failed"],
        "新开工单": totals["tickets_opened"],
        "超时工单": totals["tickets_overdue"],
        "转介出去": totals["referrals_sent"],
        "转介进来": totals["referrals_received"],
    }
    with force_locale("zh"):  # an app context has no request to choose a language from
        for category, label in exports.CATEGORY_LABELS.items():
            expected[str(label)] = totals["problems_solved"][category]
        for flag, label in exports.VULNERABILITY_LABELS.items():
            expected[str(label)] = totals["vulnerable_served"][flag]
    return expected


def by_figure(rows) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {row[1]: row[2] for row in rows[1:]}


def test_the_figures_table_has_every_figure_once(context, report):
    rows = exports.figures_table(report)
    assert rows[0] == ["部分", "指标", "数值"]
    assert all(len(row) == 3 for row in rows)
    figures = {(row[0], row[1]) for row in rows[1:]}
    assert len(figures) == len(rows) - 1  # no figure twice within a section
    values = by_figure(rows)
    for name, value in json_numbers(report).items():
        assert values[name] == value, name
    sections = [row[0] for row in rows[1:]]
    assert sections.count("按小时来电") == 24 and sections.count("按星期来电") == 7
    assert ["按小时来电", "08:00–08:59", 1408] in rows
    assert ["按星期来电", "周日", 1506] in rows
    assert ["报告", "范围代码", "district:haizhu"] in rows
    assert ["报告", "开始日期", "2026-11-01"] in rows
    assert ["报告", "数据截至", "2026-12-01T02:00:00Z"] in rows


def test_sla_figures_are_minutes_and_percent_and_blank_when_nothing_counted(context, report):
    rows = exports.figures_table(report)
    callback = {r[1]: r[2] for r in rows if r[0] == "留言到首次回电"}
    assert callback == {
        "工单数": 40,
        "中位数（分钟）": 95.0,
        "P90（分钟）": 301.5,
        "时限内": 30,
        "时限内比例（%）": 75.0,
    }
    resolution = {r[1]: r[2] for r in rows if r[0] == "留言到结案"}
    assert resolution["中位数（分钟）"] is None and resolution["时限内比例（%）"] is None


def test_labels_follow_the_locale_and_names_fall_back_to_chinese(context):
    report = make_report("district")
    english = exports.figures_table(report, "en")
    assert english[0] == ["Section", "Figure", "Value"]
    assert ["Report", "Scope", "Haizhu"] in english
    assert ["Calls", "Calls received", 1101] in english
    breakdown = exports.breakdown_table(report, "en")
    assert breakdown[0][:3] == ["Code", "Name", "Calls received"]
    assert [row[1] for row in breakdown[1:]] == ["Nanzhou", "凤阳街"]  # no English name


def test_csv_round_trip(context, report):
    rows = read_csv(exports.to_csv(report))
    blank = rows.index([])
    figures, breakdown = rows[:blank], rows[blank + 1 :]
    expected = exports.figures_table(report)
    assert figures == [["" if c is None else str(c) for c in row] for row in expected]
    assert breakdown[0][:3] == ["代码", "名称", "来电总数"]
    assert [row[0] for row in breakdown[1:]] == ["haizhu-nanzhou", "haizhu-fengyang"]
    received = breakdown[0].index("来电总数")
    assert [int(row[received]) for row in breakdown[1:]] == [2101, 3101]


def test_a_station_report_has_no_breakdown_block(context):
    rows = read_csv(exports.to_csv(make_report("station")))
    assert [] not in rows


def test_xlsx_round_trip_matches_the_json_numbers(context, report):
    book = load_workbook(io.BytesIO(exports.to_xlsx(report)))
    assert book.sheetnames == ["Figures", "Breakdown", "By hour"]
    figures = [list(row) for row in book["Figures"].iter_rows(values_only=True)]
    assert figures[0] == ["部分", "指标", "数值"]
    assert book["Figures"]["A1"].font.bold and book["Breakdown"]["A1"].font.bold
    values = by_figure(figures)
    for name, value in json_numbers(report).items():
        assert values[name] == value and type(values[name]) is int, name  # numbers, not text

    breakdown = [list(row) for row in book["Breakdown"].iter_rows(values_only=True)]
    data = exports.to_json(report)
    columns = [key for key, _, _ in exports.BREAKDOWN_COLUMNS]
    for row, cells in zip(data["rows"], breakdown[1:], strict=True):
        assert cells[0] == row["code"]
        assert cells[2 + columns.index("calls_received")] == row["figures"]["calls_received"]
        assert cells[2 + columns.index("problems_solved")] == sum(
            row["figures"]["problems_solved"].values()
        )
        assert cells[2 + columns.index("callback_sla")] == 75.0

    grid = [list(row) for row in book["By hour"].iter_rows(values_only=True)]
    assert grid[0][0] == "星期" and grid[0][1:25] == [f"{h:02d}" for h in range(24)]
    for day, cells in enumerate(grid[1:8]):
        assert cells[1:25] == data["totals"]["calls_by_weekday_hour"][day]
        assert cells[25] == data["totals"]["calls_by_weekday"][day]
    assert grid[8][1:25] == data["totals"]["calls_by_hour"]


def test_xlsx_is_the_same_for_the_same_report(context, report):
    first = exports.to_xlsx(report)
    time.sleep(1.05)  # into another second: the writer's clock must not reach the file
    assert exports.to_xlsx(report) == first


def test_json_mirrors_the_report(report):
    data = exports.to_json(report)
    json.dumps(data)  # plain data only
    assert data["scope"] == {
        "kind": "district",
        "code": "haizhu",
        "name_zh": "海珠区",
        "name_en": "Haizhu",
        "station_ids": [1, 2],
        "timezone": "Asia/Shanghai",
        "spec": "district:haizhu",
    }
    assert data["period"] == {"start": "2026-11-01", "end": "2026-11-30", "days": 30}
    assert data["generated_at"] == "2026-12-01T02:30:00Z"
    totals = data["totals"]
    assert totals["first_callback"] == {
        "count": 40,
        "median_minutes": 95.0,
        "p90_minutes": 301.5,
        "within_sla": 30,
    }
    assert list(totals["problems_solved"]) == list(CATEGORIES)
    assert list(totals["vulnerable_served"]) == list(VULNERABILITIES)
    assert len(totals["calls_by_weekday_hour"]) == 7
    assert all(len(day) == 24 for day in totals["calls_by_weekday_hour"])
    assert [row["code"] for row in data["rows"]] == ["haizhu-nanzhou", "haizhu-fengyang"]
    assert data["rows"][0]["level"] == "station"
    assert data["notes"] == []
