"""``ivr menu`` and ``ivr simulate``: stations' menus from the command line."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from ivr.cli.menu_lint import lint_command
from ivr.db import get_session
from ivr.menus.outline import outline
from ivr.menus.simulate import simulate_call
from ivr.menus.validate import MenuInvalid, parse_menu
from ivr.menus.versions import known_station_codes, load_menu, menu_ref_for, save_version
from models import Station


def _station(code: str) -> Station:
    station = get_session().scalar(select(Station).where(Station.code == code))
    if station is None:
        raise click.ClickException(f"unknown station {code!r}")
    return station


def _report_invalid(source: str, exc: MenuInvalid) -> click.ClickException:
    for problem in exc.errors:
        click.echo(f"{source}: {problem}", err=True)
    return click.ClickException(f"{len(exc.errors)} problem(s); the menu is not valid")


@click.group(help="Stations' menus: validate, load, publish, show and lint.")
def menu() -> None:
    pass


menu.add_command(lint_command)


@menu.command("validate", help="Check a menu YAML file; every problem names its node path.")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@with_appcontext
def validate_command(file) -> None:  # type: ignore[no-untyped-def]
    stations = _known_stations_if_any()
    try:
        parsed = parse_menu(file.read(), known_stations=stations)
    except MenuInvalid as exc:
        raise _report_invalid(file.name, exc) from None
    for warning in parsed.warnings:
        click.echo(f"{file.name}: warning: {warning}", err=True)
    click.echo(f"{file.name}: valid, {len(parsed.menu.nodes)} nodes")
    if stations is None:
        click.echo(
            f"{file.name}: transfers to other stations not checked: no database "
            "(run `ivr db upgrade` and load the stations to check them)",
            err=True,
        )


def _known_stations_if_any() -> set[str] | None:
    """The station codes a transfer may name; None when there is no database to ask (a
    file can be validated before anything is installed)."""
    from ivr.cli.errors import schema_missing

    session = get_session()
    try:
        return set(known_station_codes(session))
    except Exception as exc:
        session.rollback()
        if schema_missing(exc) or _unreachable(exc):
            return None
        raise


def _unreachable(exc: BaseException) -> bool:
    from sqlalchemy.exc import OperationalError

    return isinstance(exc, OperationalError)


@menu.command(
    "load", help="Store a menu YAML file as the station's next version (a draft unless --publish)."
)
@click.argument("station_code", metavar="STATION")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--publish", is_flag=True, help="Publish it: callers hear it from the next call.")
@click.option("--note", default="", help="What changed, kept in the history.")
@with_appcontext
def load_command(station_code, file, publish, note) -> None:  # type: ignore[no-untyped-def]
    session = get_session()
    station = _station(station_code)
    try:
        version = save_version(session, station, file.read(), publish=publish, note=note)
    except MenuInvalid as exc:
        raise _report_invalid(file.name, exc) from None
    session.commit()
    state = "published" if publish else "saved as a draft"
    click.echo(f"{station.code}: version {version.version} {state}")


@menu.command("show", help="Print the menu callers of a station hear now, as a tree.")
@click.argument("station_code", metavar="STATION")
@click.option("--lang", help="Show prompts in this language (default: the menu's first).")
@with_appcontext
def show_command(station_code: str, lang: str | None) -> None:
    session = get_session()
    station = _station(station_code)
    ref = menu_ref_for(session, station)
    menu_doc, _ = load_menu(session, ref)
    source = "published version" if ref.startswith("v") else "default template (nothing published)"
    click.echo(f"{station.code} {station.name_zh}: {source}")
    click.echo(outline(menu_doc, lang))


@click.command(
    help=(
        "Play a call against the app in-process, through the real webhooks with real "
        "signatures, and print what the caller hears at each step. Keys are pressed in "
        "order at each prompt; when they run out, the caller stays silent. The call is "
        "real to the database: its voicemail, ticket, acknowledgement text, urgent alert or "
        "call-back is queued like any other, so where Twilio is configured use a --from "
        "number you own (the station admin's test call writes nothing)."
    )
)
@click.option("--to", "to_number", required=True, help="The dialled hotline number (E.164).")
@click.option(
    "--from",
    "from_number",
    default="+8613800138000",
    show_default=True,
    help="The caller's number.",
)
@click.option("--keys", default="", help="Keys to press, comma-separated, e.g. 1,2.")
@click.option("--answer", is_flag=True, help="An on-duty phone answers a forward.")
@with_appcontext
def simulate(to_number: str, from_number: str, keys: str, answer: bool) -> None:
    pressed = [k.strip() for k in keys.split(",") if k.strip()]
    for did, heard in simulate_call(current_app, to_number, from_number, pressed, answer):
        click.echo(f"— {did}")
        for line in heard.says:
            click.echo(f"    {line}")
        if heard.action == "record":
            click.echo(f"    [beep: recording up to {heard.max_length}s]")
        elif heard.action == "dial":
            click.echo(f"    [ringing {', '.join(heard.numbers)} as {heard.caller_id}]")
        elif heard.action == "hangup":
            click.echo("    [hang up]")
