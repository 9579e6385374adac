"""The menu health check against menus broken in each way it knows: each problem found,
with its severity and a link to the editor at its node."""

from __future__ import annotations

from datetime import timedelta

from ivr.menus.lint import Severity
from ivr.menus.rollout import apply_notice
from models import Station, utcnow
from tests.ivr.menus.lint_helpers import editor, make_station, menu, only, publish, run


def test_the_default_menu_with_a_roster_and_24_hours_is_clean(app, db_session):
    station = make_station(db_session)
    publish(db_session, station, menu())
    report = run(app, db_session, station)
    assert report.problems == [] and report.stations == 1 and report.clean_stations == 1


def forwards(report):  # type: ignore[no-untyped-def]
    return {p.node: p for p in report.problems if p.check == "forward_unstaffed"}


def test_a_reachable_forward_with_an_empty_roster_is_an_error(app, db_session):
    station = make_station(db_session, phones=())
    publish(db_session, station, menu())
    # The default menu forwards from its main menu and, first, on the elderly path.
    found = forwards(run(app, db_session, station))
    assert set(found) == {"forward_worker", "elderly_worker"}
    problem = found["forward_worker"]
    assert problem.severity is Severity.ERROR
    assert problem.link == editor(station, "forward_worker")
    assert problem.settings_link == f"/admin/stations/{station.id}/roster"
    assert "roster is empty" in str(problem.message)


def test_a_reachable_forward_with_every_phone_off_is_an_error(app, db_session):
    phones = (("+8613800000001", False), ("+8613800000002", False))
    station = make_station(db_session, phones=phones)
    publish(db_session, station, menu())
    found = forwards(run(app, db_session, station))
    assert set(found) == {"forward_worker", "elderly_worker"}
    assert all(p.severity is Severity.ERROR for p in found.values())
    assert "2 phones" in str(found["forward_worker"].message)


def test_an_empty_roster_without_a_reachable_forward_is_no_problem(app, db_session):
    station = make_station(db_session, phones=())
    document = menu()
    document["nodes"]["main"]["options"]["0"] = "vm_general"  # the forward is now unreachable
    document["settings"].pop("elderly", None)  # and so is the elderly path's
    document["settings"].pop("person_key", None)
    publish(db_session, station, document)
    report = run(app, db_session, station)
    unreachable = {
        "worker_hours",
        "closed_notice",
        "forward_worker",
        "elderly_hours",
        "elderly_worker",
    }
    assert {(p.check, p.node) for p in report.problems} == {
        ("node_unreachable", node) for node in unreachable
    }
    assert {p.severity for p in report.problems} == {Severity.INFO}


def test_missing_opening_hours_with_24_hours_off_is_an_error(app, db_session):
    station = make_station(db_session, twenty_four_hours=False, opening_hours={})
    publish(db_session, station, menu())
    problem = only(run(app, db_session, station), "hours_missing")
    assert problem.severity is Severity.ERROR
    assert problem.link == editor(station, "worker_hours")
    assert problem.settings_link == f"/admin/stations/{station.id}/hours"


def test_opening_hours_beside_the_24_hour_switch_are_a_warning(app, db_session):
    hours = {"mon": [["09:00", "18:00"]]}
    station = make_station(db_session, twenty_four_hours=True, opening_hours=hours)
    publish(db_session, station, menu())
    problem = only(run(app, db_session, station), "hours_ignored")
    assert problem.severity is Severity.WARNING and problem.node == "worker_hours"


def test_a_prompt_claiming_24_hours_at_a_station_with_hours_is_a_warning(app, db_session):
    week = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    station = make_station(db_session, twenty_four_hours=False, opening_hours=week)
    document = menu()
    document["nodes"]["main"]["prompt"]["zh"] = (
        "24小时为您服务。" + document["nodes"]["main"]["prompt"]["zh"]
    )
    publish(db_session, station, document)
    problem = only(run(app, db_session, station), "hours_claim_24h")
    assert problem.severity is Severity.WARNING
    assert problem.link == editor(station, "main")


def test_hours_that_cover_the_whole_week_may_claim_24_hours(app, db_session):
    week = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    station = make_station(db_session, twenty_four_hours=False, opening_hours=week)
    document = menu()
    document["nodes"]["main"]["prompt"]["zh"] = "24小时为您服务。"
    publish(db_session, station, document)
    assert run(app, db_session, station).problems == []


def test_unreadable_hours_and_ignored_holidays(app, db_session):
    broken = make_station(db_session, twenty_four_hours=False, opening_hours={"mon": [["9", "x"]]})
    holidays = make_station(db_session, holidays=["2026-10-01", "2026-10-02"])
    for station in (broken, holidays):
        publish(db_session, station, menu())
    report = run(app, db_session, broken, holidays)
    unreadable = only(report, "hours_unreadable")
    assert unreadable.severity is Severity.WARNING and unreadable.station.id == broken.id
    ignored = only(report, "holidays_ignored")
    assert ignored.severity is Severity.INFO and ignored.station.id == holidays.id
    assert ignored.link == editor(holidays)


def test_a_language_offered_without_prompts_is_a_warning(app, db_session):
    station = make_station(db_session, languages=("zh", "yue", "en"))
    publish(db_session, station, menu(("zh", "yue")))
    problem = only(run(app, db_session, station), "language_without_prompts")
    assert problem.severity is Severity.WARNING
    assert problem.node is None and problem.link == editor(station)
    assert problem.settings_link == f"/admin/stations/{station.id}/profile"
    assert "English" in str(problem.message)


