"""Blocked numbers, through the real webhooks: one short message, hung up, logged, no ticket."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from models import BlockedNumber, Call, CallOutcome, Ticket, Voicemail, utcnow
from tests.conftest import fresh
from tests.ivr.voice.conftest import OTHER_HOTLINE, RESIDENT
from tests.ivr.voice.helpers import Twiml
from tests.ivr.voice.test_lean_step import SQLITE, Statements

SID = "CA" + "b" * 32
UNKNOWN_HOTLINE = "+862083009999"


def _block(db_session, station_id, number=RESIDENT, **fields) -> BlockedNumber:
    row = BlockedNumber(station_id=station_id, number=number, reason="辱骂社工", **fields)
    db_session.add(row)
    db_session.commit()
    return row


def _logged(db_session, sid: str = SID) -> Call:
    fresh(db_session)
    return db_session.scalars(select(Call).where(Call.call_sid == sid)).one()


def _refused(response) -> bool:
    heard = Twiml.of(response)
    return heard.verbs == ["Say", "Hangup"] and "无法接听您的来电" in heard.text()


def test_a_blocked_number_hears_one_message_and_is_logged_without_a_ticket(
    station, call, db_session
):
    _block(db_session, station.id)
    heard = Twiml.of(call(sid=SID))
    assert heard.verbs == ["Say", "Hangup"]
    assert heard.say_languages() == ["cmn-CN"]  # the menu's first language only
    assert "无法接听您的来电" in heard.text() and "一二零" in heard.text()

    # Twilio then reports the call ended: still blocked, not abandoned, nobody owed a call.
    call("/twilio/status", sid=SID, CallStatus="completed", CallDuration="6")
    logged = _logged(db_session)
    assert logged.outcome is CallOutcome.BLOCKED and logged.station_id == station.id
    assert [(e.kind, e.detail.get("list")) for e in logged.events] == [
        ("incoming", None),
        ("blocked", "station"),
        ("status", None),
    ]
    assert db_session.scalars(select(Ticket)).all() == []
    assert db_session.scalars(select(Voicemail)).all() == []


def test_a_retried_incoming_webhook_is_logged_once(station, call, db_session):
    _block(db_session, station.id)
    token = {"I-Twilio-Idempotency-Token": "blocked-retry"}
    first, again = call(sid=SID, headers=token), call(sid=SID, headers=token)
    assert first.get_data() == again.get_data() and _refused(first)
    assert [e.kind for e in _logged(db_session).events] == ["incoming", "blocked"]


def test_a_station_block_is_that_stations_alone(station, other_station, call, db_session):
    _block(db_session, other_station.id)
    assert not _refused(call(sid=SID))  # 南洲街 still takes the call
    assert _refused(call(sid="CA" + "c" * 32, To=OTHER_HOTLINE))
    assert _logged(db_session).outcome is CallOutcome.IN_PROGRESS
    assert Twiml.of(call(sid="CA" + "d" * 32, From="+8613900000000", To=OTHER_HOTLINE)).verbs


def test_the_city_list_applies_at_every_station_and_unknown_numbers(
    station, other_station, call, db_session
):
    _block(db_session, None)
    assert _refused(call(sid=SID))
    assert _refused(call(sid="CA" + "c" * 32, To=OTHER_HOTLINE))
    assert _refused(call(sid="CA" + "d" * 32, To=UNKNOWN_HOTLINE))
    assert [e.detail.get("list") for e in _logged(db_session).events if e.kind == "blocked"] == [
        "city"
    ]


def test_an_expired_block_lets_the_caller_through(station, call, db_session):
    _block(db_session, station.id, expires_at=utcnow() - timedelta(minutes=1))
    heard = Twiml.of(call(sid=SID))
    assert heard.verbs == ["Gather"] and "南洲街" in heard.text()


def test_a_block_added_or_lifted_takes_effect_at_the_next_call(station, call, db_session):
    assert not _refused(call(sid=SID))  # the station and an empty list are cached now
    row = _block(db_session, station.id, expires_at=utcnow() + timedelta(days=7))
    assert _refused(call(sid="CA" + "c" * 32))
    db_session.execute(text("DELETE FROM blocked_numbers WHERE id = :id"), {"id": row.id})
    db_session.commit()
    assert not _refused(call(sid="CA" + "d" * 32))


@pytest.mark.parametrize(
    "write",
    [
        "INSERT INTO blocked_numbers (number, reason, created_at) "
        "VALUES ('+8613900000001', 'x', CURRENT_TIMESTAMP)",
        "UPDATE blocked_numbers SET reason = 'y'",
        "DELETE FROM blocked_numbers",
    ],
)
def test_every_write_to_the_block_list_moves_the_call_path_counter(station, db_session, write):
    _block(db_session, station.id)
    counter = "SELECT value FROM cache_generations WHERE name = 'call_path'"
    before = db_session.execute(text(counter)).scalar()
    db_session.execute(text(write))
    db_session.commit()
    assert db_session.execute(text(counter)).scalar() > before


@SQLITE
def test_with_a_block_list_a_call_still_costs_one_read(app, station, call, db_session):
    """The common path: a number on no list; the lists come from the process's cache."""
    _block(db_session, None, number="+8613900000009")
    _block(db_session, station.id, number="+8613900000008")
    statements = Statements(app)
    Twiml.of(call(sid="CA" + "6" * 32))  # stations and lists are cached by now
    with statements as seen:
        Twiml.of(call(sid="CA" + "7" * 32, From="+8613911112222"))
        assert _refused(call(sid="CA" + "8" * 32, From="+8613900000009"))
    one_call = [
        *["BEGIN DEFERRED", "SELECT", "COMMIT"],
        *["BEGIN IMMEDIATE", "INSERT", "INSERT", "INSERT", "COMMIT"],
    ]
    assert seen == one_call + one_call, seen
