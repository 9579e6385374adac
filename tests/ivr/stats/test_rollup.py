"""The rollup gives exactly the live figures, shows its age, and catches up on changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from ivr.jobs import refresh_statistics
from ivr.stats.figures import build_report, resolve_scope
from ivr.stats.report import Period
from ivr.stats.rollup import refresh_rollups
from ivr.tickets.actions import reopen
from models import Role, StationDayFigures, Ticket, TicketEvent, TicketEventKind
from tests import factories
from tests.conftest import fresh
from tests.ivr.stats.test_figures import NOVEMBER, NOW, at, build_month

SPECS = ("city", "district:haizhu", "district:baiyun", "station:haizhu-nanzhou")


@pytest.fixture
def month(db_session):
    return build_month(db_session)


def reports(session, now=NOW, period=NOVEMBER):  # type: ignore[no-untyped-def]
    """Each scope's report, from the rollup where it has rows and entirely live."""
    for spec in SPECS:
        scope = resolve_scope(session, spec)
        yield (
            build_report(session, scope, period, now=now),
            build_report(session, scope, period, now=now, use_rollups=False),
        )


def rows_stored(session, complete: bool | None = None) -> int:  # type: ignore[no-untyped-def]
    query = select(func.count()).select_from(StationDayFigures)
    if complete is not None:
        query = query.where(StationDayFigures.complete.is_(complete))
    return session.scalar(query)


def test_rolled_up_figures_equal_live_ones(db_session, month):
    result = refresh_rollups(db_session, now=NOW, since=date(2026, 10, 25))
    # From the first activity (Oct 31 15:00Z: Oct 31 in Shanghai and Urumqi, Nov 1 in
    # Tokyo) to yesterday (Dec 2 everywhere at NOW): 33 + 32 + 33 closed station-days,
    # and today (Dec 3) so far at each station.
    assert rows_stored(db_session, complete=True) == 98
    assert result.station_days == rows_stored(db_session) == 101
    assert result.today_until == NOW - timedelta(minutes=10)
    assert (result.days[0], result.days[-1]) == (date(2026, 10, 31), date(2026, 12, 2))
    for rolled, live in reports(db_session):
        assert rolled.totals == live.totals
        assert rolled.rows == live.rows
        assert (rolled.as_of, live.as_of) == (NOW, None)
    nanzhou = db_session.get(StationDayFigures, (month.a.id, date(2026, 11, 1)))
    assert (nanzhou.calls_received, nanzhou.person_times, nanzhou.computed_at) == (2, 1, NOW)
    assert nanzhou.calls_by_hour[0] == nanzhou.calls_by_hour[11] == 1
    assert nanzhou.first_callback_minutes == [70, 90]


def test_part_rolled_up_part_live_is_still_exact(db_session, month):
    earlier = at("2026-11-20 12:00:00")  # rows up to Nov 19 (Nov 20 not over anywhere)
    refresh_rollups(db_session, now=earlier, since=date(2026, 10, 1))
    closed = select(func.max(StationDayFigures.day)).where(StationDayFigures.complete.is_(True))
    assert db_session.scalar(closed) == date(2026, 11, 19)
    for rolled, live in reports(db_session):
        assert (rolled.totals, rolled.rows) == (live.totals, live.rows)
        assert rolled.as_of == earlier
    # A report of a day with no rows yet, and one of today, are live.
    for rolled, live in reports(db_session, period=Period(date(2026, 11, 25), date(2026, 12, 3))):
        assert (rolled.totals, rolled.as_of) == (live.totals, None)


def test_a_late_change_shows_after_the_next_refresh(db_session, month):
    refresh_rollups(db_session, now=NOW, since=date(2026, 10, 25))
    # Dec 3 05:00Z: tX (opened Nov 5, now at 南洲街) is referred on to 凤阳街. Nov 5 is
    # long past the recent days a refresh always recomputes.
    moment = at("2026-12-03 05:00:00")
    tx = db_session.scalar(select(Ticket).where(Ticket.opened_at == at("2026-11-05 10:00:00")))
    tx.referred_from_station_id, tx.station_id, tx.updated_at = month.a.id, month.b.id, moment
    db_session.add(
        TicketEvent(
            ticket_id=tx.id,
            at=moment,
            kind=TicketEventKind.REFERRED,
            data={"from_station": "haizhu-nanzhou", "to_station": "haizhu-fengyang"},
        )
    )
    fresh(db_session)
    a = resolve_scope(db_session, "station:haizhu-nanzhou")
    stale = build_report(db_session, a, NOVEMBER, now=moment)
    live = build_report(db_session, a, NOVEMBER, now=moment, use_rollups=False)
    assert (stale.totals.tickets_opened, live.totals.tickets_opened) == (5, 4)
    assert stale.as_of == NOW  # the page says how old the figures are
    later = at("2026-12-03 06:00:00")
    result = refresh_rollups(db_session, now=later, days=0, backfill=0)
    # Only the day tX was opened on needs recomputing (it is due after yesterday); and
    # today so far, as every refresh does.
    assert result.days == (date(2026, 11, 5),)
    assert result.station_days == 3 + 3
    for rolled, live in reports(db_session, now=later):
        assert (rolled.totals, rolled.rows) == (live.totals, live.rows)
    assert build_report(db_session, a, NOVEMBER, now=later).totals.tickets_opened == 4


