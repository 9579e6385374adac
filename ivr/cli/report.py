"""``ivr report``: a scope's statistics for a period, as JSON, CSV or XLSX."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import force_locale

from ivr.db import get_session
from ivr.stats.exports import to_csv, to_json, to_xlsx
from ivr.stats.figures import (
    PRESETS,
    PeriodInvalid,
    ScopeNotFound,
    build_report,
    parse_period,
    resolve_scope,
)
from ivr.stats.report import Period, Report, ReportScope
from models import AuditLog, utcnow


def _render(report: Report, fmt: str, lang: str) -> bytes:
    if fmt == "json":
        text = json.dumps(to_json(report), ensure_ascii=False, indent=2)
        return (text + "\n").encode("utf-8")
    return to_csv(report, lang) if fmt == "csv" else to_xlsx(report, lang)


def _audit(scope: ReportScope, period: Period, fmt: str, output: str) -> None:
    session = get_session(mostly_reads=True)
    session.add(
        AuditLog(
            at=utcnow(),
            user_id=None,
            action="stats.export",
            object_type="report",
            object_id=scope.spec,
            station_id=scope.station_ids[0] if scope.kind == "station" else None,
            detail={
                "scope": scope.spec,
                "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
                "format": fmt,
                "personal": False,
                "source": "cli",
                "output": output,
            },
        )
    )
    session.commit()


@click.command(
    "report",
    help=(
        "Print or write the statistics of a station, a district or the city for a period "
        "of local days: the same figures as the dashboard and /api/v1/stats. JSON goes to "
        "standard output by default; CSV is UTF-8 with a BOM (Excel reads it); XLSX needs "
        "--output, or standard output that is not a terminal (e.g. a pipe or a redirect). "
        "Without --from/--to/--preset: this month. Times: CSV and XLSX give local times in "
        "the scope's timezone (the one most of its stations keep, Asia/Shanghai, UTC+08:00, "
        "for Guangzhou's), named in each time's label, and dates as dates (XLSX date cells); "
        "JSON gives times in UTC (ISO 8601 with Z), as /api/v1/stats does. "
        "Every run is written to the audit log."
    ),
)
@click.option(
    "--scope",
    "spec",
    default="city",
    show_default=True,
    help="city, station:CODE, or district:CODE (or its Chinese name, e.g. district:海珠区).",
)
@click.option("--from", "start", metavar="YYYY-MM-DD", help="First local day (inclusive).")
@click.option("--to", "end", metavar="YYYY-MM-DD", help="Last local day (inclusive).")
@click.option("--preset", type=click.Choice(PRESETS), help="A named period instead of dates.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv", "xlsx"]),
    default="json",
    show_default=True,
)
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of the labels and sheet names in CSV and XLSX.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file instead of standard output.",
)
@with_appcontext
def report(
    spec: str,
    start: str | None,
    end: str | None,
    preset: str | None,
    fmt: str,
    lang: str,
    output: Path | None,
) -> None:
    session = get_session(mostly_reads=True)
    if preset and (start or end):
        raise click.UsageError("give --preset or --from/--to, not both")
    with force_locale(lang):  # messages are translated; a command has no request to ask
        try:
            scope = resolve_scope(session, spec)
        except ScopeNotFound as exc:
            raise click.BadParameter(str(exc), param_hint="--scope") from None
        try:
            period = parse_period(preset, start, end, scope.today())
        except PeriodInvalid as exc:
            raise click.BadParameter(str(exc), param_hint="--from/--to") from None
    if fmt == "xlsx" and output is None and sys.stdout.isatty():
        raise click.UsageError("XLSX is binary: give --output FILE, or redirect standard output.")
    data = _render(build_report(session, scope, period, now=utcnow()), fmt, lang)
    if output is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        output.write_bytes(data)
        click.echo(f"wrote {output} ({fmt}, {scope.spec}, {period.start}..{period.end})", err=True)
    _audit(scope, period, fmt, str(output) if output else "-")
