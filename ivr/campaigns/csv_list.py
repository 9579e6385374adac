"""A campaign's call list from a CSV: every bad row named by its line, and then nothing changes.

Columns (UTF-8, header row): ``phone`` (required; written as people write it), ``name``
(optional), ``station`` (a station's code or Chinese name; optional for a station's own
campaign, required for a district's). A number the registry lacks becomes a Caller whose
home station is the row's station.
"""

from __future__ import annotations

import csv
import io

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.campaigns import CampaignInvalid
from ivr.campaigns.build import BuildResult, allowed_stations, new_campaign
from ivr.phone import PhoneInvalid, normalise
from models import Caller, CampaignEntry, Station, User

COLUMNS = {"phone", "name", "station"}


class CsvInvalid(CampaignInvalid):
    """Some rows are wrong; ``problems`` names each by its line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _rows(data: bytes) -> list[dict[str, str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvInvalid([str(_l("文件不是 UTF-8 编码"))]) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    if "phone" not in header:
        raise CsvInvalid([str(_l("第 1 行：缺少 phone 列"))])
    unknown = sorted(set(header) - COLUMNS)
    if unknown:
        raise CsvInvalid([str(_l("第 1 行：未知的列 %(names)s", names=", ".join(unknown)))])
    reader.fieldnames = header
    return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]


def _station(row: dict[str, str], by_name: dict[str, Station], default: Station | None):
    wanted = row.get("station", "")
    if not wanted:
        return default
    return by_name.get(wanted)


def parse(session: Session, owner: User, data: bytes) -> list[tuple[str, str, Station]]:
    """(number, name, station) per row, or CsvInvalid naming every bad line."""
    stations = allowed_stations(session, owner)
    by_name = {s.code: s for s in stations} | {s.name_zh: s for s in stations}
    default = stations[0] if len(stations) == 1 else None
    problems: list[str] = []
    seen: dict[str, int] = {}
    parsed = []
    for line, row in enumerate(_rows(data), start=2):
        try:
            number = normalise(row.get("phone", ""))
        except PhoneInvalid as exc:
            problems.append(str(_l("第 %(line)d 行：%(reason)s", line=line, reason=str(exc))))
            continue
        station = _station(row, by_name, default)
        if station is None:
            problems.append(
                str(
                    _l(
                        "第 %(line)d 行：社工站不明或不在你的范围内：%(name)s",
                        line=line,
                        name=row.get("station", "") or "—",
                    )
                )
            )
            continue
        if number in seen:
            problems.append(
                str(_l("第 %(line)d 行：号码与第 %(first)d 行重复", line=line, first=seen[number]))
            )
            continue
        seen[number] = line
        parsed.append((number, row.get("name", "")[:100], station))
    if problems:
        raise CsvInvalid(problems)
    if not parsed:
        raise CsvInvalid([str(_l("文件里没有任何号码"))])
    return parsed


def from_csv(session: Session, owner: User, name: str, data: bytes) -> BuildResult:
    """A campaign of the CSV's residents; CsvInvalid (and no change) if any row is bad."""
    rows = parse(session, owner, data)
    campaign = new_campaign(session, owner, name, {"source": "csv", "rows": len(rows)})
    numbers = [number for number, _name, _station in rows]
    known = {
        c.phone_number: c
        for chunk in range(0, len(numbers), 500)
        for c in session.scalars(
            select(Caller).where(Caller.phone_number.in_(numbers[chunk : chunk + 500]))
        )
    }
    for number, resident, station in rows:
        caller = known.get(number)
        if caller is None:
            caller = Caller(phone_number=number, name=resident, home_station_id=station.id)
            session.add(caller)
            session.flush()
        session.add(
            CampaignEntry(campaign_id=campaign.id, caller_id=caller.id, station_id=station.id)
        )
    session.flush()
    return BuildResult(campaign, len(rows))
