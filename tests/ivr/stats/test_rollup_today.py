"""Today in the rollup: rolled up to a cutoff, the rest read live, the sum exact."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from ivr.stats.figures import build_report, resolve_scope
from ivr.stats.report import Period
from ivr.stats.rollup import refresh_rollups
from models import Call, CallOutcome, StationDayFigures
from tests import factories
from tests.conftest import fresh
from tests.ivr.stats.test_figures import at, build_month

NOV_20 = Period(date(2026, 11, 20), date(2026, 11, 20))
REFRESHED = at("2026-11-20 02:00:00")  # 10:00 in Shanghai


@pytest.fixture
def month(db_session):
    return build_month(db_session)


def call(session, station, when, number, outcome, status="completed", caller=None):  # type: ignore[no-untyped-def]
    return factories.call(
        session,
        station,
        started_at=at(when),
        from_number=number,
        caller_id=caller,
        outcome=outcome,
        status=status,
    )


@pytest.fixture
def morning(db_session, month):
    """Nov 20 at 南洲街 (UTC+8) up to the refresh at 10:00, which rolls up to 09:40: a
    call still under way started then."""
    p1 = "+8613900000001"  # dibao, lone_elderly
    caller = db_session.scalar(select(Call.caller_id).where(Call.from_number == p1))
    call(db_session, month.a, "2026-11-20 00:00:00", p1, CallOutcome.ANSWERED, caller=caller)
    pending = call(
        db_session, month.a, "2026-11-20 01:40:00", "+8613900000002", CallOutcome.IN_PROGRESS,
        status="in-progress",
    )  # fmt: skip
    db_session.commit()
    result = refresh_rollups(db_session, now=REFRESHED, days=0, backfill=0)
    assert result.today_until == at("2026-11-20 01:40:00")
    # After the refresh: the pending call ends in a voicemail, both callers ring again.
    pending.outcome, pending.status = CallOutcome.VOICEMAIL, "completed"
    call(db_session, month.a, "2026-11-20 02:30:00", "+8613900000002", CallOutcome.ANSWERED)
    call(db_session, month.a, "2026-11-20 03:00:00", p1, CallOutcome.ABANDONED, caller=caller)
    fresh(db_session)
    return month


def test_today_is_its_rolled_up_part_plus_the_rest_read_live(db_session, morning):
    row = db_session.get(StationDayFigures, (morning.a.id, date(2026, 11, 20)))
    assert (row.complete, row.calls_received, row.people) == (False, 1, ["+8613900000001"])
    a = resolve_scope(db_session, "station:haizhu-nanzhou")
    now = at("2026-11-20 04:00:00")
    rolled = build_report(db_session, a, NOV_20, now=now)
    live = build_report(db_session, a, NOV_20, now=now, use_rollups=False)
    assert rolled.totals == live.totals
    assert rolled.as_of == at("2026-11-20 01:40:00")
    f = rolled.totals
    assert (f.calls_received, f.calls_answered, f.calls_to_voicemail, f.calls_abandoned) == (
        4,
        2,
        1,
        1,
    )
    # 13900000001 before and after the cutoff is one person-time, flags counted once.
    assert f.person_times == 2
    assert (f.vulnerable_served["dibao"], f.vulnerable_served["lone_elderly"]) == (1, 1)
    # tA4: opened 10:00, called back 10:30, due 11:00 and still open at 12:00.
    assert (f.tickets_opened, f.first_callback.count, f.tickets_overdue) == (1, 1, 1)
    city = resolve_scope(db_session, "city")
    assert (
        build_report(db_session, city, NOV_20, now=now).totals
        == build_report(db_session, city, NOV_20, now=now, use_rollups=False).totals
    )


def test_a_report_of_an_earlier_moment_ignores_a_later_rolled_up_part(db_session, morning):
    a = resolve_scope(db_session, "station:haizhu-nanzhou")
    early = at("2026-11-20 01:00:00")  # before the rows were computed
    report = build_report(db_session, a, NOV_20, now=early)
    assert report.as_of is None
    assert report.totals.calls_received == 1


def test_once_the_day_is_over_its_partial_row_is_not_used(db_session, morning):
    # A call dated in the rolled-up part arrives late; the partial row does not know it.
    call(db_session, morning.a, "2026-11-20 01:00:00", "+8613900000009", CallOutcome.ANSWERED)
    fresh(db_session)
    a = resolve_scope(db_session, "station:haizhu-nanzhou")
    later = at("2026-11-21 04:00:00")
    report = build_report(db_session, a, NOV_20, now=later)
    assert (report.totals.calls_received, report.as_of) == (5, None)
    refresh_rollups(db_session, now=later, days=1, backfill=0)
    closed = db_session.get(StationDayFigures, (morning.a.id, date(2026, 11, 20)))
    assert (closed.complete, closed.calls_received, closed.people) == (True, 5, [])
    assert build_report(db_session, a, NOV_20, now=later).as_of == later


def test_nothing_is_rolled_up_of_a_day_just_begun(db_session, month):
    just_after_midnight = at("2026-11-19 16:05:00")  # Nov 20 00:05 in Shanghai
    result = refresh_rollups(db_session, now=just_after_midnight, days=0, backfill=0)
    # Shanghai's day is 5 minutes old (under the 10 settling), Tokyo's 1 h 5 min, and
    # Urumqi's day (Nov 19 22:05) nearly over.
    assert result.today_until == just_after_midnight - timedelta(minutes=10)
    rows = db_session.scalars(
        select(StationDayFigures).where(StationDayFigures.complete.is_(False))
    ).all()
    assert sorted((r.station_id, r.day) for r in rows) == sorted(
        [(month.b.id, date(2026, 11, 20)), (month.c.id, date(2026, 11, 19))]
    )


def test_each_call_from_a_withheld_number_is_its_own_person_time(db_session, month):
    """Twilio's placeholders (+266696687 is "ANONYMOUS") are shared by every caller who
    withholds their number: each such call is a person-time, rolled up or read live."""
    resident = "+8613900000009"
    for when, number in [
        ("2026-11-20 00:10:00", "+266696687"),
        ("2026-11-20 00:20:00", "+266696687"),
        ("2026-11-20 00:30:00", "+86282452253"),
        ("2026-11-20 00:40:00", resident),
    ]:
        call(db_session, month.a, when, number, CallOutcome.VOICEMAIL)
    db_session.commit()
    refresh_rollups(db_session, now=REFRESHED, days=0, backfill=0)
    row = db_session.get(StationDayFigures, (month.a.id, date(2026, 11, 20)))
    assert (row.complete, row.person_times, row.people) == (False, 4, [resident])
    # After the cutoff: the same placeholders again, and the resident again.
    for when, number in [
        ("2026-11-20 02:30:00", "+266696687"),
        ("2026-11-20 02:40:00", "+86282452253"),
        ("2026-11-20 02:50:00", resident),
    ]:
        call(db_session, month.a, when, number, CallOutcome.VOICEMAIL)
    fresh(db_session)
    a = resolve_scope(db_session, "station:haizhu-nanzhou")
    for now in (at("2026-11-20 04:00:00"), at("2026-11-21 04:00:00")):
        rolled = build_report(db_session, a, NOV_20, now=now)
        live = build_report(db_session, a, NOV_20, now=now, use_rollups=False)
        assert rolled.totals == live.totals
        assert (rolled.totals.calls_received, rolled.totals.person_times) == (7, 6)
    refresh_rollups(db_session, now=at("2026-11-21 04:00:00"), days=1, backfill=0)
    closed = db_session.get(StationDayFigures, (month.a.id, date(2026, 11, 20)))
    assert (closed.complete, closed.person_times) == (True, 6)
