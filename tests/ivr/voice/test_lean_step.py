"""The lean call step keeps every guarantee: cached stations follow every change, whoever
makes it; outcomes only move up; retries add nothing; a step costs a handful of statements.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event, select, text

from ivr.calls import steps
from ivr.db import database
from ivr.menus.versions import save_version
from models import (
    CALL_PATH,
    CacheGeneration,
    Call,
    CallEvent,
    CallOutcome,
    MenuVersion,
    OnDutyPhone,
)
from tests.conftest import fresh
from tests.ivr.voice.conftest import HOTLINE, OTHER_HOTLINE, RESIDENT
from tests.ivr.voice.helpers import Twiml

HANGUP_MENU = (
    "start: bye\nlanguages: [zh]\nnodes:\n  bye:\n    kind: hangup\n    prompt: {zh: 再见}\n"
)


def _ringing(call, sid: str) -> Twiml:
    """From a new call to the forward in the main menu (1, then 0)."""
    menu = Twiml.of(call(Twiml.of(call(sid=sid)).action("Gather"), sid=sid, Digits="1"))
    return Twiml.of(call(menu.action("Gather"), sid=sid, Digits="0"))


def _rung(twiml: Twiml) -> list[str]:
    dial = twiml.verb("Dial")
    assert dial is not None, twiml.verbs
    return [n.text or "" for n in dial.iter("Number")]


def _generation(db_session) -> int | None:
    fresh(db_session)
    return db_session.scalar(select(CacheGeneration.value).where(CacheGeneration.name == CALL_PATH))


def test_a_roster_change_reaches_the_very_next_call(station, call, db_session):
    assert _rung(_ringing(call, "CA" + "1" * 32)) == ["+8613800000001"]  # now cached
    station.on_duty_phones[0].active = False
    db_session.commit()
    assert _rung(_ringing(call, "CA" + "2" * 32)) == ["+8613800000002"]


def test_a_roster_change_between_two_key_presses_reaches_the_second(station, call, db_session):
    """On PostgreSQL a key press uses the station cache unchecked and its write checks the
    counter: here it finds it moved, writes nothing, and the step is done again."""
    sid = "CA" + "a" * 32
    menu = Twiml.of(call(Twiml.of(call(sid=sid)).action("Gather"), sid=sid, Digits="1"))
    station.on_duty_phones[0].active = False
    db_session.commit()
    token = {"I-Twilio-Idempotency-Token": "after-the-change"}
    ringing = Twiml.of(call(menu.action("Gather"), sid=sid, Digits="0", headers=token))
    assert _rung(ringing) == ["+8613800000002"]
    fresh(db_session)
    logged = db_session.scalars(select(Call).where(Call.call_sid == sid)).one()
    events = db_session.scalars(
        select(CallEvent).where(
            CallEvent.call_id == logged.id, CallEvent.dedupe_key.like("after-the-change:%")
        )
    ).all()
    assert [e.kind for e in events].count("keys") == 1, [(e.kind, e.node) for e in events]
    assert logged.last_node == events[-1].node


def test_a_change_written_by_another_host_in_plain_sql_is_seen(station, call, db_session):
    """No application code runs on the write: the database's triggers tell the cache."""
    assert _rung(_ringing(call, "CA" + "1" * 32)) == ["+8613800000001"]
    db_session.execute(
        text("UPDATE on_duty_phones SET number = '+8613800000009' WHERE position = 0")
    )
    db_session.commit()
    assert _rung(_ringing(call, "CA" + "2" * 32)) == ["+8613800000009"]


def test_a_number_moved_to_another_station_rings_there_next(
    station, other_station, call, db_session
):
    Twiml.of(call(sid="CA" + "1" * 32))
    number = station.hotline_numbers[0]
    number.station_id = other_station.id
    db_session.commit()
    Twiml.of(call(sid="CA" + "2" * 32))
    fresh(db_session)
    moved = db_session.scalars(select(Call).where(Call.call_sid == "CA" + "2" * 32)).one()
    assert moved.station_id == other_station.id and moved.to_number == HOTLINE