def test_history_is_backfilled_newest_first_a_slice_per_refresh(db_session, month):
    first = refresh_rollups(db_session, now=NOW, days=1, backfill=5)
    # Yesterday (Dec 2), then the five newest days without rows, in every timezone.
    assert first.days == tuple(date(2026, 11, 27) + timedelta(days=n) for n in range(6))
    assert first.station_days == 18 + 3  # and today so far
    second = refresh_rollups(db_session, now=NOW, days=0, backfill=5)
    assert second.days == tuple(date(2026, 11, 22) + timedelta(days=n) for n in range(5))
    assert rows_stored(db_session, complete=True) == 33
    for rolled, live in reports(db_session):
        assert (rolled.totals, rolled.rows) == (live.totals, live.rows)


def test_the_oldest_rolled_up_day_dates_the_report(db_session, month):
    refresh_rollups(db_session, now=NOW, since=date(2026, 10, 25))
    later = NOW + timedelta(hours=1)
    refresh_rollups(db_session, now=later)  # recomputes Nov 30 - Dec 2 only
    recent = Period(date(2026, 11, 30), date(2026, 12, 2))
    for rolled, _live in reports(db_session, now=later, period=recent):
        assert rolled.as_of == later
    for rolled, _live in reports(db_session, now=later):
        assert rolled.as_of == NOW


def test_the_command_and_the_periodic_task_refresh(app, runner, db_session, month):
    assert "nothing rolled up yet" in runner.invoke("stats", "status").output
    done = runner.invoke("stats", "refresh", "--since", "2026-10-25")
    assert done.exit_code == 0, done.output
    assert "station-days" in done.output and "2026-10-31" in done.output
    stored = rows_stored(fresh(db_session))
    assert stored > 0
    status = runner.invoke("stats", "status").output
    assert f"{stored} station-days from 2026-10-31" in status
    bad = runner.invoke("stats", "refresh", "--since", "2026/10/25")
    assert bad.exit_code == 2 and "--since" in bad.output
    db_session.query(StationDayFigures).delete()
    fresh(db_session)
    result = refresh_statistics(app)
    assert result.station_days == rows_stored(fresh(db_session)) > 0
    task = app.extensions["ivr.jobs"].refresh_stats
    assert task.name == "ivr.refresh_stats"
    assert "station-days" in task.call_local()


def test_refreshing_an_empty_database_writes_zero_days(db_session):
    when = datetime(2026, 12, 3, 4, tzinfo=UTC)
    assert refresh_rollups(db_session, now=when).station_days == 0


def test_a_reopened_ticket_leaves_its_old_resolution_day(db_session, month):
    refresh_rollups(db_session, now=NOW, since=date(2026, 10, 25))
    # tA1 (南洲街, opened Nov 1, due and resolved Nov 2 local) is reopened on Dec 3: Nov 2
    # counted it resolved and overdue, and the ticket no longer says so.
    moment = at("2026-12-03 05:00:00")
    t_a1 = db_session.scalar(select(Ticket).where(Ticket.opened_at == at("2026-11-01 03:32:00")))
    worker = factories.user(db_session, "reopener", Role.WORKER, month.a)
    reopen(db_session, t_a1, worker, "居民又来电", moment)
    db_session.commit()
    fresh(db_session)
    a = resolve_scope(db_session, "station:haizhu-nanzhou")
    stale = build_report(db_session, a, NOVEMBER, now=moment)
    live = build_report(db_session, a, NOVEMBER, now=moment, use_rollups=False)
    assert stale.totals.tickets_resolved == live.totals.tickets_resolved + 1
    later = at("2026-12-03 06:00:00")
    result = refresh_rollups(db_session, now=later, days=0, backfill=0)
    assert date(2026, 11, 2) in result.days
    for rolled, live in reports(db_session, now=later):
        assert (rolled.totals, rolled.rows) == (live.totals, live.rows)
