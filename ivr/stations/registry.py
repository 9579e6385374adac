"""The registry of districts and stations: CSV import (all-or-nothing upsert) and export.

Columns of the stations file (UTF-8, header row; lists inside a field are ``;``-separated):

=============== ======== =============================================================
column          required meaning
=============== ======== =============================================================
code            yes      stable identifier, ``[a-z0-9-]``, e.g. ``haizhu-nanzhou``
name_zh         yes      Chinese name, e.g. ``南洲街``
name_en         no       English name
district        yes      a district's code (``haizhu``) or Chinese name (``海珠区``)
hotline_numbers yes      the public numbers, E.164, e.g. ``+862083000001;+862087000001``
languages       no       menu languages in order: ``zh`` Mandarin, ``yue`` Cantonese,
                         ``en`` English (default ``zh``)
timezone        no       IANA name (default ``Asia/Shanghai``)
on_duty_phones  no       phones rung by "speak to a worker", in ring order, E.164
=============== ======== =============================================================
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ivr.formula_guard import guard_text
from ivr.phone import is_e164
from ivr.stations.csv_rows import CsvInvalid, RowError, read_rows, split_list
from models import AuditLog, District, HotlineNumber, OnDutyPhone, Station

STATION_REQUIRED = ("code", "name_zh", "district", "hotline_numbers")
STATION_OPTIONAL = ("name_en", "languages", "timezone", "on_duty_phones")
STATION_COLUMNS = (
    "code",
    "name_zh",
    "name_en",
    "district",
    "hotline_numbers",
    "languages",
    "timezone",
    "on_duty_phones",
)
DISTRICT_COLUMNS = ("code", "name_zh", "name_en")
CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}$")
DEFAULT_TIMEZONE = "Asia/Shanghai"


@dataclass
class StationRow:
    line: int
    code: str
    name_zh: str
    name_en: str
    district_id: int
    hotline_numbers: list[str]
    languages: list[str]
    timezone: str
    on_duty_phones: list[str]


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged"
        )


def _check_code(code: str, line: int, errors: list[RowError]) -> None:
    if not CODE.fullmatch(code):
        errors.append(RowError(line, f"code {code!r} must be 1-64 of a-z, 0-9 and '-'"))


def _check_numbers(numbers: list[str], column: str, line: int, errors: list[RowError]) -> None:
    for number in numbers:
        if not is_e164(number):
            errors.append(
                RowError(line, f"{column}: {number!r} is not an E.164 number like +862083000001")
            )


def _parse_station_row(
    line: int, raw: dict[str, str], districts: dict[str, int], errors: list[RowError]
) -> StationRow | None:
    before = len(errors)
    code = raw["code"]
    _check_code(code, line, errors)
    if not raw["name_zh"]:
        errors.append(RowError(line, "name_zh is empty"))
    district_id = districts.get(raw["district"])
    if district_id is None:
        errors.append(RowError(line, f"unknown district {raw['district']!r}"))
    numbers = split_list(raw["hotline_numbers"])
    if not numbers:
        errors.append(RowError(line, "hotline_numbers is empty; a station needs a number"))
    _check_numbers(numbers, "hotline_numbers", line, errors)
    phones = split_list(raw.get("on_duty_phones", ""))
    _check_numbers(phones, "on_duty_phones", line, errors)
    if len(set(phones)) != len(phones):
        errors.append(RowError(line, "on_duty_phones lists a number twice"))
    languages = split_list(raw.get("languages", "")) or ["zh"]
    for language in languages:
        if not LANGUAGE.fullmatch(language):
            errors.append(RowError(line, f"language {language!r} is not a code like zh, yue, en"))
    timezone = raw.get("timezone") or DEFAULT_TIMEZONE
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(RowError(line, f"unknown timezone {timezone!r}"))
    if len(errors) > before:
        return None
    assert district_id is not None
    return StationRow(
        line=line,
        code=code,
        name_zh=raw["name_zh"],
        name_en=raw.get("name_en", ""),
        district_id=district_id,
        hotline_numbers=numbers,
        languages=languages,
        timezone=timezone,
        on_duty_phones=phones,
    )


def _district_lookup(session: Session) -> dict[str, int]:
    lookup: dict[str, int] = {}
    for district in session.scalars(select(District)):
        lookup[district.code] = district.id
        lookup[district.name_zh] = district.id
    return lookup


def _check_across_rows(session: Session, rows: list[StationRow], errors: list[RowError]) -> None:
    """Duplicates within the file, and numbers that belong to a station not being imported."""
    first_code: dict[str, int] = {}
    first_number: dict[str, int] = {}
    for row in rows:
        if row.code in first_code:
            errors.append(
                RowError(row.line, f"code {row.code!r} repeats line {first_code[row.code]}")
            )
        first_code.setdefault(row.code, row.line)
        for number in row.hotline_numbers:
            if number in first_number:
                errors.append(
                    RowError(
                        row.line, f"hotline number {number} repeats line {first_number[number]}"
                    )
                )
            first_number.setdefault(number, row.line)
    owners = dict(
        session.execute(
            select(HotlineNumber.number, Station.code)
            .join(Station)
            .where(HotlineNumber.number.in_(list(first_number)))
        ).all()
    )
    for row in rows:
        for number in row.hotline_numbers:
            owner = owners.get(number)
            # A number may move between stations only when both are in this file.
            if owner is not None and owner != row.code and owner not in first_code:
                errors.append(
                    RowError(
                        row.line, f"hotline number {number} is already used by station {owner}"
                    )
                )


def parse_stations(session: Session, data: bytes) -> list[StationRow]:
    """Validate a whole stations file; raise CsvInvalid naming every bad line."""
    raw_rows, errors = read_rows(data, STATION_REQUIRED, STATION_OPTIONAL)
    districts = _district_lookup(session)
    rows = [
        row
        for line, raw in raw_rows
        if (row := _parse_station_row(line, raw, districts, errors)) is not None
    ]
    _check_across_rows(session, rows, errors)
    if errors:
        raise CsvInvalid(sorted(errors, key=lambda e: e.line))
    return rows


def _apply_station(session: Session, station: Station, row: StationRow) -> bool:
    """Copy ``row`` onto ``station``; True when anything changed."""
    changed = False
    for attr in ("name_zh", "name_en", "district_id", "languages", "timezone"):
        if getattr(station, attr) != getattr(row, attr):
            setattr(station, attr, getattr(row, attr))
            changed = True
    current = [n.number for n in station.hotline_numbers]
    if sorted(current) != sorted(row.hotline_numbers):
        keep = set(row.hotline_numbers)
        for number in list(station.hotline_numbers):
            if number.number not in keep:
                station.hotline_numbers.remove(number)
        changed = True
    if [p.number for p in station.on_duty_phones] != row.on_duty_phones:
        # A phone that stays on the roster keeps the name and on/off state its admin gave it.
        kept = {p.number: (p.name, p.active) for p in station.on_duty_phones}
        station.on_duty_phones.clear()
        session.flush()
        station.on_duty_phones.extend(
            OnDutyPhone(
                number=n,
                position=i,
                name=kept.get(n, ("", True))[0],
                active=kept.get(n, ("", True))[1],
            )
            for i, n in enumerate(row.on_duty_phones)
        )
        changed = True
    return changed


def _mark_imported(session: Session, station: Station) -> None:
    # A settings form opened before the import is now stale, as after an admin's save.
    station.settings_version = (station.settings_version or 1) + 1
    session.add(
        AuditLog(
            action="stations.import",
            object_type="station",
            object_id=str(station.id),
            station_id=station.id,
            detail={"code": station.code},
        )
    )


def import_stations(session: Session, data: bytes) -> ImportResult:
    """Upsert every station of the file in one transaction, or change nothing at all."""
    rows = parse_stations(session, data)
    existing = {
        s.code: s
        for s in session.scalars(
            select(Station).options(
                selectinload(Station.hotline_numbers), selectinload(Station.on_duty_phones)
            )
        )
    }
    result = ImportResult()
    try:
        stations = []
        for row in rows:
            station = existing.get(row.code)
            if station is None:
                station = Station(code=row.code)
                session.add(station)
                station.hotline_numbers = []
                station.on_duty_phones = []
                result.created.append(row.code)
                _apply_station(session, station, row)
            elif _apply_station(session, station, row):
                result.updated.append(row.code)
                _mark_imported(session, station)
            else:
                result.unchanged.append(row.code)
            stations.append((station, row))
        # Numbers are added after every removal is flushed, so one may move between stations.
        session.flush()
        for station, row in stations:
            have = {n.number for n in station.hotline_numbers}
            station.hotline_numbers.extend(
                HotlineNumber(number=n) for n in row.hotline_numbers if n not in have
            )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return result


def import_districts(session: Session, data: bytes) -> ImportResult:
    """Upsert districts (``code,name_zh,name_en``) in one transaction."""
    raw_rows, errors = read_rows(data, ("code", "name_zh"), ("name_en",))
    seen: dict[str, int] = {}
    for line, raw in raw_rows:
        _check_code(raw["code"], line, errors)
        if not raw["name_zh"]:
            errors.append(RowError(line, "name_zh is empty"))
        if raw["code"] in seen:
            errors.append(RowError(line, f"code {raw['code']!r} repeats line {seen[raw['code']]}"))
        seen.setdefault(raw["code"], line)
    if errors:
        raise CsvInvalid(sorted(errors, key=lambda e: e.line))
    existing = {d.code: d for d in session.scalars(select(District))}
    result = ImportResult()
    for _line, raw in raw_rows:
        district = existing.get(raw["code"])
        values = {"name_zh": raw["name_zh"], "name_en": raw.get("name_en", "")}
        if district is None:
            session.add(District(code=raw["code"], **values))
            result.created.append(raw["code"])
        elif any(getattr(district, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(district, key, value)
            result.updated.append(raw["code"])
        else:
            result.unchanged.append(raw["code"])
    session.commit()
    return result


def guard_row(*cells: str) -> list[str]:
    """Cells as an export writes them: never a live spreadsheet formula (read_rows undoes it)."""
    return [guard_text(cell) for cell in cells]


def export_stations(session: Session) -> str:
    """Every station as CSV in the import format, sorted by code; re-importing changes nothing."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(STATION_COLUMNS)
    stations = session.scalars(
        select(Station)
        .options(
            selectinload(Station.district),
            selectinload(Station.hotline_numbers),
            selectinload(Station.on_duty_phones),
        )
        .order_by(Station.code)
    )
    for s in stations:
        writer.writerow(
            guard_row(
                s.code,
                s.name_zh,
                s.name_en,
                s.district.code,
                ";".join(n.number for n in s.hotline_numbers),
                ";".join(s.languages),
                s.timezone,
                ";".join(p.number for p in s.on_duty_phones),
            )
        )
    return out.getvalue()


def export_districts(session: Session) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(DISTRICT_COLUMNS)
    for d in session.scalars(select(District).order_by(District.code)):
        writer.writerow(guard_row(d.code, d.name_zh, d.name_en))
    return out.getvalue()


__all__ = [
    "CsvInvalid",
    "ImportResult",
    "export_districts",
    "export_stations",
    "import_districts",
    "import_stations",
    "parse_stations",
]
