"""The elderly-friendly defaults through the real webhooks, signed as Twilio signs: slower
speech, longer key timeouts, * to hear a menu again, 0 for a person from any menu, and the
short path for callers the registry flags as elderly."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import select

from ivr.menus.default_menu import default_menu
from ivr.menus.versions import save_version
from ivr.menus.yaml_source import dump_yaml
from models import Call, Caller, CallerVulnerability, Vulnerability
from tests.conftest import fresh
from tests.ivr.voice.conftest import RESIDENT
from tests.ivr.voice.helpers import Twiml
from tests.ivr.voice.test_lean_step import SQLITE, Statements

ELDERLY = "+8613700000001"
SID = "CA" + "1" * 32


def _prosody_rates(twiml: Twiml) -> list[str | None]:
    """Each <Say>'s SSML rate, None where it has no <prosody>."""
    return [
        next((p.get("rate") for p in say.iter("prosody")), None) for say in twiml.root.iter("Say")
    ]


def _flag_elderly(db_session, number: str = ELDERLY, language: str | None = None) -> Caller:
    caller = Caller(phone_number=number, name="陈阿婆", preferred_language=language)
    caller.vulnerabilities = [CallerVulnerability(flag=Vulnerability.LONE_ELDERLY)]
    db_session.add(caller)
    db_session.commit()
    return caller


def _closed(db_session, station) -> None:
    """Open no hours at all: the station is closed whenever the test runs."""
    station.twenty_four_hours = False
    station.opening_hours = {}
    db_session.commit()


def _submenu_document() -> dict:
    """The default menu in Mandarin, with a second menu (key 1) that offers no 0 of its own."""
    document = copy.deepcopy(default_menu(["zh"]))
    nodes = document["nodes"]
    nodes["main"]["options"]["1"] = "food_menu"
    nodes["food_menu"] = {
        "kind": "menu",
        "prompt": {"zh": "粮油请按1，蔬菜请按2。"},
        "options": {"1": {"next": "vm_food", "need": "food"}, "2": "vm_food"},
        "fallback": "vm_general",
        "speech_rate": "70%",
        "timeout": 15,
    }
    return document


def _publish(db_session, station, document: dict) -> None:
    save_version(db_session, station, dump_yaml(document), publish=True)
    db_session.commit()


def test_every_say_is_slower_and_menus_wait_longer(station, call):
    first = Twiml.of(call())
    says = list(first.root.iter("Say"))
    assert says and all(s.text is None for s in says)  # the words are inside <prosody>
    assert _prosody_rates(first) == ["85%", "85%", "85%"]
    assert "普通话请按1" in first.says()[0]
    assert first.verb("Gather").get("timeout") == "10"  # the settings' key_timeout
    main = Twiml.of(call(first.action("Gather"), Digits="1"))
    assert main.verb("Gather").get("timeout") == "10"
    assert set(_prosody_rates(main)) == {"85%"}
    # After the menu's own prompt, how to hear it again.
    assert main.says()[-1] == "重听请按星号键。"


def test_a_nodes_own_rate_and_timeout_win(station, call, db_session):
    _publish(db_session, station, _submenu_document())
    main = Twiml.of(call())
    food = Twiml.of(call(main.action("Gather"), Digits="1"))
    assert food.query("Gather")["n"] == "food_menu"
    assert food.verb("Gather").get("timeout") == "15"
    assert set(_prosody_rates(food)) == {"70%"}


def test_star_repeats_the_same_menu_without_using_a_replay(station, call, db_session):
    main = Twiml.of(call(Twiml.of(call()).action("Gather"), Digits="1"))
    wrong = Twiml.of(call(main.action("Gather"), Digits="9"))
    assert wrong.query("Gather") == {**main.query("Gather"), "a": "1"}
    again = Twiml.of(call(wrong.action("Gather"), Digits="*"))
    assert again.query("Gather") == wrong.query("Gather")  # same node, same attempt
    assert again.says() == main.says()  # the menu again, with no "wrong key" first
    assert "对不起" not in again.text()
    fresh(db_session)
    logged = db_session.scalars(select(Call).where(Call.call_sid == SID)).one()
    presses = [(e.kind, e.node, e.digits) for e in logged.events if e.kind == "keys"]
    assert presses[-1] == ("keys", "main", "*")


def test_star_repeats_the_language_choice_too(station, call):
    first = Twiml.of(call())
    again = Twiml.of(call(first.action("Gather"), Digits="*"))
    assert again.query("Gather") == first.query("Gather")
    assert again.says() == first.says()


