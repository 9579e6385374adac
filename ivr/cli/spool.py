"""``ivr spool``: webhooks this host kept on disk while the database could not take them."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group(
    help=(
        "Webhooks kept in this host's spool (IVR_INSTANCE_DIR/spool) while the database "
        "was unreachable or over its time budget. The worker and the web server replay "
        "them on their own once the database answers; these commands show and nudge."
    )
)
def spool() -> None:
    pass


@spool.command(help="How many webhooks wait, how old the oldest is, and how many are held.")
@with_appcontext
def status() -> None:
    from ivr.voice.spooled import spool_for

    click.echo(json.dumps(spool_for(current_app).status(), indent=2))


@spool.command(help="Replay waiting webhooks now, in the order they arrived.")
@click.option(
    "--held",
    is_flag=True,
    help="Also retry records held after a failed replay (fix the cause first).",
)
@with_appcontext
def replay(held: bool) -> None:
    from ivr.voice.spooled import replay as replay_spool

    result = replay_spool(current_app._get_current_object(), held=held)  # type: ignore[attr-defined]
    if result is None:
        raise click.ClickException("another replay is running on this host; try again shortly")
    click.echo(result.summary())
    for error in result.errors:
        click.echo(f"held: {error}", err=True)
    if result.remaining:
        raise click.ClickException("the database is still unavailable; records kept for later")
