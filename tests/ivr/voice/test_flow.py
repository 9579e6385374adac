"""The whole call through Flask's test client, signed as Twilio signs."""

from __future__ import annotations

from sqlalchemy import select

from ivr.menus.versions import save_version
from models import Call, CallEvent, CallOutcome, MenuVersion, Ticket
from tests.conftest import fresh
from tests.ivr.voice.conftest import HOTLINE, OTHER_HOTLINE, RESIDENT
from tests.ivr.voice.helpers import Twiml

SID = "CA" + "1" * 32


def _call(db_session) -> Call:
    fresh(db_session)
    return db_session.scalars(select(Call).where(Call.call_sid == SID)).one()


def test_a_call_is_offered_a_language_in_each_language(station, call):
    first = Twiml.of(call())
    assert first.verbs == ["Gather"]
    assert first.say_languages() == ["cmn-CN", "yue-HK", "en-US"]
    assert "南洲街" in first.says()[0] and "普通话请按1" in first.says()[0]
    assert first.verb("Gather").get("numDigits") == "1"
    assert first.verb("Gather").get("actionOnEmptyResult") == "true"
    assert first.action("Gather").startswith("https://hotline.example.org/twilio/gather?")
    assert first.query("Gather") == {
        "m": first.query("Gather")["m"],
        "n": "choose_language",
        "l": "zh",
    }


def test_choosing_cantonese_then_food_ends_in_a_tagged_voicemail(station, call, db_session):
    menu = Twiml.of(call(Twiml.of(call()).action("Gather"), Digits="2"))
    assert set(menu.say_languages()) == {"yue-HK"}
    assert "生活物資" in menu.text()

    record = Twiml.of(call(menu.action("Gather"), Digits="1"))
    assert record.verbs == ["Say", "Record"]
    element = record.verb("Record")
    assert element.get("maxLength") == "120" and element.get("playBeep") == "true"
    callback = element.get("recordingStatusCallback")
    assert callback.startswith("https://hotline.example.org/twilio/recording?m=v")
    assert callback.endswith("&n=vm_food&l=yue")
    assert record.query("Record")["n"] == "vm_food" and record.query("Record")["l"] == "yue"

    thanks = Twiml.of(
        call(record.action("Record"), RecordingSid="RE" + "2" * 32, RecordingDuration="14")
    )
    assert thanks.verbs == ["Say", "Hangup"] and "多謝" in thanks.text()

    logged = _call(db_session)
    assert logged.station_id == station.id and logged.language == "yue"
    assert logged.chosen_need == "food" and logged.outcome is CallOutcome.VOICEMAIL
    kinds = [(e.kind, e.node, e.digits) for e in logged.events]
    assert kinds == [
        ("incoming", None, None),
        ("node", "choose_language", None),
        ("keys", "choose_language", "2"),
        ("node", "main", None),
        ("keys", "main", "1"),
        ("node", "vm_food", None),
        ("recorded", "vm_food", None),
    ]


def test_wrong_keys_and_silence_replay_the_menu_then_fall_back_to_voicemail(station, call):
    menu = Twiml.of(call(Twiml.of(call()).action("Gather"), Digits="1"))
    wrong = Twiml.of(call(menu.action("Gather"), Digits="9"))
    assert wrong.says()[0] == "对不起，没有这个选项。"
    assert wrong.query("Gather")["a"] == "1"
    silent = Twiml.of(call(wrong.action("Gather"), Digits=""))
    assert "对不起" not in silent.text() and silent.query("Gather")["a"] == "2"
    fallback = Twiml.of(call(silent.action("Gather"), Digits="7"))
    assert fallback.verbs[-1] == "Record"
    assert fallback.query("Record")["n"] == "vm_general"


def test_digits_of_any_length_or_alphabet_are_just_wrong_keys(station, call):
    menu = Twiml.of(call(Twiml.of(call()).action("Gather"), Digits="1"))
    for digits in ("12", "abc", "١", "#*#*" * 20, "9\x00"):
        again = Twiml.of(call(menu.action("Gather"), Digits=digits))
        assert again.verbs == ["Say", "Gather"] and again.query("Gather")["n"] == "main"
    control_only = Twiml.of(call(menu.action("Gather"), Digits="\x00\x07"))
    assert control_only.verbs == ["Gather"]  # nothing printable pressed: silence


