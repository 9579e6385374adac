"""Small row factories: each test states its own data."""

from __future__ import annotations

from itertools import count

from sqlalchemy.orm import Session

from models import District, HotlineNumber, Station

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
