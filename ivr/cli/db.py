"""``ivr db``: the database schema."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ivr.db import database
from models.migrate import current_revision, head_revision, upgrade


@click.group(help="Database schema: apply and inspect migrations.")
def db() -> None:
    pass


@db.command("upgrade", help="Apply every migration up to the newest (safe to repeat).")
@with_appcontext
def upgrade_command() -> None:
    engine = database().engine
    upgrade(engine)
    click.echo(f"database at revision {current_revision(engine)} ({engine.dialect.name})")


@db.command("current", help="Print the schema revision of the database and of the code.")
@with_appcontext
def current_command() -> None:
    engine = database().engine
    click.echo(f"database: {current_revision(engine) or 'empty'}")
    click.echo(f"code:     {head_revision()}")
