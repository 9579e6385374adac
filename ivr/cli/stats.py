"""``ivr stats``: the statistics rollup behind every report."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from ivr.db import get_session
from ivr.stats.rollup import BACKFILL_DAYS, RECENT_DAYS, refresh_rollups
from models import StationDayFigures


@click.group(help="Statistics: the per-station, per-day rollup reports read from.")
def stats() -> None:
    pass


@stats.command(
    "refresh",
    help=(
        "Recompute the rolled-up figures: today up to 10 minutes ago, the last --days "
        "closed days, days touched by tickets changed since the last refresh, up to "
        "--backfill days never rolled up, and with --since every day from that date (e.g. "
        "after correcting callers' vulnerability flags). The worker does this every 10 "
        "minutes (closed days hourly); reports add whatever is newer live."
    ),
)
@click.option(
    "--days",
    type=click.IntRange(0, 3660),
    default=RECENT_DAYS,
    show_default=True,
    help="Recent closed days recomputed.",
)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Also recompute every day from this date (YYYY-MM-DD) to yesterday.",
)
@click.option(
    "--backfill",
    type=click.IntRange(0, 3660),
    default=BACKFILL_DAYS,
    show_default=True,
    help="Days never rolled up (history, gaps) filled in by this run.",
)
@with_appcontext
def refresh_command(days: int, since, backfill: int) -> None:  # type: ignore[no-untyped-def]
    since_day: date | None = since.date() if since is not None else None
    result = refresh_rollups(
        get_session(mostly_reads=True), days=days, since=since_day, backfill=backfill
    )
    click.echo(result.summary())


@stats.command("status", help="How much is rolled up, and when it was last computed.")
@with_appcontext
def status_command() -> None:
    session = get_session(mostly_reads=True)
    first, last, rows, newest = session.execute(
        select(
            func.min(StationDayFigures.day),
            func.max(StationDayFigures.day),
            func.count(),
            func.max(StationDayFigures.computed_at),
        )
    ).one()
    if not rows:
        click.echo("nothing rolled up yet: run `ivr stats refresh` (reports are computed live)")
        return
    click.echo(
        f"{rows} station-days from {first} to {last}, last computed {newest:%Y-%m-%d %H:%M} UTC"
    )