def test_medical_help_warns_to_ring_120_first(station, call):
    menu = Twiml.of(call(Twiml.of(call()).action("Gather"), Digits="1"))
    medical = Twiml.of(call(menu.action("Gather"), Digits="3"))
    assert "120" in medical.says()[0]
    assert medical.query("Record")["n"] == "vm_medical"


def test_forward_rings_each_phone_then_falls_to_voicemail(station, call, db_session):
    menu = Twiml.of(call(Twiml.of(call()).action("Gather"), Digits="1"))
    ringing = Twiml.of(call(menu.action("Gather"), Digits="0"))
    dial = ringing.verb("Dial")
    assert dial.get("callerId") == HOTLINE and dial.get("timeout") == "20"
    assert [n.text for n in dial.iter("Number")] == ["+8613800000001"]

    second = Twiml.of(call(ringing.action("Dial"), DialCallStatus="no-answer"))
    assert [n.text for n in second.verb("Dial").iter("Number")] == ["+8613800000002"]
    assert second.query("Dial")["r"] == "1"

    voicemail = Twiml.of(call(second.action("Dial"), DialCallStatus="busy"))
    assert voicemail.verbs[-1] == "Record" and voicemail.query("Record")["n"] == "vm_general"


def test_a_forward_answered_by_a_worker_is_logged_as_answered(station, call, db_session):
    menu = Twiml.of(call(Twiml.of(call()).action("Gather"), Digits="1"))
    ringing = Twiml.of(call(menu.action("Gather"), Digits="0"))
    done = Twiml.of(call(ringing.action("Dial"), DialCallStatus="completed"))
    assert done.verbs == ["Hangup"]
    assert _call(db_session).outcome is CallOutcome.ANSWERED


def test_outside_opening_hours_the_worker_option_leaves_a_message(station, call, db_session):
    station.twenty_four_hours = False
    station.opening_hours = {}  # never open
    db_session.commit()
    menu = Twiml.of(call(Twiml.of(call()).action("Gather"), Digits="1"))
    closed = Twiml.of(call(menu.action("Gather"), Digits="0"))
    assert "现在不是值班时间" in closed.text()
    assert closed.verbs[-1] == "Record" and closed.query("Record")["n"] == "vm_general"


def test_an_unknown_number_hears_a_polite_message_and_can_leave_a_voicemail(call, db_session):
    heard = Twiml.of(call(To="+862000000000"))
    assert "暂未开通" in heard.text()
    assert heard.verbs[-1] == "Record"
    logged = _call(db_session)
    assert logged.station_id is None and logged.to_number == "+862000000000"


def test_transfer_hands_the_caller_to_another_station(station, other_station, call, db_session):
    from ivr.menus.versions import save_version

    document = """
start: hello
languages: [zh]
nodes:
  hello:
    kind: transfer
    prompt: {zh: 正在为您转接您所在街道的社工站。}
    station: baiyun-tongde
"""
    save_version(db_session, station, document, publish=True)
    db_session.commit()
    heard = Twiml.of(call())
    assert heard.says()[0] == "正在为您转接您所在街道的社工站。"
    assert "同德街" in heard.says()[1]
    logged = _call(db_session)
    assert logged.transferred_to_station_id == other_station.id
    assert logged.outcome is CallOutcome.TRANSFERRED
    next_step = Twiml.of(call(heard.action("Gather"), Digits="2"))
    assert next_step.query("Record")["n"] == "vm_medicine"
    assert OTHER_HOTLINE  # the other station's own number is not involved in a transfer


def test_a_menu_published_mid_call_does_not_change_the_call(station, call, db_session):
    first = Twiml.of(call())
    from ivr.menus.versions import save_version

    save_version(
        db_session,
        station,
        "start: bye\nlanguages: [zh]\nnodes:\n  bye:\n    kind: hangup\n    prompt: {zh: 再见}\n",
        publish=True,
    )
    db_session.commit()
    menu = Twiml.of(call(first.action("Gather"), Digits="1"))
    assert "生活物资" in menu.text()
    assert db_session.scalar(select(MenuVersion.version).order_by(MenuVersion.version.desc())) == 2