def test_zero_from_any_menu_rings_the_worker_in_opening_hours(station, call, db_session):
    _publish(db_session, station, _submenu_document())
    main = Twiml.of(call())
    food = Twiml.of(call(main.action("Gather"), Digits="1"))
    # The food menu has no 0 of its own: the settings' hint says how to reach a person.
    assert food.says() == ["粮油请按1，蔬菜请按2。", "找值班社工请按0。", "重听请按星号键。"]
    rung = Twiml.of(call(food.action("Gather"), Digits="0"))
    assert rung.verbs == ["Say", "Dial"]
    assert "正在为您转接值班社工" in rung.text()
    assert [n.text for n in rung.verb("Dial").iter("Number")] == ["+8613800000001"]
    assert rung.query("Dial")["n"] == "forward_worker"


def test_zero_outside_opening_hours_leaves_a_voicemail(station, call, db_session):
    _publish(db_session, station, _submenu_document())
    _closed(db_session, station)
    food = Twiml.of(call(Twiml.of(call()).action("Gather"), Digits="1"))
    assert "找值班社工请按0。" not in food.says()  # nobody to reach: not offered
    assert food.says()[-1] == "重听请按星号键。"
    closed = Twiml.of(call(food.action("Gather"), Digits="0"))
    assert closed.verbs == ["Say", "Say", "Record"]
    assert "现在不是值班时间" in closed.text()
    assert closed.query("Record")["n"] == "vm_general"


def test_a_flagged_elderly_caller_is_greeted_and_rung_through_first(station, call, db_session):
    caller = _flag_elderly(db_session, language="yue")
    first = Twiml.of(call(From=ELDERLY))
    assert first.verbs == ["Say", "Say", "Dial"]
    assert first.say_languages() == ["yue-HK", "yue-HK"]  # their own language, no choice
    assert first.says()[0] == "你好，呢度係南洲街社工站，我哋認得你嘅號碼。"
    assert _prosody_rates(first) == ["85%", "85%"]
    assert first.query("Dial")["n"] == "elderly_worker"
    # Nobody answers: the menu, in their language, where 0 and * still work.
    menu = Twiml.of(call(first.action("Dial"), From=ELDERLY, DialCallStatus="no-answer"))
    menu = Twiml.of(call(menu.action("Dial"), From=ELDERLY, DialCallStatus="no-answer"))
    assert menu.query("Gather")["n"] == "main" and menu.query("Gather")["l"] == "yue"
    assert "生活物資" in menu.text()
    fresh(db_session)
    logged = db_session.scalars(select(Call).where(Call.call_sid == SID)).one()
    assert logged.caller_id == caller.id
    incoming = logged.events[0]
    assert incoming.kind == "incoming" and incoming.detail["elderly_path"] is True
    nodes = [e.node for e in logged.events if e.kind == "node"][:2]
    assert nodes == ["elderly_hours", "elderly_worker"]


def test_a_flagged_caller_outside_opening_hours_goes_straight_to_the_menu(
    station, call, db_session
):
    _flag_elderly(db_session)  # no preferred language: the menu's first
    _closed(db_session, station)
    first = Twiml.of(call(From=ELDERLY))
    assert first.says()[0] == "您好，这里是南洲街社工站，我们认得您的号码。"
    where = first.query("Gather")
    assert (where["n"], where["l"]) == ("main", "zh")
    assert first.verb("Dial") is None


@pytest.mark.parametrize("number", [RESIDENT, "+266696687"])  # unflagged; withheld
def test_other_callers_get_the_ordinary_start(station, call, db_session, number):
    _flag_elderly(db_session)
    first = Twiml.of(call(From=number))
    assert first.query("Gather")["n"] == "choose_language"
    assert "认得您的号码" not in first.text()


def test_a_menu_without_the_elderly_path_treats_everyone_alike(station, call, db_session):
    _flag_elderly(db_session)
    document = default_menu(["zh", "yue", "en"])
    del document["settings"]["elderly"]
    _publish(db_session, station, document)
    first = Twiml.of(call(From=ELDERLY))
    assert first.query("Gather")["n"] == "choose_language"


@SQLITE
def test_the_elderly_path_costs_no_extra_statement(app, station, call, db_session):
    """The caller's flags come back from the caller upsert the call's insert runs anyway."""
    _flag_elderly(db_session)
    statements = Statements(app)
    Twiml.of(call(sid="CA" + "6" * 32))  # the station is cached by now
    with statements as seen:
        heard = Twiml.of(call(sid="CA" + "7" * 32, From=ELDERLY))
    assert heard.verb("Dial") is not None
    assert seen == [
        *["BEGIN DEFERRED", "SELECT", "COMMIT"],
        *["BEGIN IMMEDIATE", "INSERT", "INSERT", "INSERT", "COMMIT"],
    ], seen
