"""``ivr corpus``: corrected transcripts as audio + text pairs for a later model update."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from flask.cli import with_appcontext

from ivr.db import database, get_session
from ivr.storage import storage
from ivr.voicemails.corpus import CorpusRefused, write_corpus
from models import AuditLog, utcnow


@click.group(help="Speech corpora from the transcripts people corrected.")
def corpus() -> None:
    pass


@corpus.command(
    "export",
    help=(
        "Write the corrected transcripts and their recordings as Kaldi data directories, "
        "one per language (OUT/<lang>/wav.scp, text, utt2spk, spk2utt, and wav/ with 16 kHz "
        "mono WAV), the layout Kaldi's and Vosk's model adaptation recipes read; "
        "OUT/corpus.json counts what was written. Only transcripts a person corrected, and "
        "only recordings retention or an erasure has not removed. OUT must be missing or "
        "empty. Holds residents' voices: keep it as you keep recordings. Audit-logged."
    ),
)
@click.argument("out", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--station",
    "stations",
    multiple=True,
    metavar="CODE",
    help="Only voicemails left at this station (repeat for several). Default: all.",
)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Only voicemails left on or after this local day (YYYY-MM-DD).",
)
@click.option("--language", metavar="LANG", help="Only this language (zh, yue, en …).")
@click.option(
    "--wav-prefix",
    metavar="PATH",
    help="Folder wav.scp names the audio under (PATH/<lang>/wav/…), for a corpus that will "
    "be moved; default: OUT's absolute path.",
)
@with_appcontext
def export(
    out: Path,
    stations: tuple[str, ...],
    since: datetime | None,
    language: str | None,
    wav_prefix: str | None,
) -> None:
    with click.progressbar(length=1, label="decoding recordings", file=None) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        try:
            result = write_corpus(
                database().sessions,
                storage(),
                out,
                stations=stations,
                since=since.date() if since else None,
                language=language,
                wav_prefix=wav_prefix,
                progress=progress,
            )
        except CorpusRefused as exc:
            raise click.ClickException(str(exc)) from None
    session = get_session()
    session.add(
        AuditLog(
            at=utcnow(),
            user_id=None,
            action="corpus.export",
            object_type="corpus",
            object_id=str(out)[-64:],
            detail={
                "source": "cli",
                "stations": list(stations),
                "since": since.date().isoformat() if since else None,
                "language": language,
                **result.as_dict(),
            },
        )
    )
    session.commit()
    click.echo(f"corpus: {result.summary()} → {out}")
