"""Every figure of November 2026, checked against numbers worked out by hand.

Three stations in two districts, each on its own clock:
- A 南洲街 (haizhu-nanzhou), 海珠区, Asia/Shanghai (UTC+8): November is
  [2026-10-31 16:00Z, 2026-11-30 16:00Z);
- B 凤阳街 (haizhu-fengyang), 海珠区, Asia/Tokyo (UTC+9): [10-31 15:00Z, 11-30 15:00Z);
- C 同德街 (baiyun-tongde), 白云区, Asia/Urumqi (UTC+6): [10-31 18:00Z, 11-30 18:00Z).
Every row's comment says where it falls locally and which figures it feeds; the expected
values below are tallied from those comments, not computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import count

import pytest
from sqlalchemy import select

from ivr.stats.figures import build_report, resolve_scope
from ivr.stats.report import Durations, Period
from ivr.tickets.scope import Scope
from models import (
    CallDirection,
    Caller,
    CallerVulnerability,
    CallOutcome,
    District,
    ResolutionCategory,
    Role,
    Station,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
    Voicemail,
    VoicemailState,
    Vulnerability,
)
from tests import factories

NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))
NOW = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)  # every November day has ended everywhere


def at(text: str) -> datetime:
    """'2026-11-01 03:31:00' read as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class Month:
    a: Station
    b: Station
    c: Station
    haizhu: District
    baiyun: District


