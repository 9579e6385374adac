"""One health check of many stations' live menus: read, decode, check.

``lint_stations`` is what the admin page and ``ivr menu lint`` both call. It reads every
fact in one transaction, ends it, measures audio prompts (decoding, cached by content
hash), then runs the checks, which touch neither the database nor files.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from ivr.menus.lint import chains, checks, notices, prompt_levels
from ivr.menus.lint.facts import Subject, read_peers, read_subjects
from ivr.menus.lint.problems import SEVERITY_ORDER, Problem, Severity, sort_key
from ivr.menus.lint.station import LiveStation
from ivr.menus.locate import split_path
from ivr.menus.validate import MenuInvalid, ParsedMenu, parse_menu
from ivr.storage import Storage
from models import utcnow


@dataclass
class LintReport:
    problems: list[Problem]
    stations: int  # how many were checked
    seconds: float = 0.0
    clean_stations: int = field(init=False)

    def __post_init__(self) -> None:
        self.problems.sort(key=sort_key)
        with_problems = {p.station.id for p in self.problems}
        self.clean_stations = self.stations - len(with_problems)

    def counts(self) -> dict[Severity, int]:
        found = dict.fromkeys(SEVERITY_ORDER, 0)
        for problem in self.problems:
            found[problem.severity] += 1
        return found

    def at_least(self, threshold: Severity) -> list[Problem]:
        return [p for p in self.problems if p.severity.at_least(threshold)]


def lint_stations(
    session: Session,
    station_ids: Collection[int],
    *,
    storage: Storage,
    now: datetime | None = None,
    notice_days: int = notices.DEFAULT_NOTICE_DAYS,
) -> LintReport:
    """Every problem with the live menus of the (active) stations ``station_ids``.

    Ends the session's transaction (a commit: it only read) before decoding prompts.
    """
    started = time.perf_counter()
    now = now or utcnow()
    subjects = read_subjects(session, station_ids)
    peers = read_peers(session)
    validator = _Validator(set(peers))
    problems: list[Problem] = []
    live: list[LiveStation] = []
    for subject in subjects:
        parsed = validator.parse(subject)
        if isinstance(parsed, MenuInvalid):
            problems.extend(_invalid(subject, parsed))
            continue
        station = LiveStation(subject, parsed.menu)
        problems.extend(_unreachable(station, parsed))
        live.append(station)
    ages = notices.read_ages(session, live)
    session.commit()  # nothing below reads the database; no transaction across decoding
    rows = [row for station in live for row in prompt_levels.played_rows(station)]
    levels = prompt_levels.levels_of(rows, storage)
    network = chains.TransferNetwork(peers)
    for station in live:
        problems.extend(_station_problems(station, levels, network, ages, now, notice_days))
    return LintReport(problems, len(subjects), time.perf_counter() - started)


def _station_problems(
    station: LiveStation,
    levels: dict[str, prompt_levels.Level],
    network: chains.TransferNetwork,
    ages: notices.NoticeAges,
    now: datetime,
    notice_days: int,
) -> Iterator[Problem]:
    for check in checks.STATION_CHECKS:
        yield from check(station)
    yield from prompt_levels.audio_prompts(station, levels)
    yield from chains.transfer_chains(station, network)
    yield from notices.stale_notices(station, ages, now, notice_days)


class _Validator:
    """The publish-time validator, run once per distinct live text."""

    def __init__(self, known_stations: set[str]) -> None:
        self.known_stations = known_stations
        self._seen: dict[str, ParsedMenu | MenuInvalid] = {}

    def parse(self, subject: Subject) -> ParsedMenu | MenuInvalid:
        text = subject.live.text
        if text not in self._seen:
            try:
                # Play files are checked against each station's library by prompt_levels.
                self._seen[text] = parse_menu(text, known_stations=self.known_stations)
            except MenuInvalid as invalid:
                self._seen[text] = invalid
        return self._seen[text]


def _invalid(subject: Subject, invalid: MenuInvalid) -> Iterator[Problem]:
    for error in invalid.errors:
        node, _field = split_path(error.path)
        yield Problem("menu_invalid", Severity.ERROR, subject.ref, node, error.message)


def _unreachable(station: LiveStation, parsed: ParsedMenu) -> Iterator[Problem]:
    for warning in parsed.warnings:
        node, _field = split_path(warning.path)
        yield station.problem("node_unreachable", Severity.INFO, node, warning.message)
