"""The ``ivr`` command for operators: ``ivr --help`` lists everything."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup, ScriptInfo

from ivr import create_app
from ivr.cli.corpus import corpus
from ivr.cli.db import db
from ivr.cli.demo import demo
from ivr.cli.menu import menu, simulate
from ivr.cli.privacy import privacy
from ivr.cli.report import report
from ivr.cli.serve import serve
from ivr.cli.spool import spool
from ivr.cli.stations import districts, stations
from ivr.cli.stats import stats
from ivr.cli.storage import storage
from ivr.cli.tokens import tokens
from ivr.cli.transcribe import models, transcribe
from ivr.cli.users import users
from ivr.cli.worker import worker


@click.group(cls=AppGroup)
def cli() -> None:
    """Hotline IVR and call logger.

    Configuration comes from IVR_* and TWILIO_* environment variables; a .env file
    in the working directory may supply them.
    """


for command in (
    db,
    stations,
    districts,
    users,
    tokens,
    menu,
    simulate,
    worker,
    transcribe,
    models,
    demo,
    serve,
    spool,
    stats,
    report,
    privacy,
    corpus,
    storage,
):
    cli.add_command(command)


def main() -> None:
    from ivr.cli.errors import schema_missing
    from ivr.config import ConfigError

    try:
        cli.main(
            obj=ScriptInfo(create_app=lambda: create_app(), set_debug_flag=False),
            standalone_mode=True,
        )
    except ConfigError as exc:  # a setting the service cannot start with: say which
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    except Exception as exc:
        if not schema_missing(exc):
            raise
        click.echo("Error: the database has no tables yet: run `ivr db upgrade` first", err=True)
        sys.exit(1)
