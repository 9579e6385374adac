"""``ivr storage``: where recordings and prompts are kept, and moving them between the
local folder and the database (``IVR_STORAGE_BACKEND``)."""

from __future__ import annotations

from collections import Counter

import click
from flask import current_app
from flask.cli import with_appcontext

from ivr.config import STORAGE_BACKENDS
from ivr.db import database


@click.group(
    help="Where recordings and prompts are kept: IVR_STORAGE_BACKEND=files (IVR_STORAGE_DIR "
    "on this machine, the default) or database (the application's database, which every "
    "host of a cluster reads)."
)
def storage() -> None:
    pass


@storage.command(
    "copy",
    help="Copy every recording and prompt the database's rows name from one backend to the "
    "other, byte for byte (sealed files stay sealed; no key is needed). Safe to stop and run "
    "again: a file the target already holds with the same size is skipped. The source is "
    "left as it was. To move a machine's files into the database: run it, stop the service, "
    "run it again, set IVR_STORAGE_BACKEND=database and start.",
)
@click.option(
    "--to",
    "target_name",
    type=click.Choice(STORAGE_BACKENDS),
    required=True,
    help="The backend to copy into; the other one is read.",
)
@click.option(
    "--prune",
    is_flag=True,
    help="Also delete files in the target that no row names any more (retention or an "
    "erasure removed them from the source after an earlier copy). Refused when the target "
    "is the backend in use.",
)
@with_appcontext
def copy_command(target_name: str, prune: bool) -> None:
    from ivr.storage import open_storage
    from ivr.storage.copying import copy_stored

    config = current_app.config["IVR"]
    if prune and target_name == config.storage_backend:
        raise click.ClickException(
            f"IVR_STORAGE_BACKEND is {target_name}: the service writes there, so --prune "
            "could delete a file whose row is still being written"
        )
    source_name = next(name for name in STORAGE_BACKENDS if name != target_name)
    engine = database().engine
    source = open_storage(config, engine, backend=source_name)
    target = open_storage(config, engine, backend=target_name)

    def show(counts: Counter[str]) -> None:
        click.echo("  " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())), err=True)

    counts = copy_stored(database().sessions, source, target, prune=prune, progress=show)
    click.echo(
        f"{source_name} → {target_name}: {counts['copied']} copied, {counts['skipped']} "
        f"already there, {counts['missing']} missing from {source_name}"
        + (f", {counts['pruned']} pruned" if prune else "")
    )
    if counts["unnamed"]:
        click.echo(
            f"{counts['unnamed']} file(s) in {target_name} are named by no row (removed by "
            "retention or an erasure since an earlier copy): run again with --prune",
            err=True,
        )