def test_a_language_no_caller_can_choose_is_a_warning(app, db_session):
    station = make_station(db_session, languages=("zh", "yue"))
    document = menu(("zh", "yue"))
    del document["nodes"]["choose_language"]["choices"]["2"]
    document["nodes"]["choose_language"]["prompt"]["yue"] = "（冇廣東話）"
    publish(db_session, station, document)
    problem = only(run(app, db_session, station), "language_not_choosable")
    assert problem.severity is Severity.WARNING
    assert problem.link == editor(station, "choose_language")


def test_a_station_with_nothing_published_is_a_warning(app, db_session):
    station = make_station(db_session)
    problem = only(run(app, db_session, station), "no_published_menu")
    assert problem.severity is Severity.WARNING and problem.link == editor(station)


def test_a_live_menu_the_validator_now_refuses_is_an_error_at_its_node(app, db_session):
    station = make_station(db_session)
    document = menu()
    document["nodes"]["main"]["options"]["9"] = "to_nowhere"
    document["nodes"]["to_nowhere"] = {"kind": "transfer", "station": "no-such-station"}
    publish(db_session, station, document)
    problem = only(run(app, db_session, station), "menu_invalid")
    assert problem.severity is Severity.ERROR
    assert problem.link == editor(station, "to_nowhere")


def _transfer_to(document: dict, code: str, *, automatic: bool) -> dict:
    document["nodes"]["to_other"] = {"kind": "transfer", "station": code}
    if automatic:
        document["start"] = "to_other"
    else:
        document["nodes"]["main"]["options"]["9"] = "to_other"
    return document


def _pair(db_session, *, automatic: bool) -> tuple[Station, Station]:
    a = make_station(db_session, code="station-a", name_zh="甲街")
    b = make_station(db_session, a.district, code="station-b", name_zh="乙街")
    publish(db_session, a, _transfer_to(menu(), "station-b", automatic=False))
    publish(db_session, b, _transfer_to(menu(), "station-a", automatic=automatic))
    return a, b


def test_a_transfer_chain_back_to_its_start_is_a_warning_at_each_end(app, db_session):
    a, b = _pair(db_session, automatic=False)
    report = run(app, db_session, a, b)
    loops = [p for p in report.problems if p.check == "transfer_loop"]
    assert {(p.station.code, p.severity) for p in loops} == {
        ("station-a", Severity.WARNING),
        ("station-b", Severity.WARNING),
    }
    at_a = next(p for p in loops if p.station.code == "station-a")
    assert at_a.link == editor(a, "to_other") and "甲街 → 乙街 → 甲街" in str(at_a.message)


def test_a_transfer_chain_no_key_breaks_is_an_error(app, db_session):
    a = make_station(db_session, code="station-a", name_zh="甲街")
    b = make_station(db_session, a.district, code="station-b", name_zh="乙街")
    publish(db_session, a, _transfer_to(menu(), "station-b", automatic=True))
    publish(db_session, b, _transfer_to(menu(), "station-a", automatic=True))
    report = run(app, db_session, a)  # b is out of scope, but its menu is followed
    problem = only(report, "transfer_loop")
    assert problem.severity is Severity.ERROR and problem.station.code == "station-a"
    assert problem.link == editor(a, "to_other")


def test_a_transfer_to_a_station_no_longer_active_is_an_error(app, db_session):
    a = make_station(db_session, code="station-a")
    b = make_station(db_session, a.district, code="station-b", active=False)
    publish(db_session, a, _transfer_to(menu(), "station-b", automatic=False))
    problem = only(run(app, db_session, a, b), "transfer_unavailable")
    assert problem.severity is Severity.ERROR and problem.link == editor(a, "to_other")


def test_a_notice_published_longer_ago_than_the_limit_is_a_warning(app, db_session):
    station = make_station(db_session)
    publish(db_session, station, menu())
    results = apply_notice(
        db_session, [station], "policy_notice", {"zh": "检测点调整"}, "start", None, True
    )
    assert results[0].outcome.value == "updated"
    assert run(app, db_session, station).problems == []  # fresh today
    later = utcnow() + timedelta(days=31)
    problem = only(run(app, db_session, station, now=later), "notice_stale")
    assert problem.severity is Severity.WARNING
    assert problem.link == editor(station, "policy_notice")
    assert run(app, db_session, station, now=later, notice_days=40).problems == []


def test_a_notice_is_as_old_as_its_words(app, db_session):
    station = make_station(db_session)
    now = utcnow()
    document = menu()
    document["nodes"]["weekend_notice"] = {
        "kind": "message",
        "prompt": {"zh": "周末检测点调整"},
        "next": "main",
    }
    document["start"] = "weekend_notice"
    publish(db_session, station, document, at=now - timedelta(days=50))
    document["nodes"]["main"]["repeat"] = 1  # another change: the notice's words stay
    publish(db_session, station, document, at=now - timedelta(days=10))
    problem = only(run(app, db_session, station, now=now), "notice_stale")
    assert "50 days" in str(problem.message)

    document["nodes"]["weekend_notice"]["prompt"]["zh"] = "本周末检测点照常"
    publish(db_session, station, document, at=now - timedelta(days=2))
    assert run(app, db_session, station, now=now).problems == []
