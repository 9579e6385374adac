"""The test call plays the elderly-friendly settings: slower speech, longer waits, * to
hear a menu again, 0 for a person, and a caller's number recognised from the registry."""

# ruff: noqa: F811 - the test call's fixtures, imported, are the tests' arguments

from __future__ import annotations

from models import Caller, CallerVulnerability, Vulnerability
from tests.ivr.admin.test_test_call import (  # noqa: F401 - fixtures shared with the test call
    TestCaller,
    caller,
    rows,
    station_a,
)

ELDERLY = "+8613700000001"


def _flag(db_session, station, language: str | None = None) -> Caller:
    resident = Caller(
        phone_number=ELDERLY,
        name="陈阿婆",
        home_station_id=station.id if station is not None else None,
        preferred_language=language,
    )
    resident.vulnerabilities = [CallerVulnerability(flag=Vulnerability.LONE_ELDERLY)]
    db_session.add(resident)
    db_session.commit()
    return resident


def _start(caller: TestCaller, number: str, at: str = "2026-03-02T10:00") -> TestCaller:
    token = caller.browser.token(caller.url)
    form = {"csrf_token": token, "event": "start", "version": "live", "at": at}
    return caller._post({**form, "caller": number})


def _close_evenings(db_session, station) -> None:
    station.twenty_four_hours = False
    station.opening_hours = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed")}
    db_session.commit()


def test_speech_is_slower_and_the_wait_longer(caller):
    caller.start()
    speech = caller.heard()[-1]["speech"]
    assert {s["rate"] for s in speech} == {"85%"}
    assert "语速 85%" in caller.text()
    assert "等待来电者按键（10 秒）" in caller.text()


def test_star_plays_the_same_menu_again(caller):
    caller.start().press("1")
    caller.press("9")
    assert caller.state()["attempt"] == "1"
    said = caller.last_said()
    caller.press("*")
    assert caller.state()["node"] == "main" and caller.state()["attempt"] == "1"
    assert "需要粮油蔬菜" in caller.last_said() and "对不起" not in caller.last_said()
    assert caller.last_said().endswith("重听请按星号键。") and said.startswith("对不起")


def test_zero_at_the_language_choice_rings_the_worker_in_opening_hours(caller):
    caller.start().press("0")
    assert caller.nodes()[-2:] == ["worker_hours", "forward_worker"]
    assert "将呼叫 +8613800000001" in caller.text()


def test_zero_outside_opening_hours_ends_in_a_voicemail(caller, station_a, db_session):
    _close_evenings(db_session, station_a)
    caller.start(at="2026-03-02T20:00").press("0")
    assert caller.nodes()[-3:] == ["worker_hours", "closed_notice", "vm_general"]
    assert "现在不是值班时间" in caller.last_said()
    assert caller.state()["node"] == "vm_general"


def test_a_resident_flagged_elderly_here_takes_the_short_path(caller, station_a, db_session):
    _flag(db_session, station_a, language="yue")
    before = rows(db_session)
    _start(caller, "137 0000 0001")  # as people type it
    assert caller.status == 200
    entry = caller.transcript()[0]
    assert entry == {
        "type": "caller",
        "number": ELDERLY,
        "known": "yes",
        "elderly": "yes",
        "path": "elderly",
    }
    assert "登记为独居老人：走适老快速通道（先问候，先转值班社工）" in caller.text()
    assert caller.heard()[-1]["nodes"] == ["elderly_hours", "elderly_worker"]
    assert caller.last_said().startswith("你好，呢度係南洲街社工站，我哋認得你嘅號碼。")
    assert "将呼叫 +8613800000001" in caller.text()
    assert caller.state()["caller"] == "137 0000 0001"  # kept for calling again
    caller.do("no_answer").do("no_answer")
    assert caller.state()["node"] == "main" and caller.state()["language"] == "yue"
    assert rows(db_session) == before  # a test call writes nothing


def test_outside_opening_hours_the_elderly_path_goes_to_the_menu(caller, station_a, db_session):
    _flag(db_session, station_a)
    _close_evenings(db_session, station_a)
    _start(caller, ELDERLY, at="2026-03-02T20:00")
    assert caller.heard()[-1]["nodes"] == ["elderly_hours", "main"]
    assert caller.last_said().startswith("您好，这里是南洲街社工站，我们认得您的号码。")
    assert caller.state()["node"] == "main"


def test_a_resident_known_only_elsewhere_is_not_recognised(
    caller, station_a, admin_world, db_session
):
    _flag(db_session, admin_world["stations"]["b"])  # 同德街's resident
    _start(caller, ELDERLY)
    assert caller.transcript()[0] == {"type": "caller", "number": ELDERLY, "known": "no"}
    assert "本站居民登记里没有这个号码，按普通来电处理" in caller.text()
    assert caller.heard()[-1]["nodes"] == ["choose_language"]


def test_a_number_that_is_no_number_is_refused_at_its_field(caller):
    _start(caller, "12345")
    assert caller.status == 400
    assert 'id="error-caller"' in caller.page and 'aria-invalid="true"' in caller.page
    assert 'id="transcript"' not in caller.page
