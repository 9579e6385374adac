"""``ivr menu lint``: scopes, formats, thresholds and exit status; the demo's 203 menus."""

from __future__ import annotations

import json
from importlib.resources import files

from sqlalchemy import select

from ivr.cli.demo_menus import STALE_NOTICE_NODE, STALE_NOTICE_STATION, add_stale_notice
from models import Station, utcnow
from tests.ivr.menus.lint_helpers import make_station, menu, publish


def _stations(db_session):
    district = make_station(db_session).district
    ok = make_station(db_session, district, code="fine-station")
    publish(db_session, ok, menu())
    staffless = make_station(db_session, district, code="staffless", phones=())
    publish(db_session, staffless, menu())
    elsewhere = make_station(db_session, code="elsewhere", phones=())
    publish(db_session, elsewhere, menu())
    db_session.commit()
    return district, staffless


def test_problems_at_or_above_the_threshold_exit_1_with_links(runner, db_session, app):
    district, staffless = _stations(db_session)
    result = runner.invoke("menu", "lint", "--scope", f"district:{district.code}")
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    # The default menu's two forwards (its main menu's and the elderly path's), each a
    # problem line followed by its editor link.
    assert lines[0].startswith("error   staffless ") and "[forward_unstaffed]" in lines[0]
    public = app.config["IVR"].public_url.rstrip("/")
    editor = f"{public}/admin/stations/{staffless.id}/menu#node-"
    assert {lines[1].strip(), lines[3].strip()} == {
        editor + "forward_worker",
        editor + "elderly_worker",
    }
    assert "elsewhere" not in result.output  # another district
    assert "no_published_menu" in result.output  # the district's first station: nothing published
    assert lines[-1].endswith("3 at or above warning")


def test_a_clean_scope_exits_0_and_a_threshold_above_the_problems_too(runner, db_session):
    _stations(db_session)
    clean = runner.invoke("menu", "lint", "--scope", "station:fine-station")
    assert clean.exit_code == 0, clean.output
    assert "1 station(s) checked" in clean.output and "1 clean" in clean.output
    only_errors = runner.invoke("menu", "lint", "--scope", "city", "--severity", "error")
    assert only_errors.exit_code == 1
    assert "no_published_menu" not in only_errors.output  # a warning, below the threshold


def test_json_lists_problems_with_severity_node_and_url(runner, db_session):
    _district, staffless = _stations(db_session)
    result = runner.invoke("menu", "lint", "--scope", "station:staffless", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["counts"] == {"error": 2, "warning": 0, "info": 0}
    nodes = {p["node"]: p for p in data["problems"]}
    assert set(nodes) == {"forward_worker", "elderly_worker"}  # the elderly path's forward too
    problem = nodes["forward_worker"]
    assert problem["check"] == "forward_unstaffed" and problem["severity"] == "error"
    assert problem["node"] == "forward_worker" and problem["station"] == "staffless"
    assert problem["url"].endswith(f"/admin/stations/{staffless.id}/menu#node-forward_worker")
    assert problem["settings_url"].endswith(f"/admin/stations/{staffless.id}/roster")


def test_usage_errors_exit_2(runner, db_session):
    _stations(db_session)
    for args in (
        ["--scope", "district:atlantis"],
        ["--scope", "galaxy"],
        ["--severity", "fatal"],
        ["--format", "xml"],
        ["--notice-days", "0"],
    ):
        result = runner.invoke("menu", "lint", *args)
        assert result.exit_code == 2, (args, result.output)
    assert "Exit status" in runner.invoke("menu", "lint", "--help").output


def test_the_203_demo_menus_come_out_clean(runner):
    """The menus as the demo makes them (`ivr demo --no-activity`: the registry, rosters
    and the default template everywhere) have no problem of any severity."""
    made = runner.invoke("demo", "--no-activity")
    assert made.exit_code == 0, made.output
    result = runner.invoke("menu", "lint", "--severity", "info", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["stations"] == 203 and data["clean_stations"] == 203 and data["problems"] == []


def test_the_demo_activity_s_stale_notice_is_its_one_problem(runner, db_session):
    """With its activity, the demo first gives 琶洲街 a notice published 45 days ago."""
    DEMO = files("ivr") / "demo_data"
    runner.invoke("districts", "import", str(DEMO / "districts.csv"))
    assert runner.invoke("stations", "import", str(DEMO / "stations.csv")).exit_code == 0
    assert "45 days ago" in add_stale_notice(db_session, utcnow())
    db_session.commit()
    assert add_stale_notice(db_session, utcnow()) == ""  # once
    made = runner.invoke("demo", "--no-activity")
    assert "default menu published for 202 station(s)" in made.output
    result = runner.invoke("menu", "lint", "--severity", "info", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["clean_stations"] == 202
    (problem,) = data["problems"]
    pazhou = db_session.scalar(select(Station).where(Station.code == STALE_NOTICE_STATION))
    assert (problem["check"], problem["severity"], problem["station"]) == (
        "notice_stale",
        "warning",
        STALE_NOTICE_STATION,
    )
    assert problem["link"] == f"/admin/stations/{pazhou.id}/menu#node-{STALE_NOTICE_NODE}"
