"""Statistics of transcript quality: the share corrected and the machine's error rate
against corrections (CER for Chinese), per language and station, on the page and exported."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import load_workbook
from sqlalchemy import select

from models import AuditLog
from tests.conftest import fresh


def _correct(browser, ticket, text: str, correction: str = "0"):  # type: ignore[no-untyped-def]
    response = browser.post(
        f"/console/tickets/{ticket.id}/transcript",
        page=f"/console/tickets/{ticket.id}",
        voicemail=str(ticket.voicemails[0].id),
        correction=correction,
        text=text,
    )
    assert response.status_code == 200
    return re.search(r'name="correction" value="(\d+)"', response.get_data(as_text=True)).group(1)


def _section(page: str) -> str:
    return re.search(r'<section class="card transcript-quality".*?</section>', page, re.S).group(0)


def _rows(section: str) -> list[list[str]]:
    rows = re.findall(r"<tr(?: class=\"total\")?>(.*?)</tr>", section, re.S)[1:]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)
        ]
        for r in rows
    ]


def test_the_share_corrected_and_the_machine_error_rate(stats_world, login, db_session):
    ticket = stats_world["tickets"]["a"]
    worker = login("worker-a")
    first = _correct(worker, ticket, "我想买米和")
    _correct(worker, ticket, "我想买米和油", correction=first)  # only the one in force counts

    city = login("city").get("/stats/?scope=city").get_data(as_text=True)
    rows = _rows(_section(city))
    # Two transcripts (南洲街, 同德街), one corrected; 我想买米 against 我想买米和油: 2 of 6.
    assert rows[0] == ["合计", "普通话", "2", "1", "50.0%", "33.3% CER"]
    assert rows[1:] == [["南洲街", "普通话", "1", "1", "100.0%", "33.3% CER"]]

    other = login("worker-b").get("/stats/").get_data(as_text=True)
    assert _rows(_section(other)) == [["合计", "普通话", "1", "0", "0.0%", "— CER"]]


def test_the_export_is_a_file_and_audited(stats_world, login, db_session):
    _correct(login("worker-a"), stats_world["tickets"]["a"], "我想买米和油")
    browser = login("haizhu-admin")
    response = browser.get("/stats/transcripts.csv?scope=district:haizhu&preset=today")
    assert response.status_code == 200
    assert "transcripts-district-haizhu" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:5] == ["社工站代码", "社工站", "语言", "转写数", "人工校对数"]
    assert rows[1][:7] == ["合计", "", "普通话", "1", "1", "100.0", "33.3"]
    assert rows[2][:2] == ["haizhu-nanzhou", "南洲街"]
    xlsx = browser.get("/stats/transcripts.xlsx?scope=station:haizhu-nanzhou&preset=month")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet.title == "转写质量" and sheet.cell(2, 4).value == 1
    audits = fresh(db_session).scalars(
        select(AuditLog).where(AuditLog.action == "transcripts.export")
    )
    assert [a.detail["format"] for a in audits] == ["csv", "xlsx"]
    assert browser.get("/stats/transcripts.csv?scope=district:baiyun").status_code == 404
