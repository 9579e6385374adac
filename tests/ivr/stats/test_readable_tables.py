"""What a reader meets in the statistics: names in pinyin order, minutes said as minutes,
and exports whose times are local and whose dates and sheets a spreadsheet understands."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from models import utcnow
from tests import factories
from tests.ivr.stats.conftest import local_today

LOCAL = ZoneInfo("Asia/Shanghai")
ZONE = "Asia/Shanghai UTC+08:00"


def row_names(page: str) -> list[str]:
    body = page.split('<table class="list breakdown">', 1)[1].split("<tbody>", 1)[1]
    return re.findall(r'<th scope="row"><a href="[^"]*">([^<]*)</a></th>', body)


def scope_choices(page: str) -> list[str]:
    select = page.split('<select name="scope">', 1)[1].split("</select>", 1)[0]
    return [name.strip() for name in re.findall(r"<option [^>]*>([^<]*)</option>", select)]


@pytest.fixture
def more_names(stats_world, db_session):
    """Districts and stations whose codes, code points and pinyin give three orders."""
    for code, name in [("a-yuexiu", "越秀区"), ("b-liwan", "荔湾区"), ("c-huangpu", "黄埔区")]:
        factories.district(db_session, code=code, name_zh=name)
    haizhu = stats_world["stations"]["a"].district
    for code, name in [("haizhu-a", "沙园街"), ("haizhu-b", "赤岗街"), ("haizhu-c", "江海街")]:
        factories.station(db_session, haizhu, code=code, name_zh=name)
    db_session.commit()
    return stats_world


def test_the_city_reads_its_districts_in_pinyin_order(more_names, login):
    browser = login("city")
    page = browser.get("/stats/").get_data(as_text=True)
    pinyin = ["白云区", "海珠区", "黄埔区", "荔湾区", "越秀区"]
    assert sorted(pinyin) != pinyin  # by code point 海 would come first and 黄 last
    assert row_names(page) == pinyin
    assert scope_choices(page) == ["全市", *pinyin]
    backwards = browser.get("/stats/?sort=name&dir=desc").get_data(as_text=True)
    assert row_names(backwards) == pinyin[::-1]
    export = browser.get("/stats/export?format=xlsx&scope=city").get_data()
    sheet = load_workbook(io.BytesIO(export))["各区"]
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == pinyin


def test_a_district_reads_its_stations_in_pinyin_order(more_names, login):
    page = login("haizhu-admin").get("/stats/").get_data(as_text=True)
    pinyin = ["赤岗街", "凤阳街", "江海街", "南洲街", "沙园街"]  # chi feng jiang nan sha
    assert row_names(page) == pinyin
    assert scope_choices(page) == ["海珠区", *pinyin]
    rows = csv.reader(io.StringIO(login("haizhu-admin").get("/stats/export").data.decode()))
    listed = [row[1] for row in list(rows) if row and row[0].startswith("haizhu-")]
    assert listed == pinyin


@pytest.fixture
def called_back(stats_world, db_session):
    """南洲街's ticket: its voicemail three hours ago, called back 125 minutes later."""
    ticket = stats_world["tickets"]["a"]
    left = utcnow() - timedelta(hours=3)
    ticket.opened_at = ticket.voicemails[0].created_at = left
    ticket.first_callback_at = left + timedelta(minutes=125)
    db_session.commit()
    return ticket


def cells_of(page: str, table: str) -> tuple[list[str], list[list[str]]]:
    """(header texts, row texts) of the table with ``class="list {table}"``."""
    html = page.split(f'<table class="list {table}">', 1)[1].split("</table>", 1)[0]
    head, body = html.split("</thead>", 1)

    def text(cell: str) -> str:
        return re.sub(r"<[^>]+>|[▲▼]", "", cell).strip()

    header = [text(c) for c in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)]
    rows = [
        [text(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]
    return header, rows


@pytest.mark.parametrize(
    ("lang", "median", "p90", "column"),
    [
        ("zh", "中位数（分钟）", "P90（分钟）", "首次回电中位数（分钟）"),
        ("en", "Median (minutes)", "90th percentile (minutes)", "First call-back median (minutes)"),
    ],
)
def test_minutes_are_said_as_minutes_in_headers_and_cells(
    called_back, login, lang, median, p90, column
):
    browser = login("haizhu-admin")
    browser.post("/console/language", lang=lang, next="/stats/")
    page = browser.get("/stats/?preset=7d").get_data(as_text=True)
    header, rows = cells_of(page, "sla")
    assert header[2:4] == [median, p90]
    assert rows[0][2:4] == ["125", "125"]  # one ticket: 2 h 5 min, said as 125 minutes
    header, rows = cells_of(page, "breakdown")
    nanzhou = next(row for row in rows if row[0] in ("南洲街", "haizhu-nanzhou"))
    assert nanzhou[header.index(column)] == "125"
    assert not any(re.fullmatch(r"\d+:\d\d", cell) for row in rows for cell in row)  # no h:mm


def test_ticket_exports_give_local_times_under_a_header_naming_the_zone(called_back, login):
    browser = login("haizhu-admin")
    local = called_back.first_callback_at.astimezone(LOCAL)
    rows = list(csv.reader(io.StringIO(browser.get("/stats/tickets.csv").data.decode("utf-8-sig"))))
    header, row = rows[0], rows[1]
    assert row[header.index(f"首次回电时间（{ZONE}）")] == local.strftime("%Y-%m-%d %H:%M")
    assert row[header.index(f"开单时间（{ZONE}）")] == (
        called_back.opened_at.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")
    )
    assert row[header.index(f"结案时间（{ZONE}）")] == ""

    book = load_workbook(io.BytesIO(browser.get("/stats/tickets.xlsx").data))
    assert book.sheetnames == ["工单明细"]
    sheet = book["工单明细"]
    header = [cell.value for cell in sheet[1]]
    cell = sheet.cell(row=2, column=header.index(f"首次回电时间（{ZONE}）") + 1)
    assert cell.is_date and cell.number_format == "yyyy-mm-dd hh:mm"
    assert cell.value == local.replace(tzinfo=None, microsecond=0)


def test_the_figures_export_states_its_clock_and_dates(stats_world, login):
    rows = list(
        csv.reader(io.StringIO(login("worker-a").get("/stats/export").data.decode("utf-8-sig")))
    )
    values = {row[1]: row[2] for row in rows if len(row) == 3}
    assert values["开始日期"] == local_today().replace(day=1).isoformat()
    generated = values[f"生成时间（{ZONE}）"]
    now = utcnow().astimezone(LOCAL)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", generated)
    assert abs(int(generated[11:13]) - now.hour) in (0, 1, 23)  # Guangzhou's hour, not UTC's


def test_an_english_export_has_english_sheets(more_names, login):
    browser = login("city")
    browser.post("/console/language", lang="en", next="/stats/")
    figures = load_workbook(io.BytesIO(browser.get("/stats/export?format=xlsx").data))
    assert figures.sheetnames == ["Figures", "Districts", "Calls by hour of day"]
    tickets = load_workbook(io.BytesIO(browser.get("/stats/tickets.xlsx?scope=city").data))
    assert tickets.sheetnames == ["Tickets"]
    header = [cell.value for cell in tickets["Tickets"][1]]
    assert f"Opened ({ZONE})" in header
    page = browser.get("/stats/").get_data(as_text=True)
    assert "Calls by hour of day" in page  # the heatmap's note names the sheet as exported
