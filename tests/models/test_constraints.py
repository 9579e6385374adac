from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import (
    Call,
    Caller,
    CallerVulnerability,
    HotlineNumber,
    MenuStatus,
    MenuVersion,
    MenuVersionImmutable,
    Role,
    Station,
    Ticket,
    TicketStatus,
    User,
    Voicemail,
    Vulnerability,
)
from tests import factories


def test_a_hotline_number_belongs_to_one_station(db_session):
    a = factories.station(db_session, numbers=("+862083000001",))
    factories.station(db_session, district_row=a.district, numbers=("+862083000002",))
    db_session.commit()
    db_session.add(HotlineNumber(number="+862083000001", station_id=a.id))
    with pytest.raises(IntegrityError):
        db_session.commit()


@pytest.mark.parametrize(
    "row",
    [
        lambda: [Call(call_sid="CA1"), Call(call_sid="CA1")],
        lambda: [Voicemail(recording_sid="RE1"), Voicemail(recording_sid="RE1")],
        lambda: [Caller(phone_number="+8613800000001"), Caller(phone_number="+8613800000001")],
    ],
    ids=["call_sid", "recording_sid", "caller_number"],
)
def test_twilio_ids_and_caller_numbers_are_unique(db_session, row):
    db_session.add_all(row())
    with pytest.raises(IntegrityError):
        db_session.commit()


def test_one_open_ticket_per_caller_per_station(db_session):
    station = factories.station(db_session)
    caller = Caller(phone_number="+8613800000002")
    db_session.add(caller)
    db_session.flush()
    due = datetime.now(UTC) + timedelta(hours=24)
    first = Ticket(station_id=station.id, caller_id=caller.id, due_at=due)
    db_session.add(first)
    db_session.commit()

    db_session.add(Ticket(station_id=station.id, caller_id=caller.id, due_at=due))
    with pytest.raises(IntegrityError):
        db_session.commit()
    db_session.rollback()

    first.status = TicketStatus.RESOLVED
    db_session.commit()
    db_session.add(Ticket(station_id=station.id, caller_id=caller.id, due_at=due))
    db_session.commit()
    assert db_session.scalar(select(Ticket).where(Ticket.status == TicketStatus.OPEN)) is not None


def test_foreign_keys_are_enforced(db_session):
    db_session.add(Station(code="orphan", name_zh="孤儿站", district_id=999_999))
    with pytest.raises(IntegrityError):
        db_session.commit()


@pytest.mark.parametrize(
    ("role", "needs"),
    [(Role.WORKER, "station"), (Role.STATION_ADMIN, "station"), (Role.DISTRICT_ADMIN, "district")],
)
def test_a_user_scope_matches_the_role(db_session, role, needs):
    db_session.add(User(username=f"u-{role.value}", password_hash="x", role=role))
    with pytest.raises(IntegrityError):
        db_session.commit()


def test_a_published_menu_never_changes(db_session):
    station = factories.station(db_session)
    menu = MenuVersion(station_id=station.id, version=1, document="start: a")
    db_session.add(menu)
    db_session.commit()
    menu.status = MenuStatus.PUBLISHED  # publishing a draft is allowed
    menu.published_at = datetime.now(UTC)
    db_session.commit()

    menu.document = "start: b"
    with pytest.raises(MenuVersionImmutable):
        db_session.commit()


def test_timestamps_come_back_aware_in_utc(db_session):
    shanghai = timezone(timedelta(hours=8))
    started = datetime(2022, 4, 10, 0, 30, tzinfo=shanghai)
    db_session.add(Call(call_sid="CA-tz", started_at=started))
    db_session.commit()
    db_session.expunge_all()
    call = db_session.scalar(select(Call).where(Call.call_sid == "CA-tz"))
    assert call.started_at.tzinfo is not None
    assert call.started_at == started
    assert call.started_at.utcoffset() == timedelta(0)
    assert call.created_at.tzinfo is not None


def test_naive_timestamps_are_refused(db_session):
    db_session.add(Call(call_sid="CA-naive", started_at=datetime(2022, 4, 10, 8, 0)))
    with pytest.raises(Exception, match="naive datetime"):
        db_session.commit()


def test_vulnerability_flags_are_rows(db_session):
    caller = Caller(phone_number="+8613800000003", name="连姐")
    caller.vulnerabilities = [
        CallerVulnerability(flag=Vulnerability.LONE_ELDERLY),
        CallerVulnerability(flag=Vulnerability.DIBAO),
    ]
    db_session.add(caller)
    db_session.commit()
    db_session.expunge_all()
    stored = db_session.scalar(select(Caller).where(Caller.name == "连姐"))
    assert stored.flags == {Vulnerability.LONE_ELDERLY, Vulnerability.DIBAO}
