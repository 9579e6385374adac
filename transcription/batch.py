"""Transcribing many files at once: one model load per process, files spread across them."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from transcription.audio import AudioInvalid, file_to_pcm
from transcription.engine import Transcription, load_model, transcribe
from transcription.registry import ResolvedModel

AUDIO_SUFFIXES = frozenset(
    {".wav", ".mp3", ".ogg", ".oga", ".m4a", ".flac", ".aac", ".webm", ".amr"}
)


@dataclass(frozen=True)
class FileResult:
    path: Path
    transcription: Transcription | None = None
    error: str | None = None


def collect(paths: Iterable[Path]) -> list[Path]:
    """Files given, and the audio files inside folders given, sorted, each once."""
    found: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*")) if p.suffix.lower() in AUDIO_SUFFIXES)
        else:
            found.append(path)
    return list(dict.fromkeys(found))


_resolved: ResolvedModel | None = None


def _start_worker(resolved: ResolvedModel) -> None:
    global _resolved
    _resolved = resolved
    load_model(resolved.path)  # once per process, before the first file


def _one(path: Path) -> FileResult:
    assert _resolved is not None
    try:
        return FileResult(path, transcribe(file_to_pcm(path), _resolved))
    except (AudioInvalid, OSError) as exc:
        return FileResult(path, error=str(exc))


def transcribe_files(
    paths: list[Path], resolved: ResolvedModel, processes: int = 1
) -> Iterator[FileResult]:
    """Yield a result per file as each finishes (in completion order with processes > 1)."""
    if processes <= 1 or len(paths) <= 1:
        _start_worker(resolved)
        yield from (_one(path) for path in paths)
        return
    context = multiprocessing.get_context("spawn")  # no inherited model or file handles
    with context.Pool(processes, initializer=_start_worker, initargs=(resolved,)) as pool:
        yield from pool.imap_unordered(_one, paths, chunksize=1)