def test_a_newly_published_menu_answers_the_next_call(station, call, db_session):
    assert Twiml.of(call(sid="CA" + "1" * 32)).verb("Gather") is not None
    save_version(db_session, station, HANGUP_MENU, publish=True)
    db_session.commit()
    assert Twiml.of(call(sid="CA" + "2" * 32)).verbs == ["Say", "Hangup"]


def test_opening_hours_changed_in_settings_apply_at_once(station, call, db_session):
    assert "+8613800000001" in _rung(_ringing(call, "CA" + "1" * 32))
    station.twenty_four_hours = False
    station.opening_hours = {}  # never open
    db_session.commit()
    closed = _ringing(call, "CA" + "2" * 32)
    assert closed.verb("Dial") is None and closed.verbs[-1] == "Record"


@pytest.mark.parametrize(
    "write",
    [
        "UPDATE stations SET name_en = 'x'",
        "DELETE FROM on_duty_phones",
        "UPDATE hotline_numbers SET label = 'x'",
        "UPDATE menu_versions SET note = 'x'",
    ],
)
def test_every_write_to_a_cached_table_moves_the_counter(station, db_session, write):
    before = _generation(db_session)
    db_session.execute(text(write))
    db_session.commit()
    after = _generation(db_session)
    assert before is not None and after is not None and after > before


def test_writes_elsewhere_leave_the_counter_alone(station, call, db_session):
    before = _generation(db_session)
    Twiml.of(call())  # a call writes calls, callers and call events only
    assert _generation(db_session) == before


def test_an_outcome_is_never_lowered_even_by_a_late_step(station, call, db_session):
    sid = "CA" + "3" * 32
    ringing = _ringing(call, sid)
    Twiml.of(call(ringing.action("Dial"), sid=sid, DialCallStatus="completed"))
    # Twilio retries an earlier key press after the forward was answered.
    menu_again = Twiml.of(call(Twiml.of(call(sid=sid)).action("Gather"), sid=sid, Digits="9"))
    assert menu_again.verbs
    fresh(db_session)
    logged = db_session.scalars(select(Call).where(Call.call_sid == sid)).one()
    assert logged.outcome is CallOutcome.ANSWERED


def test_a_retried_step_adds_no_events_and_answers_alike(station, call, db_session):
    first = Twiml.of(call())
    token = {"I-Twilio-Idempotency-Token": "retry-1"}
    action = first.action("Gather")
    once = call(action, Digits="1", headers=token)
    again = call(action, Digits="1", headers=token)
    assert once.get_data() == again.get_data()
    fresh(db_session)
    keys = db_session.scalars(select(CallEvent).where(CallEvent.kind == "keys")).all()
    assert len(keys) == 1


def test_a_step_for_a_call_never_seen_opens_it(station, call, db_session):
    """The incoming-call webhook was lost (or spooled): the key press still logs a call."""
    sid = "CA" + "4" * 32
    first = Twiml.of(call(sid="CA" + "5" * 32))
    Twiml.of(call(first.action("Gather"), sid=sid, Digits="1"))
    fresh(db_session)
    logged = db_session.scalars(select(Call).where(Call.call_sid == sid)).one()
    assert logged.station_id == station.id and logged.from_number == RESIDENT
    assert logged.caller_id is not None


def test_an_incoming_call_retried_is_logged_once(station, call, db_session):
    sid = "CA" + "b" * 32
    token = {"I-Twilio-Idempotency-Token": "incoming-retry"}
    once = call(sid=sid, headers=token)
    again = call(sid=sid, headers=token)
    assert once.get_data() == again.get_data()
    fresh(db_session)
    logged = db_session.scalars(select(Call).where(Call.call_sid == sid)).one()
    kinds = db_session.scalars(select(CallEvent.kind).where(CallEvent.call_id == logged.id))
    assert list(kinds).count("incoming") == 1
    assert logged.caller_id is not None and logged.last_node is not None


