"""``ivr menu lint``: the city-wide menu health check, for people and scheduled jobs."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from ivr.db import get_session
from ivr.menus.lint import DEFAULT_NOTICE_DAYS, LintReport, Problem, Severity, lint_stations
from ivr.stats.scopes import ScopeNotFound, resolve_scope
from ivr.storage import storage

SEVERITIES = [s.value for s in Severity]


@click.command(
    "lint",
    help=(
        "Check the live menus of a scope's stations against their settings, rosters, prompt "
        "libraries and transfers, and list the problems by severity (the same check as the "
        "admin page 菜单健康检查). Exit status: 0 nothing at or above --severity, 1 problems "
        "at or above it, 2 a usage error (unknown scope, bad option)."
    ),
)
@click.option(
    "--scope",
    "spec",
    default="city",
    show_default=True,
    help="city, district:<code or 中文名> or station:<code>.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--severity",
    type=click.Choice(SEVERITIES),
    default=Severity.WARNING.value,
    show_default=True,
    help="List problems at or above this severity; any of them makes the exit status 1.",
)
@click.option(
    "--notice-days",
    type=click.IntRange(1, 3650),
    default=DEFAULT_NOTICE_DAYS,
    show_default=True,
    help="A published notice unchanged for longer than this many days is stale.",
)
@with_appcontext
def lint_command(spec: str, fmt: str, severity: str, notice_days: int) -> None:
    session = get_session(mostly_reads=True)
    try:
        scope = resolve_scope(session, spec)
    except ScopeNotFound as exc:
        raise click.BadParameter(str(exc), param_hint="--scope") from None
    config = current_app.config["IVR"]
    report = lint_stations(session, scope.station_ids, storage=storage(), notice_days=notice_days)
    threshold = Severity(severity)
    listed = report.at_least(threshold)
    base = config.public_url.rstrip("/")
    if fmt == "json":
        click.echo(json.dumps(_json(report, listed, scope.spec, threshold, base), indent=2))
    else:
        for problem in listed:
            click.echo(_line(problem, base))
        click.echo(_summary(report, scope.spec, threshold, len(listed)))
    if listed:
        raise SystemExit(1)


def _line(problem: Problem, base: str) -> str:
    station = problem.station
    where = f" node {problem.node}" if problem.node else ""
    return (
        f"{problem.severity.value:7} {station.code} {station.name_zh}{where} "
        f"[{problem.check}]: {problem.message}\n        {base}{problem.link}"
    )


def _summary(report: LintReport, spec: str, threshold: Severity, listed: int) -> str:
    counts = ", ".join(f"{n} {s.value}" for s, n in report.counts().items())
    return (
        f"{spec}: {report.stations} station(s) checked in {report.seconds:.2f} s, "
        f"{report.clean_stations} clean; {counts}; {listed} at or above {threshold.value}"
    )


def _json(
    report: LintReport, listed: list[Problem], spec: str, threshold: Severity, base: str
) -> dict[str, object]:
    return {
        "scope": spec,
        "stations": report.stations,
        "clean_stations": report.clean_stations,
        "seconds": round(report.seconds, 3),
        "counts": {s.value: n for s, n in report.counts().items()},
        "threshold": threshold.value,
        "problems": [
            {**p.as_dict(), "url": base + p.link, "settings_url": _url(base, p.settings_link)}
            for p in listed
        ],
    }


def _url(base: str, path: str | None) -> str | None:
    return base + path if path else None