def build_month(session) -> Month:  # type: ignore[no-untyped-def]
    haizhu = factories.district(session, "haizhu", "海珠区")
    baiyun = factories.district(session, "baiyun", "白云区")
    a = factories.station(session, haizhu, "haizhu-nanzhou", name_zh="南洲街")
    b = factories.station(
        session, haizhu, "haizhu-fengyang", name_zh="凤阳街", timezone="Asia/Tokyo"
    )
    c = factories.station(
        session, baiyun, "baiyun-tongde", name_zh="同德街", timezone="Asia/Urumqi"
    )

    def person(number: str, *flags: Vulnerability) -> Caller:
        row = Caller(phone_number=number, name="")
        row.vulnerabilities = [CallerVulnerability(flag=f) for f in flags]
        session.add(row)
        session.flush()
        return row

    p1 = person("+8613900000001", Vulnerability.DIBAO, Vulnerability.LONE_ELDERLY)
    p2 = person("+8613900000002")
    p3 = person("+8613900000003", Vulnerability.TEKUN)
    p4 = person("+8613900000004", Vulnerability.SEVERE_DISABILITY)
    p5 = person("+8613900000005", Vulnerability.DIBAO)

    def call(station, when, outcome, who=None, number=None, direction=CallDirection.INBOUND):  # type: ignore[no-untyped-def]
        factories.call(
            session,
            station,
            started_at=at(when),
            outcome=outcome,
            status="completed",
            direction=direction,
            caller_id=who.id if who else None,
            from_number=who.phone_number if who else number,
        )

    o = CallOutcome
    # A (UTC+8)
    call(a, "2026-10-31 15:59:59", o.ANSWERED, p1)  # Oct 31 23:59:59: outside
    call(a, "2026-10-31 16:00:00", o.ANSWERED, p1)  # Sun Nov 1 00:00: in, h0
    call(a, "2026-11-01 03:30:00", o.VOICEMAIL, p1)  # Sun Nov 1 11:30: same person-time
    call(a, "2026-11-02 02:00:00", o.ABANDONED, p1)  # Mon Nov 2 10:00: new person-time
    call(a, "2026-11-10 01:00:00", o.ANSWERED, p2, direction=CallDirection.CALLBACK)  # not inbound
    call(a, "2026-11-10 01:30:00", o.ABANDONED, number="anonymous")  # Tue Nov 10 09:30
    call(a, "2026-11-10 01:40:00", o.TRANSFERRED, number="")  # Tue 09:40, another person
    call(a, "2026-11-10 02:00:00", o.ANSWERED, p3)  # Tue Nov 10 10:00
    call(a, "2026-11-30 15:59:59", o.COMPLETED, p2)  # Mon Nov 30 23:59:59: in, h23
    call(a, "2026-11-30 16:00:00", o.ANSWERED, p2)  # Dec 1 00:00: outside
    # B (UTC+9)
    call(b, "2026-10-31 15:30:00", o.ANSWERED, p1)  # Sun Nov 1 00:30 (Oct 31 in Shanghai)
    call(b, "2026-11-15 14:59:59", o.VOICEMAIL, p4)  # Sun Nov 15 23:59:59
    call(b, "2026-11-15 15:00:00", o.VOICEMAIL, p4)  # Mon Nov 16 00:00: a second person-time
    call(b, "2026-11-30 15:30:00", o.VOICEMAIL, p2)  # Dec 1 00:30: outside
    # C (UTC+6)
    call(c, "2026-10-31 17:00:00", o.ANSWERED, p5)  # Oct 31 23:00 (Nov 1 in Shanghai): outside
    call(c, "2026-11-20 04:00:00", o.VOICEMAIL, p5)  # Fri Nov 20 10:00
    call(c, "2026-11-20 08:00:00", o.ABANDONED, p5)  # Fri Nov 20 14:00: same person-time
    call(c, "2026-11-30 17:30:00", o.ANSWERED, p5)  # Mon Nov 30 23:30
    # A number no station owns: in no report.
    call(None, "2026-11-10 02:00:00", o.ANSWERED, p2)

    def ticket(station, opened, due, caller=None, **fields):  # type: ignore[no-untyped-def]
        for name in ("first_callback_at", "resolved_at"):
            if isinstance(fields.get(name), str):
                fields[name] = at(fields[name])
        if fields.get("resolved_at"):
            fields.setdefault("status", TicketStatus.RESOLVED)
        return factories.ticket(
            session, station, caller or p2, opened_at=at(opened), due_at=at(due), **fields
        )

    serial = count(1)

    def voicemail(station, when, state, on=None):  # type: ignore[no-untyped-def]
        session.add(
            Voicemail(
                recording_sid=f"RE{next(serial):032d}",
                station_id=station.id,
                ticket_id=on.id if on else None,
                created_at=at(when),
                state=state,
            )
        )
        session.flush()

    def referred(ticket_row, when, source, target):  # type: ignore[no-untyped-def]
        session.add(
            TicketEvent(
                ticket_id=ticket_row.id,
                at=at(when),
                kind=TicketEventKind.REFERRED,
                station_id=source.id,
                data={"from_station": source.code, "to_station": target.code},
            )
        )
        ticket_row.referred_from_station_id = source.id
        ticket_row.station_id = target.id
        session.flush()

    cat = ResolutionCategory
    s = VoicemailState
    # A's tickets. tA1: first voicemail 03:31, call-back 05:01:30 (90 min, before due),
    # resolved Nov 2 04:00 (1469 min, after due: not within, and overdue on Nov 2).
    t_a1 = ticket(a, "2026-11-01 03:32:00", "2026-11-02 03:32:00", p1,
                  first_callback_at="2026-11-01 05:01:30", resolved_at="2026-11-02 04:00:00",
                  resolution_category=cat.FOOD, problems_solved=2)  # fmt: skip
    voicemail(a, "2026-11-01 03:31:00", s.TRANSCRIBED, t_a1)
    # tA2: opened Oct 31 23:00 local (not opened in Nov), no voicemail; call-back Nov 1 00:10
    # (70 min), due Nov 1 23:00, resolved Nov 2 00:00 (1500 min, late: overdue on Nov 1).
    ticket(a, "2026-10-31 15:00:00", "2026-11-01 15:00:00", p3,
           first_callback_at="2026-10-31 16:10:00", resolved_at="2026-11-01 16:00:00",
           resolution_category=cat.MEDICINE, problems_solved=1)  # fmt: skip
    # tA3: opened Nov 30 23:00, due Dec 1 (not overdue in Nov), its voicemail still waiting.
    t_a3 = ticket(a, "2026-11-30 15:00:00", "2026-12-01 15:00:00")
    voicemail(a, "2026-11-30 14:59:00", s.RECEIVED, t_a3)  # backlog
    # tA4: voicemail failed; called back after 32 min, never resolved: overdue (Nov 20).
    t_a4 = ticket(a, "2026-11-20 02:00:00", "2026-11-20 03:00:00", p3,
                  first_callback_at="2026-11-20 02:30:00")  # fmt: skip
    voicemail(a, "2026-11-20 01:58:00", s.FAILED, t_a4)
    # tA5: call-back after 20 min, resolved exactly when due (60 min, within, not overdue).
    ticket(a, "2026-11-25 00:00:00", "2026-11-25 01:00:00", p4,
           first_callback_at="2026-11-25 00:20:00", resolved_at="2026-11-25 01:00:00",
           resolution_category=cat.FOOD, problems_solved=3)  # fmt: skip
    # A's other voicemails: the edges, one final without text, one outside waiting.
    voicemail(a, "2026-10-31 15:59:59", s.FAILED)  # Oct 31: outside
    voicemail(a, "2026-10-31 16:00:00", s.NO_AUDIO)  # Nov 1 00:00: counted, neither
    voicemail(a, "2026-11-30 16:00:00", s.FETCHED)  # Dec 1: outside
    # tR: left a voicemail at A Nov 11 23:59Z (A's Nov 12), opened at A, referred to B
    # Nov 12 01:00Z; B called back after 181 min and resolved it Nov 12 15:30Z (Nov 13 in
    # Tokyo), 931 min, before due. Counts at B (opened Nov 12, resolved Nov 13).
    t_r = ticket(a, "2026-11-12 00:00:00", "2026-11-13 00:00:00", p5,
                 first_callback_at="2026-11-12 03:00:00", resolved_at="2026-11-12 15:30:00",
                 resolution_category=cat.EMOTIONAL, problems_solved=1)  # fmt: skip
    voicemail(a, "2026-11-11 23:59:00", s.TRANSCRIBED, t_r)
    referred(t_r, "2026-11-12 01:00:00", a, b)  # A sent, B received
    # tX: opened at C, referred to A Nov 5 12:00Z (C's Nov 5 18:00, A's Nov 5 20:00);
    # opened in Nov at A, due Dec 10.
    t_x = ticket(c, "2026-11-05 10:00:00", "2026-12-10 00:00:00", p4)
    referred(t_x, "2026-11-05 12:00:00", c, a)
    # tE: opened at A Oct 31 15:00Z and referred to B 15:30Z: A's Oct 31 (nothing for A
    # in Nov), B's Nov 1 (opened at B, received by B). Resolved Nov 1 01:00Z without a
    # call-back: 600 min, before due (Nov 2 00:00 Tokyo, not overdue).
    t_e = ticket(a, "2026-10-31 15:00:00", "2026-11-01 15:00:00", p1,
                 resolved_at="2026-11-01 01:00:00",
                 resolution_category=cat.POLICY, problems_solved=4)  # fmt: skip
    referred(t_e, "2026-10-31 15:30:00", a, b)
    # B's voicemails
    voicemail(b, "2026-11-15 14:59:59", s.TRANSCRIBED)  # Nov 15 23:59:59
    voicemail(b, "2026-11-15 15:00:00", s.FETCHED)  # Nov 16: backlog
    voicemail(b, "2026-11-30 15:30:00", s.RECEIVED)  # Dec 1: outside
    # C: tC1 opened Nov 30 23:00 local, due 23:59 and unresolved (overdue); called back
    # Dec 1 00:30 local (not in Nov); its voicemail waits for transcription.
    t_c1 = ticket(c, "2026-11-30 17:00:00", "2026-11-30 17:59:00", p5,
                  first_callback_at="2026-11-30 18:30:00")  # fmt: skip
    voicemail(c, "2026-11-30 16:59:00", s.FETCHED, t_c1)
    voicemail(c, "2026-10-31 17:30:00", s.FAILED)  # Oct 31 23:30: outside
    # The unassigned queue (no station): in no report.
    ticket(None, "2026-11-10 00:00:00", "2026-11-10 01:00:00")
    # Nothing changed after Dec 2, whatever the clock says (the rollup tests rely on it).
    for row in session.scalars(select(Ticket)):
        row.updated_at = at("2026-12-02 00:00:00")
    session.commit()
    return Month(a, b, c, haizhu, baiyun)


