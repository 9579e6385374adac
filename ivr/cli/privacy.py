"""``ivr privacy``: retention, a resident's export and erasure, storage keys."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ivr.db import database
from ivr.storage import storage


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
        storage=storage(),
    )
    verb = "due" if dry_run else "removed"
    click.echo(f"{'station':<28} {'recordings':>10} {'transcripts':>11} {'callers':>8}")
    for code, (recordings, transcripts, callers) in report.as_dict()["stations"].items():
        click.echo(f"{code:<28} {recordings:>10} {transcripts:>11} {callers:>8}")
    click.echo(f"{verb}: {report.summary()}")


def _number(raw: str) -> str:
    from ivr.privacy.resident import NumberInvalid, normalise

    try:
        return normalise(raw)
    except NumberInvalid:
        raise click.BadParameter(
            f"{raw!r} is not one resident's number in E.164 form (+8613812345678); "
            "a withheld number's placeholder names no one"
        ) from None


@privacy.command(
    "export",
    help="Write everything held about one phone number (calls, their steps, voicemails "
    "with audio and transcripts, tickets with their trail, the caller's name, notes and "
    "flags) into one ZIP archive: resident.json and audio/. Audit-logged.",
)
@click.argument("number")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
@with_appcontext
def export_command(number: str, output: str) -> None:
    import os

    from ivr.db import get_session
    from ivr.privacy.requests import NothingHeld, export_number

    number = _number(number)
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as target:
            made = export_number(
                get_session(),
                current_app.config["IVR"],
                number,
                target,
                via="cli",
                storage=storage(),
            )
    except NothingHeld:
        os.unlink(output)
        raise click.ClickException(f"nothing is held about {number}") from None
    click.echo(f"{output}: " + ", ".join(f"{k} {v}" for k, v in made.items()))


@privacy.command(
    "erase",
    help="Erase one phone number: delete its recordings (here and at Twilio), empty "
    "transcripts, names, notes and call-back notes, and replace the number everywhere by "
    "an anonymous token, so statistics keep their counts. Refused while the resident has "
    "an open ticket, unless --force. Audit-logged.",
)
@click.argument("number")
@click.option("--yes", is_flag=True, help="Do it (without this, nothing is erased).")
@click.option("--force", is_flag=True, help="Erase even though a ticket is still open.")
@with_appcontext
def erase_command(number: str, yes: bool, force: bool) -> None:
    from ivr.db import get_session
    from ivr.privacy.erasure import ErasureRefused
    from ivr.privacy.requests import NothingHeld, erase_number, look_up

    number = _number(number)
    session = get_session()
    try:
        resident = look_up(session, number)
    except NothingHeld:
        raise click.ClickException(f"nothing is held about {number}") from None
    counts = ", ".join(f"{k} {v}" for k, v in resident.counts().items())
    if not yes:
        raise click.ClickException(f"{number}: {counts}. Nothing erased: add --yes to erase.")
    try:
        erased = erase_number(
            session,
            database().sessions,
            current_app.config["IVR"],
            number,
            force=force,
            via="cli",
            twilio_http_client=current_app.extensions.get("ivr.twilio_http_client"),
            storage=storage(),
        )
    except ErasureRefused as exc:
        session.rollback()
        ids = ", ".join(f"#{i}" for i in exc.ticket_ids)
        raise click.ClickException(
            f"{number} has open tickets ({ids}): a worker still needs their recording and "
            "details. Resolve them first, or add --force to erase anyway."
        ) from None
    click.echo(f"erased {number} ({counts}); it is now {erased.token}")


@privacy.command(
    "rotate-key",
    help="Re-encrypt every stored recording with the current key (the first of "
    "IVR_STORAGE_KEYS), including plain files written before keys were set. Safe to stop "
    "and run again: files already under the current key are skipped. Once it reports no "
    "unreadable files, older keys may be removed from IVR_STORAGE_KEYS.",
)
@with_appcontext
def rotate_key_command() -> None:
    from ivr.privacy.keys import KeyMissing
    from ivr.privacy.rotation import rotate_recordings

    def show(counts) -> None:  # type: ignore[no-untyped-def]
        click.echo("  " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())), err=True)

    try:
        counts = rotate_recordings(database().sessions, storage(), show)
    except KeyMissing as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"recordings: {counts['resealed']} re-encrypted, {counts['current']} already under "
        f"the current key, {counts['missing']} missing, {counts['unreadable']} unreadable"
    )
    if counts["unreadable"]:
        raise click.ClickException("some files could not be read: keep the older keys configured")


@privacy.command("new-key", help="Print a new random key for IVR_STORAGE_KEYS.")
def new_key_command() -> None:
    from ivr.privacy.keys import new_key

    click.echo(new_key())
