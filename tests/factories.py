"""Small row factories: each test states its own data."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from sqlalchemy.orm import Session

from models import (
    Call,
    Caller,
    District,
    HotlineNumber,
    Role,
    Station,
    Ticket,
    User,
    Voicemail,
    utcnow,
)

_serial = count(1)


def district(session: Session, code: str | None = None, name_zh: str | None = None) -> District:
    n = next(_serial)
    row = District(code=code or f"district-{n}", name_zh=name_zh or f"测试区{n}", name_en="")
    session.add(row)
    session.flush()
    return row


def station(
    session: Session,
    district_row: District | None = None,
    code: str | None = None,
    numbers: tuple[str, ...] | None = None,
    **fields: object,
) -> Station:
    n = next(_serial)
    row = Station(
        code=code or f"station-{n}",
        name_zh=str(fields.pop("name_zh", f"测试街{n}")),
        district=district_row or district(session),
        **fields,
    )
    row.hotline_numbers = [
        HotlineNumber(number=number) for number in (numbers or (f"+8620{90000000 + n}",))
    ]
    session.add(row)
    session.flush()
    return row


def user(
    session: Session,
    username: str,
    role: Role,
    station_row: Station | None = None,
    district_row: District | None = None,
) -> User:
    """A user scoped like ``role``, as ``ivr users create`` makes one, minus the slow
    password hash (``!`` matches no password)."""
    if station_row is not None:
        district_row = station_row.district
    row = User(
        username=username,
        display_name=username,
        password_hash="!",
        role=role,
        station_id=station_row.id if station_row else None,
        district_id=district_row.id if district_row else None,
    )
    session.add(row)
    session.flush()
    return row


def caller(session: Session, number: str | None = None, name: str = "") -> Caller:
    n = next(_serial)
    row = Caller(phone_number=number or f"+86139{10000000 + n}", name=name)
    session.add(row)
    session.flush()
    return row


def ticket(
    session: Session,
    station_row: Station | None,
    caller_row: Caller | None = None,
    **fields: object,
) -> Ticket:
    """An open ticket at ``station_row`` (null: the unassigned queue), due in a day."""
    now = utcnow()
    caller_row = caller_row or caller(session)
    fields.setdefault("opened_at", now)
    fields.setdefault("due_at", now + timedelta(days=1))
    row = Ticket(
        station_id=station_row.id if station_row else None,
        caller_id=caller_row.id,
        caller_number=caller_row.phone_number,
        **fields,
    )
    session.add(row)
    session.flush()
    return row


def call(session: Session, station_row: Station | None, **fields: object) -> Call:
    n = next(_serial)
    fields.setdefault("call_sid", f"CA{n:032d}")
    fields.setdefault("from_number", f"+86139{20000000 + n}")
    fields.setdefault("to_number", station_row.hotline_numbers[0].number if station_row else "")
    row = Call(station_id=station_row.id if station_row else None, **fields)
    session.add(row)
    session.flush()
    return row


def voicemail(session: Session, ticket_row: Ticket, **fields: object) -> Voicemail:
    """A voicemail on ``ticket_row``'s station and caller."""
    n = next(_serial)
    fields.setdefault("recording_sid", f"RE{n:032d}")
    row = Voicemail(
        station_id=ticket_row.station_id,
        caller_id=ticket_row.caller_id,
        ticket_id=ticket_row.id,
        **fields,
    )
    session.add(row)
    session.flush()
    return row
