"""Building, sharing and working a campaign's call list, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from ivr.campaigns import CampaignInvalid
from ivr.campaigns.assign import assign_round_robin
from ivr.campaigns.build import Criteria, from_registry
from ivr.campaigns.coverage import coverage_by_campaign
from ivr.campaigns.csv_list import CsvInvalid, from_csv
from ivr.campaigns.outcomes import next_try, record_outcome
from models import (
    Caller,
    CallerVulnerability,
    Campaign,
    CampaignEntry,
    CampaignOutcome,
    EntryState,
    Role,
    TicketSource,
    Vulnerability,
    utcnow,
)
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def place(app, db_session):
    with app.test_request_context():
        haizhu = factories.district(db_session, code="haizhu")
        a = factories.station(db_session, haizhu, code="haizhu-nanzhou", name_zh="南洲街")
        b = factories.station(db_session, haizhu, code="haizhu-fengyang", name_zh="凤阳街")
        other = factories.station(db_session, code="baiyun-tongde", name_zh="同德街")
        people = {
            "station_admin": factories.user(db_session, "sa", Role.STATION_ADMIN, a),
            "district_admin": factories.user(db_session, "da", Role.DISTRICT_ADMIN, None, haizhu),
            "a1": factories.user(db_session, "a1", Role.WORKER, a),
            "a2": factories.user(db_session, "a2", Role.WORKER, a),
            "b1": factories.user(db_session, "b1", Role.WORKER, b),
            "o1": factories.user(db_session, "o1", Role.WORKER, other),
        }
        yield {"a": a, "b": b, "other": other, **people}


def resident(session, station, *flags, name="", erased=False):  # type: ignore[no-untyped-def]
    row = factories.caller(session, name=name)
    row.home_station_id = station.id
    row.vulnerabilities = [CallerVulnerability(flag=f) for f in flags]
    if erased:
        row.erased_at = utcnow()
    session.flush()
    return row


def listed(session, campaign) -> set[int]:  # type: ignore[no-untyped-def]
    return set(
        session.scalars(
            select(CampaignEntry.caller_id).where(CampaignEntry.campaign_id == campaign.id)
        )
    )


def test_the_registry_list_takes_flagged_residents_not_contacted_lately(place, db_session):
    lone = resident(db_session, place["a"], Vulnerability.LONE_ELDERLY)
    both = resident(db_session, place["a"], Vulnerability.LONE_ELDERLY, Vulnerability.DIBAO)
    resident(db_session, place["a"], Vulnerability.CHILD_IN_DIFFICULTY)  # other flag
    resident(db_session, place["a"])  # no flag
    resident(db_session, place["a"], Vulnerability.LONE_ELDERLY, erased=True)
    resident(db_session, place["b"], Vulnerability.LONE_ELDERLY)  # another station
    called = resident(db_session, place["a"], Vulnerability.DIBAO)
    factories.call(db_session, place["a"], caller_id=called.id, started_at=utcnow())
    long_ago = resident(db_session, place["a"], Vulnerability.DIBAO)
    factories.call(
        db_session, place["a"], caller_id=long_ago.id, started_at=utcnow() - timedelta(days=40)
    )
    criteria = Criteria(
        (place["a"].id,), (Vulnerability.LONE_ELDERLY, Vulnerability.DIBAO), not_contacted_days=30
    )
    built = from_registry(db_session, place["station_admin"], "独居老人电访", criteria, utcnow())
    db_session.commit()
    assert built.entries == 3
    assert listed(db_session, built.campaign) == {lone.id, both.id, long_ago.id}
    assert built.campaign.station_id == place["a"].id
    entry = db_session.scalars(select(CampaignEntry)).first()
    assert entry.state is EntryState.PENDING and entry.attempts == 0
    assert entry.station_id == place["a"].id


def test_a_station_admin_cannot_reach_past_their_station(place, db_session):
    resident(db_session, place["b"], Vulnerability.LONE_ELDERLY)
    mine = resident(db_session, place["a"], Vulnerability.LONE_ELDERLY)
    criteria = Criteria((place["b"].id,), (Vulnerability.LONE_ELDERLY,))
    built = from_registry(db_session, place["station_admin"], "x", criteria, utcnow())
    assert listed(db_session, built.campaign) == {mine.id}  # B ignored: own station only
    with pytest.raises(CampaignInvalid):
        from_registry(db_session, place["a1"], "x", criteria, utcnow())  # workers build none


def test_a_district_list_spans_its_stations_and_deals_per_station(place, db_session):
    at_a = [resident(db_session, place["a"], Vulnerability.DIBAO) for _ in range(5)]
    at_b = [resident(db_session, place["b"], Vulnerability.DIBAO) for _ in range(3)]
    resident(db_session, place["other"], Vulnerability.DIBAO)  # another district
    built = from_registry(
        db_session, place["district_admin"], "低保", Criteria((), (Vulnerability.DIBAO,)), utcnow()
    )
    assert built.entries == 8 and built.campaign.district_id == place["a"].district_id
    ids = [place[k].id for k in ("a1", "a2", "b1", "o1")]
    dealt = assign_round_robin(db_session, place["district_admin"], built.campaign, ids)
    db_session.commit()
    assert dealt == 8
    by = dict(
        db_session.execute(
            select(CampaignEntry.caller_id, CampaignEntry.assignee_id).where(
                CampaignEntry.campaign_id == built.campaign.id
            )
        ).all()
    )
    assert [by[c.id] for c in at_a] == [place["a1"].id, place["a2"].id] * 2 + [place["a1"].id]
    assert {by[c.id] for c in at_b} == {place["b1"].id}
    assert place["o1"].id not in by.values()


def test_a_station_admin_cannot_assign_another_stations_worker(place, db_session):
    resident(db_session, place["a"], Vulnerability.DIBAO)
    built = from_registry(db_session, place["station_admin"], "x", Criteria(()), utcnow())
    with pytest.raises(CampaignInvalid):
        assign_round_robin(db_session, place["station_admin"], built.campaign, [place["b1"].id])


def test_a_csv_list_makes_unknown_numbers_residents(place, db_session):
    known = resident(db_session, place["a"], name="连姐")
    data = f"phone,name\n{known.phone_number},连姐\n138 1234 5678,王伯\n020-83001234,\n".encode()
    built = from_csv(db_session, place["station_admin"], "名单", data)
    db_session.commit()
    assert built.entries == 3
    numbers = {
        c.phone_number: c
        for c in db_session.scalars(
            select(Caller).where(Caller.id.in_(listed(db_session, built.campaign)))
        )
    }
    assert set(numbers) == {known.phone_number, "+8613812345678", "+862083001234"}
    assert numbers["+8613812345678"].name == "王伯"
    assert numbers["+8613812345678"].home_station_id == place["a"].id


def test_a_bad_csv_row_is_named_by_line_and_nothing_changes(place, db_session):
    callers_before = db_session.scalar(select(func.count()).select_from(Caller))
    data = (
        "phone,name,station\n"
        "13812345678,王伯,\n"
        "not a number,李姐,\n"
        "13812345678,王伯,\n"
        "13900001111,张三,同德街\n"
    ).encode()
    with pytest.raises(CsvInvalid) as refused:
        from_csv(db_session, place["station_admin"], "名单", data)
    db_session.rollback()
    problems = refused.value.problems
    assert [p.split("：")[0] for p in problems] == ["第 3 行", "第 4 行", "第 5 行"]
    assert "同德街" in problems[2]  # another station's name is not the admin's
    assert db_session.scalar(select(func.count()).select_from(Campaign)) == 0
    assert db_session.scalar(select(func.count()).select_from(Caller)) == callers_before


def test_an_unknown_column_refuses_the_file(place, db_session):
    with pytest.raises(CsvInvalid) as refused:
        from_csv(db_session, place["station_admin"], "x", b"phone,age\n13812345678,80\n")
    assert "age" in refused.value.problems[0]


def test_no_answer_is_retried_at_other_times_of_day_then_given_up(place, db_session):
    resident(db_session, place["a"], Vulnerability.DIBAO)
    built = from_registry(db_session, place["station_admin"], "x", Criteria(()), utcnow())
    entry = db_session.scalars(select(CampaignEntry)).one()
    morning = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 in Guangzhou
    record_outcome(db_session, entry, place["a1"], CampaignOutcome.NO_ANSWER, morning)
    first = entry.next_try_at.astimezone(SHANGHAI)
    assert (first.date().day, first.hour, first.minute) == (7, 14, 30)  # that afternoon
    record_outcome(db_session, entry, place["a1"], CampaignOutcome.NO_ANSWER, entry.next_try_at)
    second = entry.next_try_at.astimezone(SHANGHAI)
    assert (second.date().day, second.hour) == (7, 19)  # the evening, the one window left
    record_outcome(db_session, entry, place["a1"], CampaignOutcome.NO_ANSWER, entry.next_try_at)
    assert entry.state is EntryState.GAVE_UP and entry.next_try_at is None
    assert entry.attempts == 3 and len(entry.attempts_made) == 3
    with pytest.raises(CampaignInvalid):
        record_outcome(db_session, entry, place["a1"], CampaignOutcome.REACHED, utcnow())
    assert built.entries == 1


def test_next_try_skips_windows_already_tried():
    evening = datetime(2026, 12, 7, 11, 30, tzinfo=UTC)  # 19:30 local
    later = next_try([evening], evening, SHANGHAI)
    assert later.astimezone(SHANGHAI).hour == 9  # next morning, not the next evening


def test_needs_help_opens_a_ticket_with_its_tags(place, db_session):
    person = resident(db_session, place["a"], Vulnerability.LONE_ELDERLY)
    from_registry(db_session, place["station_admin"], "x", Criteria(()), utcnow())
    entry = db_session.scalars(select(CampaignEntry)).one()
    record_outcome(
        db_session,
        entry,
        place["a1"],
        CampaignOutcome.NEEDS_HELP,
        utcnow(),
        note="药快吃完了",
        tags=["药品", "买菜"],
    )
    db_session.commit()
    ticket = entry.ticket
    assert entry.state is EntryState.NEEDS_HELP
    assert ticket.station_id == place["a"].id and ticket.caller_id == person.id
    assert ticket.source is TicketSource.MANUAL
    assert {t.code for t in ticket.tags} == {"medicine", "买菜"}
    assert ticket.events[0].data["campaign_entry_id"] == entry.id


def test_coverage_counts_reached_attempted_and_total_by_flag(place, db_session):
    for flags in [
        (Vulnerability.LONE_ELDERLY,),
        (Vulnerability.LONE_ELDERLY, Vulnerability.DIBAO),
        (Vulnerability.DIBAO,),
        (),
    ]:
        resident(db_session, place["a"], *flags)
    built = from_registry(db_session, place["station_admin"], "x", Criteria(()), utcnow())
    entries = list(db_session.scalars(select(CampaignEntry).order_by(CampaignEntry.id)))
    record_outcome(db_session, entries[0], place["a1"], CampaignOutcome.REACHED, utcnow())
    record_outcome(db_session, entries[1], place["a1"], CampaignOutcome.NO_ANSWER, utcnow())
    record_outcome(db_session, entries[2], place["a1"], CampaignOutcome.NEEDS_HELP, utcnow())
    db_session.commit()
    coverage = coverage_by_campaign(db_session, CampaignEntry.campaign_id == built.campaign.id)
    result = coverage[built.campaign.id]
    overall = result.overall
    assert (overall.reached, overall.attempted, overall.total, overall.needs_help) == (2, 3, 4, 1)
    lone, dibao = result.by_flag["lone_elderly"], result.by_flag["dibao"]
    assert (lone.reached, lone.attempted, lone.total) == (1, 2, 2)
    assert (dibao.reached, dibao.attempted, dibao.total) == (1, 2, 2)
