"""``ivr privacy``: retention, a resident's export and erasure, storage keys."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ivr.db import database


@click.group(help="Privacy: retention periods, a resident's data, encryption keys.")
def privacy() -> None:
    pass


@privacy.command(
    "retention",
    help=(
        "Show what the retention periods remove now (recordings and transcripts of closed "
        "cases, details of residents not heard from), per station, and remove it. The "
        "worker does this daily. Nothing an open ticket needs is touched."
    ),
)
@click.option("--dry-run", is_flag=True, help="Only count what is due; change nothing.")
@with_appcontext
def retention_command(dry_run: bool) -> None:
    from ivr.privacy.retention import enforce_retention

    report = enforce_retention(
        database().sessions,
        current_app.config["IVR"],
        dry_run=dry_run,
        twilio_http_client=current_app.extensions.get("ivr.twilio_http_client"),
    )
    verb = "due" if dry_run else "removed"
    click.echo(f"{'station':<28} {'recordings':>10} {'transcripts':>11} {'callers':>8}")
    for code, (recordings, transcripts, callers) in report.as_dict()["stations"].items():
        click.echo(f"{code:<28} {recordings:>10} {transcripts:>11} {callers:>8}")
    click.echo(f"{verb}: {report.summary()}")
