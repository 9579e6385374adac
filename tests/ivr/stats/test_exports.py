"""Exports: one table shape for CSV and XLSX, JSON mirroring the report, both languages;
dates as dates, times on the local clock their label names, sheets named in the language."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook

from ivr.stats import exports
from ivr.stats.report import CATEGORIES, VULNERABILITIES
from tests.ivr.stats.conftest import make_report

SHANGHAI = ZoneInfo("Asia/Shanghai")


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
    assert ["报告", "开始日期", date(2026, 11, 1)] in rows
    # 02:00 UTC is 10:00 in Guangzhou, and the label says which clock.
    as_of = values["数据截至（Asia/Shanghai UTC+08:00）"]
    assert as_of == datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
    assert (as_of.hour, as_of.utcoffset().total_seconds()) == (10, 8 * 3600)


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
    assert english[[row[1] for row in english].index("Data as of (Asia/Shanghai UTC+08:00)")]
    breakdown = exports.breakdown_table(report, "en")
    assert breakdown[0][:3] == ["Code", "Name", "Calls received"]
    # No English name: the Chinese one, sorted by its pinyin (feng) among the Latin names.
    assert [row[1] for row in breakdown[1:]] == ["凤阳街", "Nanzhou"]


def test_csv_round_trip(context, report):
    rows = read_csv(exports.to_csv(report))
    blank = rows.index([])
    figures, breakdown = rows[:blank], rows[blank + 1 :]
    values = by_figure(figures)
    assert values["开始日期"] == "2026-11-01" and values["天数"] == "30"
    # Local times, as a spreadsheet reads a date and time, on the clock the label names.
    assert values["生成时间（Asia/Shanghai UTC+08:00）"] == "2026-12-01 10:30"
    assert values["数据截至（Asia/Shanghai UTC+08:00）"] == "2026-12-01 10:00"
    assert not any("Z" in cell or "T0" in cell for row in figures for cell in row)
    assert len(figures) == len(exports.figures_table(report))
    assert breakdown[0][:3] == ["代码", "名称", "来电总数"]
    # By name in pinyin order: 凤阳街 (feng) before 南洲街 (nan), not by code.
    assert [row[0] for row in breakdown[1:]] == ["haizhu-fengyang", "haizhu-nanzhou"]
    received = breakdown[0].index("来电总数")
    assert [int(row[received]) for row in breakdown[1:]] == [3101, 2101]


def test_a_station_report_has_no_breakdown_block(context):
    rows = read_csv(exports.to_csv(make_report("station")))
    assert [] not in rows


def test_xlsx_round_trip_matches_the_json_numbers(context, report):
    book = load_workbook(io.BytesIO(exports.to_xlsx(report)))
    assert book.sheetnames == ["统计数字", "各社工站", "按小时来电"]
    figures = [list(row) for row in book["统计数字"].iter_rows(values_only=True)]
    assert figures[0] == ["部分", "指标", "数值"]
    assert book["统计数字"]["A1"].font.bold and book["各社工站"]["A1"].font.bold
    values = by_figure(figures)
    for name, value in json_numbers(report).items():
        assert values[name] == value and type(values[name]) is int, name  # numbers, not text

    breakdown = [list(row) for row in book["各社工站"].iter_rows(values_only=True)]
    data = exports.to_json(report)
    columns = [key for key, _, _ in exports.BREAKDOWN_COLUMNS]
    by_code = {row["code"]: row for row in data["rows"]}
    assert [cells[0] for cells in breakdown[1:]] == ["haizhu-fengyang", "haizhu-nanzhou"]
    for cells in breakdown[1:]:
        row = by_code[cells[0]]
        assert cells[2 + columns.index("calls_received")] == row["figures"]["calls_received"]
        assert cells[2 + columns.index("problems_solved")] == sum(
            row["figures"]["problems_solved"].values()
        )
        assert cells[2 + columns.index("callback_sla")] == 75.0

    grid = [list(row) for row in book["按小时来电"].iter_rows(values_only=True)]
    assert grid[0][0] == "星期" and grid[0][1:25] == [f"{h:02d}" for h in range(24)]
    for day, cells in enumerate(grid[1:8]):
        assert cells[1:25] == data["totals"]["calls_by_weekday_hour"][day]
        assert cells[25] == data["totals"]["calls_by_weekday"][day]
    assert grid[8][1:25] == data["totals"]["calls_by_hour"]


def test_xlsx_dates_and_times_are_date_cells_on_the_local_clock(context, report):
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(report)))["统计数字"]
    cells = {row[1].value: row[2] for row in sheet.iter_rows()}
    start = cells["开始日期"]
    assert start.is_date and start.number_format == "yyyy-mm-dd"
    assert start.value.date() == date(2026, 11, 1)  # openpyxl reads a date cell back as 00:00
    generated = cells["生成时间（Asia/Shanghai UTC+08:00）"]
    assert generated.is_date and generated.number_format == "yyyy-mm-dd hh:mm"
    assert generated.value == datetime(2026, 12, 1, 10, 30)  # 02:30 UTC, read in Guangzhou
    assert cells["数据截至（Asia/Shanghai UTC+08:00）"].value == datetime(2026, 12, 1, 10, 0)


def test_sheets_are_named_in_the_language_of_the_export(context):
    english = load_workbook(io.BytesIO(exports.to_xlsx(make_report("city"), "en")))
    assert english.sheetnames == ["Figures", "Districts", "Calls by hour of day"]
    chinese = load_workbook(io.BytesIO(exports.to_xlsx(make_report("city"), "zh")))
    assert chinese.sheetnames == ["统计数字", "各区", "按小时来电"]
    # One station has no breakdown: no empty sheet for it.
    station = load_workbook(io.BytesIO(exports.to_xlsx(make_report("station"))))
    assert station.sheetnames == ["统计数字", "按小时来电"]


@pytest.mark.parametrize(
    ("given", "written"),
    [
        ("各社工站", "各社工站"),
        ("a/b\\c[d]e:f*g?h", "a b c d e f g h"),
        ("'quoted'", "quoted"),
        ("很" * 40, "很" * 31),
        ("?*", "Sheet"),
    ],
)
def test_a_sheet_name_is_one_excel_accepts(given, written):
    assert exports.sheet_name(given) == written
    book = load_workbook(io.BytesIO(exports.write_xlsx([(given, [["x"]])])))
    assert book.sheetnames == [written]


def test_a_zone_with_summer_time_is_named_without_an_offset():
    assert exports.zone_words("Asia/Shanghai", date(2026, 7, 1)) == "Asia/Shanghai UTC+08:00"
    assert exports.zone_words("Asia/Kolkata", date(2026, 1, 1)) == "Asia/Kolkata UTC+05:30"
    assert exports.zone_words("America/St_Johns", date(2026, 1, 1)) == "America/St_Johns"


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