def test_a_withheld_number_is_logged_without_a_caller(station, call, db_session):
    sid = "CA" + "d" * 32
    Twiml.of(call(sid=sid, From="+266696687"))
    fresh(db_session)
    logged = db_session.scalars(select(Call).where(Call.call_sid == sid)).one()
    assert logged.caller_id is None and logged.from_number == "+266696687"


def test_counters_in_the_url_are_plain_digits_or_nothing(station, call, db_session):
    """``²`` passes str.isdigit(); int() refuses it. The caller still hears the menu."""
    action = Twiml.of(call()).action("Gather")
    for odd in ("%C2%B2", "%D9%A3", "99999999999999999999", "-1", ""):
        heard = Twiml.of(call(f"{action}&a={odd}&r={odd}", Digits="7"))
        assert heard.verbs and "对不起，系统暂时出现故障" not in heard.text()


class Statements:
    """Every statement SQLite runs for the app, traced at the driver (``BEGIN`` included),
    by verb; recorded only inside the ``with`` block."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.engine = database(app).webhook_engine
        self.seen: list[str] = []
        self.recording = False
        self.engine.dispose()  # connections made from now on are traced
        event.listen(self.engine, "connect", self._trace)

    def _trace(self, dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.set_trace_callback(self._seen)

    def _seen(self, statement: str) -> None:
        if self.recording:
            words = statement.split()
            self.seen.append(" ".join(words[:2] if words[0] == "BEGIN" else words[:1]).upper())

    def __enter__(self) -> list[str]:
        self.recording = True
        return self.seen

    def __exit__(self, *_exc: object) -> None:
        self.recording = False


SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@SQLITE
def test_a_key_press_is_a_read_and_two_writes(app, station, call):
    statements = Statements(app)
    first = Twiml.of(call())
    Twiml.of(call(first.action("Gather"), Digits="1"))  # the station is cached by now
    with statements as seen:
        Twiml.of(call(first.action("Gather"), Digits="2"))
    # The cache's counter, read without the write lock; then, holding it, the call's new
    # state and its events (the keys, the menu entered: one INSERT for both).
    assert seen == [
        *["BEGIN DEFERRED", "SELECT", "COMMIT"],
        *["BEGIN IMMEDIATE", "UPDATE", "INSERT", "COMMIT"],
    ], seen


@SQLITE
def test_a_new_call_is_a_read_and_three_writes(app, station, call):
    statements = Statements(app)
    Twiml.of(call(sid="CA" + "6" * 32))  # the station is cached by now
    with statements as seen:
        Twiml.of(call(sid="CA" + "7" * 32, From="+8613911112222"))
    # Counter; then the caller (new or known: one upsert), the call with its first
    # step, its events (the call coming in, the language menu).
    assert seen == [
        *["BEGIN DEFERRED", "SELECT", "COMMIT"],
        *["BEGIN IMMEDIATE", "INSERT", "INSERT", "INSERT", "COMMIT"],
    ], seen


@SQLITE
def test_an_unknown_dialled_number_is_remembered_as_unknown(app, call):
    statements = Statements(app)
    Twiml.of(call(sid="CA" + "8" * 32, To=OTHER_HOTLINE))
    with statements as seen:
        Twiml.of(call(sid="CA" + "9" * 32, To=OTHER_HOTLINE))
    assert seen.count("SELECT") == 1, seen  # the counter alone: no station look-up


class RoundTrips:
    """What the app's PostgreSQL connections send, from libpq's own trace: each Sync (ends
    a statement with parameters) or simple Query (BEGIN, COMMIT) is one wait for the
    server. Traced only inside the ``with`` block."""

    def __init__(self, app, folder) -> None:  # type: ignore[no-untyped-def]
        self.engine = database(app).webhook_engine
        self.folder = folder
        self.connections: list = []
        self.engine.dispose()  # connections made from now on are traced
        event.listen(self.engine, "connect", lambda dbapi, _: self.connections.append(dbapi))

    def __enter__(self) -> RoundTrips:
        self.files = []
        for number in range(len(self.connections)):
            self.files.append(open(self.folder / f"trace{number}.txt", "w"))  # noqa: SIM115
        for connection, trace in zip(self.connections, self.files, strict=True):
            connection.pgconn.trace(trace.fileno())
        return self

    def __exit__(self, *_exc: object) -> None:
        for connection in self.connections:
            connection.pgconn.untrace()
        for trace in self.files:
            trace.close()

    def sent(self) -> list[str]:
        """The messages the client sent, in order (``Parse``, ``Bind``, ``Sync`` …)."""
        lines = (
            line.split("\t")
            for trace in self.files
            for line in open(trace.name).read().splitlines()  # noqa: SIM115
        )
        return [f[3].strip() for f in lines if len(f) > 3 and f[1] == "F"]

    def waits(self) -> list[str]:
        """The messages the client waited on (``Sync`` or ``Query``), in order."""
        return [message for message in self.sent() if message in ("Sync", "Query")]


POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@POSTGRESQL
def test_on_postgresql_a_key_press_is_one_round_trip(app, station, call, tmp_path):
    trips = RoundTrips(app, tmp_path)
    first = Twiml.of(call())
    for _ in range(6):  # connected, cached, and the statement prepared (at its 6th run)
        Twiml.of(call(first.action("Gather"), Digits="1"))
    with trips:
        Twiml.of(call(first.action("Gather"), Digits="2"))
    # The call's state, its events and the counter's check in one statement, committed
    # as it runs: no BEGIN, no COMMIT; prepared (bound and run, not parsed again).
    assert trips.waits() == ["Sync"], trips.sent()
    assert "Parse" not in trips.sent(), trips.sent()


@POSTGRESQL
def test_on_postgresql_a_new_call_is_two_round_trips(app, station, call, tmp_path):
    trips = RoundTrips(app, tmp_path)
    Twiml.of(call(sid="CA" + "6" * 32))
    with trips:
        Twiml.of(call(sid="CA" + "7" * 32, From="+8613911112222"))
    # The counter with the caller's facts; then caller, call and events in one statement.
    assert trips.waits() == ["Sync", "Sync"]


def test_outcome_ranks_cover_every_outcome():
    assert set(steps.OUTCOME_RANK) == set(CallOutcome)


def test_on_duty_phone_inserted_through_the_orm_moves_the_counter(station, db_session):
    before = _generation(db_session)
    db_session.add(OnDutyPhone(station_id=station.id, number="+8613800000003", position=2))
    db_session.commit()
    assert (_generation(db_session) or 0) > (before or 0)


@SQLITE
def test_a_warm_worker_takes_its_first_call_without_looking_anything_up(
    app, station, other_station, call
):
    from ivr.voice.warm_up import warm_call_path

    assert warm_call_path(app) == 2
    statements = Statements(app)
    with statements as seen:
        Twiml.of(call(sid="CA" + "6" * 32, To=OTHER_HOTLINE))
    # The counter, then the writes: no station, number, roster or menu read.
    assert seen == [
        *["BEGIN DEFERRED", "SELECT", "COMMIT"],
        *["BEGIN IMMEDIATE", "INSERT", "INSERT", "INSERT", "COMMIT"],
    ], seen


def test_warming_knows_each_stations_live_menu(app, station, db_session):
    from ivr.stations.directory import directory
    from ivr.voice.warm_up import warm_call_path

    save_version(db_session, station, HANGUP_MENU, publish=True)
    db_session.commit()
    warm_call_path(app)
    with app.app_context():
        from ivr.db import database

        with database(app).readers() as session:
            facts = directory().stations(session.connection()).for_code(session, station.code)
            assert facts is not None
            latest = session.scalar(
                select(MenuVersion.id).order_by(MenuVersion.version.desc()).limit(1)
            )
            assert facts.menu_ref == f"v{latest}"
            assert facts.on_duty_phones == ("+8613800000001", "+8613800000002")
