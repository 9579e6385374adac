"""The statistics dashboard and its exports, on real rows: scoping, breakdown, audit, roles."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from ivr.stats.dashboard import sorted_rows, whole_minutes
from ivr.stats.details import may_export_personal
from ivr.stats.report import Durations
from models import AuditLog, User
from tests.conftest import fresh
from tests.ivr.console.conftest import RESIDENT_A, RESIDENT_B
from tests.ivr.stats.conftest import local_today, make_report


def card(page: str, label: str) -> str:
    found = re.search(rf'<span class="label">{re.escape(label)}</span><b>([^<]*)</b>', page)
    assert found, f"no card {label!r}"
    return found.group(1)


def row_names(page: str) -> list[str]:
    body = page.split('<table class="list breakdown">', 1)[1].split("<tbody>", 1)[1]
    return re.findall(r'<th scope="row"><a href="[^"]*">([^<]*)</a></th>', body)


def test_a_worker_sees_their_station_only(stats_world, login):
    browser = login("worker-a")
    response = browser.get("/stats/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "统计：南洲街" in page
    assert card(page, "来电总数") == "7"
    assert card(page, "社工接听") == "2"
    assert card(page, "转入留言") == "3"
    assert card(page, "未留言挂断") == "2"
    assert '<table class="list breakdown">' not in page  # a station has no breakdown
    assert "<svg" in page and "stats.css" in page
    for other in ("district:haizhu", "station:haizhu-fengyang", "station:baiyun-tongde", "city"):
        assert browser.get(f"/stats/?scope={other}").status_code == 404
    assert browser.get("/stats/?scope=station:haizhu-nanzhou").status_code == 200
    assert browser.get("/stats/?scope=station:no-such-station").status_code == 404


def test_a_district_admin_sees_the_district_and_its_stations(stats_world, login):
    browser = login("haizhu-admin")
    page = browser.get("/stats/").get_data(as_text=True)
    assert "统计：海珠区" in page
    assert card(page, "来电总数") == "11"
    assert row_names(page) == ["凤阳街", "南洲街"] or row_names(page) == ["南洲街", "凤阳街"]
    assert 'href="/stats/?scope=station:haizhu-nanzhou&amp;preset=month"' in page
    station = browser.get("/stats/?scope=station:haizhu-fengyang")
    assert station.status_code == 200
    assert card(station.get_data(as_text=True), "来电总数") == "4"
    assert browser.get("/stats/?scope=district:白云区").status_code == 404
    assert browser.get("/stats/?scope=station:baiyun-tongde").status_code == 404
    assert browser.get("/stats/?scope=city").status_code == 404
    assert browser.get("/stats/?scope=district:海珠区").status_code == 200  # by Chinese name


def test_the_city_sees_everything_and_links_down_to_districts(stats_world, login):
    browser = login("city")
    page = browser.get("/stats/").get_data(as_text=True)
    assert card(page, "来电总数") == "24"
    assert 'href="/stats/?scope=district:haizhu&amp;preset=month"' in page
    assert 'href="/stats/?scope=district:baiyun&amp;preset=month"' in page
    district = browser.get("/stats/?scope=district:baiyun&preset=7d").get_data(as_text=True)
    assert card(district, "来电总数") == "13"
    assert 'href="/stats/?scope=station:baiyun-tongde&amp;preset=7d"' in district


def test_the_breakdown_sorts_on_the_server(stats_world, login):
    browser = login("city")
    calls_desc = browser.get("/stats/?sort=calls_received&dir=desc").get_data(as_text=True)
    assert row_names(calls_desc) == ["白云区", "海珠区"]  # 13 calls before 11
    assert 'aria-sort="descending"' in calls_desc
    calls_asc = browser.get("/stats/?sort=calls_received&dir=asc").get_data(as_text=True)
    assert row_names(calls_asc) == ["海珠区", "白云区"]
    # The sorted column's header link flips the direction and keeps scope and period.
    assert 'href="/stats/?scope=city&amp;sort=calls_received&amp;dir=asc&amp;preset=month"' in (
        calls_desc
    )
    bogus = browser.get("/stats/?sort=nope").get_data(as_text=True)
    assert "未知的排序列" in bogus and len(row_names(bogus)) == 2


def test_a_bad_period_is_explained_beside_the_dates_and_keeps_what_was_typed(stats_world, login):
    browser = login("worker-a")
    page = browser.get("/stats/?from=2026-11-30&to=2026-11-01").get_data(as_text=True)
    assert 'id="period-problem"' in page and "结束日期不能早于开始日期" in page
    assert 'name="from" value="2026-11-30"' in page
    assert 'name="to" value="2026-11-01"' in page
    assert card(page, "来电总数") == "7"  # the default period is shown meanwhile
    unknown = browser.get("/stats/?preset=fortnight").get_data(as_text=True)
    assert "fortnight" in unknown and 'id="period-problem"' in unknown


def test_a_custom_period_is_said_in_words_and_kept_by_links(stats_world, login):
    browser = login("haizhu-admin")
    today = local_today()
    start = today - timedelta(days=3)
    page = browser.get(f"/stats/?from={start}&to={today}").get_data(as_text=True)
    assert f"{start} 至 {today}，共 4 天" in page
    assert 'value="custom" checked' in page
    assert card(page, "来电总数") == "11"
    down = f"/stats/?scope=station:haizhu-nanzhou&amp;preset=custom&amp;from={start}&amp;to={today}"
    assert f'href="{down}"' in page
    before = browser.get(f"/stats/?preset=custom&from={start}").get_data(as_text=True)
    assert f"{start}，1 天" in before  # no end: the one day
    assert card(before, "来电总数") == "0"
    # A preset wins over dates left in the form, and drops them.
    preset = browser.get(f"/stats/?preset=today&from={start}&to={start}").get_data(as_text=True)
    assert "今天（" in preset and card(preset, "来电总数") == "11"
    assert 'name="from" value=""' in preset
    missing = browser.get("/stats/?preset=custom").get_data(as_text=True)
    assert "请填写开始日期" in missing and 'id="period-problem"' in missing


def test_the_nav_links_to_the_dashboard(stats_world, login):
    page = login("worker-a").get("/console/").get_data(as_text=True)
    assert 'href="/stats/"' in page


def test_the_page_reads_in_english(stats_world, login):
    browser = login("haizhu-admin")
    browser.post("/console/language", lang="en", next="/stats/")
    page = browser.get("/stats/").get_data(as_text=True)
    assert card(page, "Calls received") == "11"
    assert "Statistics" in page and "Problems solved by category" in page


def test_exports_of_the_figures_are_audit_logged(stats_world, login, db_session):
    browser = login("haizhu-admin")
    response = browser.get("/stats/export?format=csv&scope=district:haizhu&preset=7d")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert ["来电", "来电总数", "11"] in rows
    xlsx = browser.get("/stats/export?format=xlsx&scope=district:haizhu&preset=7d")
    book = load_workbook(io.BytesIO(xlsx.get_data()))
    figures = {r[1]: r[2] for r in book["统计数字"].iter_rows(values_only=True)}
    assert figures["来电总数"] == 11
    breakdown = list(book["各社工站"].iter_rows(values_only=True))
    assert {r[0] for r in breakdown[1:]} == {"haizhu-nanzhou", "haizhu-fengyang"}

    logs = (
        fresh(db_session)
        .scalars(select(AuditLog).where(AuditLog.action == "stats.export").order_by(AuditLog.id))
        .all()
    )
    assert [log.detail["format"] for log in logs] == ["csv", "xlsx"]
    admin = db_session.scalar(select(User).where(User.username == "haizhu-admin"))
    assert logs[0].user_id == admin.id
    assert logs[0].detail["scope"] == "district:haizhu"
    assert logs[0].detail["personal"] is False
    today = local_today()
    assert logs[0].detail["period"] == {
        "start": (today - timedelta(days=6)).isoformat(),
        "end": today.isoformat(),
    }


def test_exports_refuse_bad_requests_and_log_nothing(stats_world, login, db_session):
    browser = login("worker-a")
    assert browser.get("/stats/export?format=pdf").status_code == 400
    assert browser.get("/stats/export?format=csv&from=2026-11-30&to=2026-11-01").status_code == 400
    assert browser.get("/stats/export?format=csv&scope=district:haizhu").status_code == 404
    assert browser.get("/stats/tickets.csv?scope=city").status_code == 404
    assert browser.get("/stats/tickets.pdf").status_code == 404
    assert fresh(db_session).scalars(select(AuditLog)).all() == []


def ticket_rows(browser, query: str = "") -> list[list[str]]:  # type: ignore[no-untyped-def]
    response = browser.get("/stats/tickets.csv" + query)
    assert response.status_code == 200
    assert response.get_data().startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_a_workers_ticket_export_has_no_names_and_masked_numbers(stats_world, login, db_session):
    rows = ticket_rows(login("worker-a"))
    text = repr(rows)
    assert "来电人姓名" not in rows[0]
    assert RESIDENT_A not in text and "连姐" not in text
    assert "+86139****5678" in text
    ticket = stats_world["tickets"]["a"]
    assert [r[0] for r in rows[1:]] == [str(ticket.id)]  # B's ticket is not in scope
    log = fresh(db_session).scalar(select(AuditLog).where(AuditLog.action == "tickets.export"))
    assert log.detail["personal"] is False and log.detail["format"] == "csv"


def test_an_admins_ticket_export_has_names_and_numbers(stats_world, admin_a, login, db_session):
    rows = ticket_rows(login("admin-a"))
    header, row = rows
    assert row[header.index("来电号码")] == RESIDENT_A
    assert row[header.index("来电人姓名")] == "连姐<script>alert(1)</script>"
    assert row[header.index("社工站代码")] == "haizhu-nanzhou"
    assert row[header.index("状态")] == "待回电"
    log = fresh(db_session).scalar(select(AuditLog).where(AuditLog.action == "tickets.export"))
    assert log.detail["personal"] is True
    assert log.station_id == stats_world["stations"]["a"].id


def test_the_citys_ticket_export_covers_every_station(stats_world, login):
    browser = login("city")
    rows = ticket_rows(browser, "?scope=city")
    assert {r[rows[0].index("来电号码")] for r in rows[1:]} == {RESIDENT_A, RESIDENT_B}
    xlsx = browser.get("/stats/tickets.xlsx?scope=district:baiyun")
    sheet = load_workbook(io.BytesIO(xlsx.get_data()))["工单明细"]
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][0] == stats_world["tickets"]["b"].id  # the id stays a number
    assert values[1][values[0].index("来电人姓名")] == "王伯"


def test_only_admins_may_export_personal_data(stats_world, admin_a):
    users = stats_world["users"]
    assert not may_export_personal(users["worker-a"])
    for name in ("admin-a", "haizhu-admin", "city"):
        assert may_export_personal(users[name])
    users["city"].active = False
    assert not may_export_personal(users["city"])


def test_durations_read_as_whole_minutes():
    assert whole_minutes(95.4) == "95"
    assert whole_minutes(0) == "0"
    assert whole_minutes(1501) == "1,501"
    assert whole_minutes(None) == "—"


def test_rows_without_a_value_sort_last_both_ways():
    timed = make_report("district").rows
    untimed = replace(
        timed[0],
        code="haizhu-none",
        figures=replace(timed[0].figures, first_callback=Durations(0, None, None, 0)),
    )
    faster = replace(
        timed[1], figures=replace(timed[1].figures, first_callback=Durations(3, 10.0, 20.0, 3))
    )
    rows = (untimed, timed[0], faster)
    ascending = [r.code for r in sorted_rows(rows, "callback_median", False)]
    descending = [r.code for r in sorted_rows(rows, "callback_median", True)]
    assert ascending == ["haizhu-fengyang", "haizhu-nanzhou", "haizhu-none"]
    assert descending == ["haizhu-nanzhou", "haizhu-fengyang", "haizhu-none"]


def test_equal_values_read_in_pinyin_order_and_names_sort_in_the_pages_language():
    fengyang, nanzhou = make_report("district").rows[1], make_report("district").rows[0]
    baiyun = replace(nanzhou, code="x-baiyun", name_zh="白云街", name_en="")
    same = replace(baiyun.figures, calls_received=7)
    rows = (
        replace(nanzhou, figures=same),
        replace(fengyang, figures=same),
        replace(baiyun, figures=same),
    )
    for descending in (False, True):  # a tie keeps the reading order, whichever way
        ordered = [r.name_zh for r in sorted_rows(rows, "calls_received", descending)]
        assert ordered == ["白云街", "凤阳街", "南洲街"]
    # In English 南洲街 is "Nanzhou"; the two without English names sort by their pinyin.
    english = [r.code for r in sorted_rows(rows, "name", True, "en")]
    assert english == ["haizhu-nanzhou", "haizhu-fengyang", "x-baiyun"]