def test_a_caller_who_reached_the_voicemail_and_hung_up_is_owed_a_call_back(
    station, call, db_session
):
    menu = Twiml.of(call(Twiml.of(call()).action("Gather"), Digits="1"))
    call(menu.action("Gather"), Digits="2")  # medicine, then hangs up at the beep
    call("/twilio/status", CallStatus="completed", CallDuration="31")
    logged = _call(db_session)
    # Reached the voicemail node: not abandoned, whatever Twilio sends next.
    assert logged.outcome is CallOutcome.VOICEMAIL and logged.duration_seconds == 31
    ticket = db_session.scalars(select(Ticket)).one()
    assert ticket.source.value == "voicemail" and ticket.station_id == station.id
    assert [t.code for t in ticket.tags] == ["medicine"]
    assert ticket.caller_number == RESIDENT
    assert ticket.events[0].data["no_recording"] is True


def test_a_caller_who_chose_a_need_and_hung_up_in_the_menu_is_owed_a_call_back(
    station, call, db_session
):
    save_version(db_session, station, NEED_THEN_MENU, publish=True)
    db_session.commit()
    call(Twiml.of(call()).action("Gather"), Digits="1")  # food, then a menu: hangs up there
    call("/twilio/status", CallStatus="completed", CallDuration="12")
    assert _call(db_session).outcome is CallOutcome.ABANDONED
    ticket = db_session.scalars(select(Ticket)).one()
    assert ticket.source.value == "abandoned"
    assert [t.code for t in ticket.tags] == ["abandoned", "food"]


def test_no_ticket_for_an_abandoned_call_when_the_station_says_so(station, call, db_session):
    station.ticket_on_abandon = False
    save_version(db_session, station, NEED_THEN_MENU, publish=True)
    db_session.commit()
    call(Twiml.of(call()).action("Gather"), Digits="1")
    call("/twilio/status", CallStatus="completed", CallDuration="31")
    assert _call(db_session).outcome is CallOutcome.ABANDONED
    assert db_session.scalars(select(Ticket)).all() == []


NEED_THEN_MENU = """
start: main
languages: [zh]
nodes:
  main:
    kind: menu
    prompt: {zh: 生活物资请按1}
    options:
      1: {next: more, need: food}
    fallback: more
  more:
    kind: menu
    prompt: {zh: 米面请按1}
    options:
      1: {next: vm}
    fallback: vm
  vm:
    kind: voicemail
    prompt: {zh: 请留言}
    thanks: {zh: 谢谢}
"""


def test_hanging_up_before_choosing_anything_opens_no_ticket(station, call, db_session):
    call()
    call("/twilio/status", CallStatus="completed", CallDuration="4")
    assert _call(db_session).outcome is CallOutcome.ABANDONED
    assert db_session.scalars(select(Ticket)).all() == []


def test_twilio_retries_are_logged_once_and_answered_alike(station, call, db_session):
    first = call(headers={"I-Twilio-Idempotency-Token": "retry-1"})
    second = call(headers={"I-Twilio-Idempotency-Token": "retry-1"})
    assert first.get_data() == second.get_data()
    repeat = Twiml.of(call(Twiml.of(first).action("Gather"), Digits="1"))
    again = Twiml.of(call(Twiml.of(first).action("Gather"), Digits="1"))
    assert repeat.says() == again.says()
    events = db_session.scalars(select(CallEvent).order_by(CallEvent.id)).all()
    assert [e.kind for e in events] == ["incoming", "node", "keys", "node"]
    assert db_session.scalars(select(Call)).all() == [_call(db_session)]


def test_status_callbacks_before_any_step_and_out_of_order(station, call, db_session):
    call("/twilio/status", CallStatus="ringing")
    call("/twilio/status", CallStatus="completed", CallDuration="12")
    call("/twilio/status", CallStatus="completed", CallDuration="12")
    call("/twilio/status", CallStatus="in-progress")
    logged = _call(db_session)
    assert logged.status == "completed" and logged.duration_seconds == 12
    assert logged.station_id == station.id and logged.ended_at is not None
    assert [e.kind for e in logged.events] == ["status", "status", "status"]
