"""``ivr report``: the same figures on the command line, as JSON, CSV or XLSX; audit-logged."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from models import AuditLog
from tests.conftest import fresh
from tests.ivr.stats.conftest import local_today


def period_args() -> list[str]:
    today = local_today()
    return ["--from", str(today - timedelta(days=2)), "--to", str(today)]


def test_json_goes_to_standard_output_by_default(runner, stats_world, db_session):
    result = runner.invoke("report", "--scope", "district:海珠区", *period_args())
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["scope"]["spec"] == "district:haizhu"
    assert data["period"]["days"] == 3
    assert data["totals"]["calls_received"] == 11
    assert [row["code"] for row in data["rows"]] == ["haizhu-fengyang", "haizhu-nanzhou"]

    log = fresh(db_session).scalar(select(AuditLog).where(AuditLog.action == "stats.export"))
    assert log.user_id is None
    assert log.detail["source"] == "cli"
    assert log.detail["scope"] == "district:haizhu"
    assert log.detail["format"] == "json" and log.detail["personal"] is False
    assert log.detail["period"]["end"] == str(local_today())


def test_the_city_is_the_default_scope_and_this_month_the_default_period(runner, stats_world):
    result = runner.invoke("report")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["scope"]["kind"] == "city"
    assert data["period"]["start"] == str(local_today().replace(day=1))
    assert data["totals"]["calls_received"] == 24


def test_csv_to_a_file(runner, stats_world, tmp_path):
    target = tmp_path / "haizhu.csv"
    result = runner.invoke(
        "report", "--scope", "district:haizhu", "--format", "csv", "-o", str(target)
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # the file holds the figures; a note goes to stderr
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert ["来电", "来电总数", "11"] in rows
    breakdown = rows[rows.index([]) + 1 :]
    assert [row[:2] for row in breakdown[1:]] == [
        ["haizhu-fengyang", "凤阳街"],
        ["haizhu-nanzhou", "南洲街"],
    ]


def test_csv_labels_in_english(runner, stats_world):
    result = runner.invoke(
        "report",
        "--scope",
        "station:haizhu-nanzhou",
        "--format",
        "csv",
        "--lang",
        "en",
        "--preset",
        "today",
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout_bytes.decode("utf-8-sig"))))
    assert ["Calls", "Calls received", "7"] in rows


def test_xlsx_to_a_file_or_to_a_pipe(runner, stats_world, tmp_path, db_session):
    target = tmp_path / "city.xlsx"
    result = runner.invoke("report", "--format", "xlsx", "--output", str(target), *period_args())
    assert result.exit_code == 0, result.output
    book = load_workbook(target)
    figures = {row[1]: row[2] for row in book["统计数字"].iter_rows(values_only=True)}
    assert figures["来电总数"] == 24 and figures["社工接听"] == 6
    breakdown = list(book["各区"].iter_rows(values_only=True))
    assert {row[0] for row in breakdown[1:]} == {"baiyun", "haizhu"}

    piped = runner.invoke("report", "--format", "xlsx", *period_args())  # stdout: not a tty
    assert piped.exit_code == 0, piped.output
    again = load_workbook(io.BytesIO(piped.stdout_bytes))
    assert again.sheetnames == ["统计数字", "各区", "按小时来电"]

    logs = fresh(db_session).scalars(select(AuditLog).order_by(AuditLog.id)).all()
    assert [(log.detail["format"], log.detail["output"]) for log in logs] == [
        ("xlsx", str(target)),
        ("xlsx", "-"),
    ]


def test_a_bad_scope_or_period_is_a_clear_error_and_logs_nothing(runner, stats_world, db_session):
    for args, words in [
        (["--scope", "district:火星区"], "找不到区：火星区"),
        (["--scope", "station:nowhere"], "找不到社工站：nowhere"),
        (["--scope", "planet:mars"], "无法识别的范围"),
        (["--from", "2026-13-01"], "开始日期格式不正确"),
        (["--from", "2026-11-30", "--to", "2026-11-01"], "结束日期不能早于开始日期"),
        (["--preset", "today", "--from", "2026-11-01"], "not both"),
    ]:
        result = runner.invoke("report", *args)
        assert result.exit_code == 2, (args, result.output)
        assert words in result.output, (args, result.output)
        assert result.stdout == "" or "Usage" in result.output
    english = runner.invoke("report", "--scope", "station:nowhere", "--lang", "en")
    assert english.exit_code == 2 and "nowhere" in english.output
    assert fresh(db_session).scalars(select(AuditLog)).all() == []


def test_help_explains_formats_and_output(runner):
    result = runner.invoke("report", "--help")
    assert result.exit_code == 0
    for words in ("--scope", "--from", "--to", "--preset", "--format", "--output", "XLSX"):
        assert words in result.output
    # Which clock the times are on: the scope's local one in files, UTC in JSON.
    text = " ".join(result.output.split())
    assert "local times in the scope's timezone" in text and "Asia/Shanghai" in text
    assert "JSON gives times in UTC" in text
