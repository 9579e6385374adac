"""The test call plays a call-back node: it says what would happen, and writes nothing."""

# ruff: noqa: F811 - the test call's fixtures, imported, are the tests' arguments

from __future__ import annotations

from sqlalchemy import func, select

from ivr.menus.versions import save_version
from models import CallbackRequest
from tests.ivr.admin.test_test_call import (  # noqa: F401 - fixtures shared with the test call
    TestCaller,
    caller,
    rows,
    station_a,
)

MENU = """\
start: main
languages: [zh]
nodes:
  main:
    kind: menu
    prompt: {zh: 需要回电请按1后挂机。}
    options: {1: ring_me}
    fallback: ring_me
  ring_me:
    kind: callback
    prompt: {zh: 好的，请挂机，我们马上给您回电。}
    next: welcome_back
  welcome_back:
    kind: message
    prompt: {zh: 这是社工站给您的回电。}
    next: bye
  bye: {kind: hangup}
"""
NUMBER = "+8613600000001"


def _publish(db_session, station) -> None:
    save_version(db_session, station, MENU, publish=True)
    db_session.commit()


def test_it_says_who_would_be_rung_back_from_which_number_into_which_node(
    caller, station_a, db_session
):
    _publish(db_session, station_a)
    before = rows(db_session)
    token = caller.browser.token(caller.url)
    form = {"csrf_token": token, "event": "start", "version": "live", "at": "2026-03-02T10:00"}
    caller._post({**form, "caller": NUMBER}).press("1")
    outcome = caller.outcome()
    hotline = station_a.hotline_numbers[0].number
    assert outcome == {
        "type": "outcome",
        "kind": "callback",
        "number": NUMBER,
        "hotline": hotline,
        "node": "welcome_back",
    }
    assert f"约 1 分钟后从 {hotline} 回拨 {NUMBER}" in caller.text()
    assert "好的，请挂机" in caller.last_said()
    assert rows(db_session) == before
    assert db_session.scalar(select(func.count()).select_from(CallbackRequest)) == 0


def test_when_closed_it_says_a_ticket_would_be_opened(caller, station_a, db_session):
    _publish(db_session, station_a)
    station_a.twenty_four_hours = False
    station_a.opening_hours = {"mon": [["09:00", "17:00"]]}
    db_session.commit()
    caller.start(at="2026-03-02T20:00").press("1")
    assert caller.outcome()["kind"] == "callback_ticket"
    assert "建立回电工单" in caller.text()
