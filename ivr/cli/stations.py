"""``ivr stations`` and ``ivr districts``: the registry of the 200+ hotlines."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ivr.db import get_session
from ivr.stations.csv_rows import CsvInvalid
from ivr.stations.registry import (
    export_districts,
    export_stations,
    import_districts,
    import_stations,
)
from models import District, Station


def _import(kind: str, importer, file) -> None:  # type: ignore[no-untyped-def]
    try:
        result = importer(get_session(), file.read())
    except CsvInvalid as exc:
        for error in exc.errors:
            click.echo(f"{file.name}: {error}", err=True)
        raise click.ClickException(
            f"{len(exc.errors)} problem(s); no {kind} were changed"
        ) from None
    click.echo(f"{kind}: {result.summary()}")


@click.group(help="The station registry: import, export and list hotlines.")
def stations() -> None:
    pass


@stations.command(
    "import",
    help=(
        "Create or update stations from a CSV file (- for standard input). Columns: code, "
        "name_zh, name_en, district, hotline_numbers, languages, timezone, on_duty_phones; "
        "lists inside a field are separated by ';'. All or nothing: any bad row is named by "
        "its line and nothing changes."
    ),
)
@click.argument("file", type=click.File("rb"))
@with_appcontext
def import_command(file) -> None:  # type: ignore[no-untyped-def]
    _import("stations", import_stations, file)


@stations.command("export", help="Write every station as CSV in the import format.")
@click.option(
    "-o",
    "--output",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="File to write (default: standard output).",
)
@with_appcontext
def export_command(output) -> None:  # type: ignore[no-untyped-def]
    output.write(export_stations(get_session()))


@stations.command("list", help="List stations with their district and hotline numbers.")
@click.option("--district", help="Only this district (code or Chinese name).")
@with_appcontext
def list_command(district: str | None) -> None:
    query = (
        select(Station)
        .join(Station.district)
        .options(selectinload(Station.hotline_numbers), selectinload(Station.district))
        .order_by(District.code, Station.code)
    )
    if district:
        query = query.where((District.code == district) | (District.name_zh == district))
    rows = list(get_session().scalars(query))
    for s in rows:
        numbers = ", ".join(n.number for n in s.hotline_numbers)
        click.echo(f"{s.code:<28} {s.district.name_zh}{s.name_zh:<8}\t{numbers}")
    click.echo(f"{len(rows)} station(s)", err=not sys.stdout.isatty())


@click.group(help="Districts, which group stations for district admins and reports.")
def districts() -> None:
    pass


@districts.command(
    "import", help="Create or update districts from a CSV file: code, name_zh, name_en."
)
@click.argument("file", type=click.File("rb"))
@with_appcontext
def districts_import_command(file) -> None:  # type: ignore[no-untyped-def]
    _import("districts", import_districts, file)


@districts.command("export", help="Write every district as CSV.")
@with_appcontext
def districts_export_command() -> None:
    click.echo(export_districts(get_session()), nl=False)