def zeros(n: int) -> list[int]:
    return [0] * n


def hours(**counts: int) -> tuple[int, ...]:
    row = zeros(24)
    for key, n in counts.items():
        row[int(key[1:])] = n
    return tuple(row)


EMPTY = Durations(count=0, median_minutes=None, p90_minutes=None, within_sla=0)
NO_PROBLEMS = {"food": 0, "medicine": 0, "medical": 0, "emotional": 0, "policy": 0, "other": 0}
NO_FLAGS = {
    "dibao": 0,
    "dishou": 0,
    "tekun": 0,
    "lone_elderly": 0,
    "child_in_difficulty": 0,
    "severe_disability": 0,
}


def week(**days: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    order = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    return tuple(days.get(d, tuple(zeros(24))) for d in order)


@pytest.fixture
def month(db_session) -> Month:
    return build_month(db_session)


def report(session, spec: str, **kw):  # type: ignore[no-untyped-def]
    return build_report(session, resolve_scope(session, spec), NOVEMBER, now=NOW, **kw)


def test_station_a(db_session, month):
    f = report(db_session, "station:haizhu-nanzhou").totals
    assert (f.calls_received, f.calls_answered, f.calls_to_voicemail, f.calls_abandoned) == (
        7,
        2,
        1,
        2,
    )
    # P1 on Nov 1 and Nov 2, P2 on Nov 30, P3 and two withheld numbers on Nov 10.
    assert f.person_times == 6
    assert f.vulnerable_served == {**NO_FLAGS, "dibao": 2, "lone_elderly": 2, "tekun": 1}
    assert (f.voicemails, f.transcription_backlog, f.transcription_failed) == (5, 1, 1)
    # opened: tA1 tA3 tA4 tA5 tX; resolved: tA1 tA2 tA5; overdue: tA1 tA2 tA4
    assert (f.tickets_opened, f.tickets_resolved, f.tickets_overdue) == (5, 3, 3)
    # minutes 20 32 70 90: nearest rank 2 of 4 and 4 of 4
    assert f.first_callback == Durations(count=4, median_minutes=32, p90_minutes=90, within_sla=4)
    # 60 1469 1500: rank 2 and 3 of 3; only tA5 (resolved exactly when due) within
    assert f.resolution == Durations(count=3, median_minutes=1469, p90_minutes=1500, within_sla=1)
    assert f.problems_solved == {**NO_PROBLEMS, "food": 5, "medicine": 1}
    assert (f.referrals_sent, f.referrals_received) == (1, 1)
    assert f.calls_by_hour == hours(h0=1, h9=2, h10=2, h11=1, h23=1)
    assert f.calls_by_weekday == (2, 3, 0, 0, 0, 0, 2)
    assert f.calls_by_weekday_hour == week(
        mon=hours(h10=1, h23=1), tue=hours(h9=2, h10=1), sun=hours(h0=1, h11=1)
    )


def test_station_b_in_tokyo(db_session, month):
    f = report(db_session, "station:haizhu-fengyang").totals
    assert (f.calls_received, f.calls_answered, f.calls_to_voicemail, f.calls_abandoned) == (
        3,
        1,
        2,
        0,
    )
    assert f.person_times == 3  # P1 Nov 1, P4 Nov 15 and Nov 16
    assert f.vulnerable_served == {
        **NO_FLAGS,
        "dibao": 1,
        "lone_elderly": 1,
        "severe_disability": 2,
    }
    assert (f.voicemails, f.transcription_backlog, f.transcription_failed) == (2, 1, 0)
    assert (f.tickets_opened, f.tickets_resolved, f.tickets_overdue) == (2, 2, 0)
    assert f.first_callback == Durations(count=1, median_minutes=181, p90_minutes=181, within_sla=1)
    # 600 931: the nearest-rank median of two is the lower
    assert f.resolution == Durations(count=2, median_minutes=600, p90_minutes=931, within_sla=2)
    assert f.problems_solved == {**NO_PROBLEMS, "emotional": 1, "policy": 4}
    assert (f.referrals_sent, f.referrals_received) == (0, 2)
    assert f.calls_by_hour == hours(h0=2, h23=1)
    assert f.calls_by_weekday_hour == week(mon=hours(h0=1), sun=hours(h0=1, h23=1))


def test_station_c_in_urumqi(db_session, month):
    f = report(db_session, "station:baiyun-tongde").totals
    assert (f.calls_received, f.calls_answered, f.calls_to_voicemail, f.calls_abandoned) == (
        3,
        1,
        1,
        1,
    )
    assert f.person_times == 2
    assert f.vulnerable_served == {**NO_FLAGS, "dibao": 2}
    assert (f.voicemails, f.transcription_backlog, f.transcription_failed) == (1, 1, 0)
    assert (f.tickets_opened, f.tickets_resolved, f.tickets_overdue) == (1, 0, 1)
    assert f.first_callback == EMPTY
    assert f.resolution == EMPTY
    assert f.problems_solved == NO_PROBLEMS
    assert (f.referrals_sent, f.referrals_received) == (1, 0)
    assert f.calls_by_weekday_hour == week(mon=hours(h23=1), fri=hours(h10=1, h14=1))


def test_district_sums_its_stations_and_counts_an_inner_referral_both_ways(db_session, month):
    r = report(db_session, "district:海珠区")
    assert r.scope.station_ids == (month.b.id, month.a.id)  # by code
    f = r.totals
    assert (f.calls_received, f.person_times, f.voicemails) == (10, 9, 7)
    assert (f.tickets_opened, f.tickets_resolved, f.tickets_overdue) == (7, 5, 3)
    assert (f.referrals_sent, f.referrals_received) == (1, 3)
    assert f.first_callback == Durations(count=5, median_minutes=70, p90_minutes=181, within_sla=5)
    assert f.resolution == Durations(count=5, median_minutes=931, p90_minutes=1500, within_sla=3)
    assert [(row.level, row.code) for row in r.rows] == [
        ("station", "haizhu-fengyang"),
        ("station", "haizhu-nanzhou"),
    ]
    assert [row.figures.calls_received for row in r.rows] == [3, 7]
    assert report(db_session, "district:haizhu").totals == f


def test_city_totals_and_a_row_per_district(db_session, month):
    r = report(db_session, "city")
    f = r.totals
    assert (f.calls_received, f.calls_answered, f.calls_to_voicemail, f.calls_abandoned) == (
        13,
        4,
        4,
        3,
    )
    assert f.person_times == 11
    assert f.vulnerable_served == {
        **NO_FLAGS,
        "dibao": 5,
        "lone_elderly": 3,
        "tekun": 1,
        "severe_disability": 2,
    }
    assert (f.voicemails, f.transcription_backlog, f.transcription_failed) == (8, 3, 1)
    assert (f.tickets_opened, f.tickets_resolved, f.tickets_overdue) == (8, 5, 4)
    # 20 32 70 90 181 / 60 600 931 1469 1500: ranks 3 and 5 of 5
    assert f.first_callback == Durations(count=5, median_minutes=70, p90_minutes=181, within_sla=5)
    assert f.resolution == Durations(count=5, median_minutes=931, p90_minutes=1500, within_sla=3)
    assert f.problems_solved == {
        **NO_PROBLEMS,
        "food": 5,
        "medicine": 1,
        "emotional": 1,
        "policy": 4,
    }
    assert (f.referrals_sent, f.referrals_received) == (2, 3)
    assert f.calls_by_hour == hours(h0=3, h9=2, h10=3, h11=1, h14=1, h23=3)
    assert f.calls_by_weekday == (4, 3, 0, 0, 2, 0, 4)
    assert f.calls_by_weekday_hour == week(
        mon=hours(h0=1, h10=1, h23=2),
        tue=hours(h9=2, h10=1),
        fri=hours(h10=1, h14=1),
        sun=hours(h0=2, h11=1, h23=1),
    )
    assert [(row.level, row.code, row.name_zh) for row in r.rows] == [
        ("district", "baiyun", "白云区"),
        ("district", "haizhu", "海珠区"),
    ]
    assert [row.figures.calls_received for row in r.rows] == [3, 10]
    assert [row.figures.referrals_sent for row in r.rows] == [1, 1]
    assert r.as_of is None  # nothing rolled up: all live
    assert r.generated_at == NOW


def test_without_breakdown_there_are_no_rows(db_session, month):
    assert report(db_session, "city", breakdown=False).rows == ()
    assert report(db_session, "station:haizhu-nanzhou").rows == ()


def test_overdue_counts_only_what_was_due_before_now(db_session, month):
    scope = resolve_scope(db_session, "station:haizhu-nanzhou")
    day = Period(date(2026, 11, 20), date(2026, 11, 20))
    # tA4 is due at 03:00Z (11:00 local) on Nov 20, and still open.
    before = build_report(db_session, scope, day, now=at("2026-11-20 02:59:59"))
    after = build_report(db_session, scope, day, now=at("2026-11-20 03:00:01"))
    assert (before.totals.tickets_overdue, after.totals.tickets_overdue) == (0, 1)
    assert before.totals.first_callback.count == 1


def test_days_still_to_come_count_nothing(db_session, month):
    scope = resolve_scope(db_session, "station:haizhu-nanzhou")
    # On Nov 9 (local), only Nov 1-9 can have happened: the calls of Nov 10 and 30 are not
    # counted even though rows dated then exist.
    r = build_report(db_session, scope, NOVEMBER, now=at("2026-11-09 12:00:00"))
    assert r.totals.calls_received == 3


def test_a_station_viewer_sees_only_its_station(db_session, month):
    worker = Scope(Role.WORKER, station_id=month.a.id, district_id=month.haizhu.id)
    scope = resolve_scope(db_session, "station:haizhu-nanzhou", worker)
    assert scope.station_ids == (month.a.id,)
    assert build_report(db_session, scope, NOVEMBER, now=NOW).totals.calls_received == 7
