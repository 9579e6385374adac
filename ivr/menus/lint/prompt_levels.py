"""Audio prompts callers are played: is the file there, and can anything be heard?

A prompt's level is measured by decoding its stored WAV with pydub (over ffmpeg; from a
private local copy when the storage backend is the database) — never inside a database
transaction — and kept per process by the prompt's content hash
(``PromptFile.sha256``): a prompt is decoded once, however many stations play it and
however often the health page is opened, until its content changes.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pydub import AudioSegment
from pydub.exceptions import CouldntDecodeError

from ivr.menus.lint.facts import PromptRow
from ivr.menus.lint.problems import Problem, Severity
from ivr.menus.lint.station import LiveStation, language_name
from ivr.menus.wording import N_
from ivr.storage import Storage

SILENT_PEAK_DBFS = -45.0  # nothing louder than this: nothing a caller would hear
QUIET_RMS_DBFS = -40.0  # speech this soft is hard to follow on a phone line
CACHE_SIZE = 4096


@dataclass(frozen=True)
class Level:
    """What a prompt's audio measured: peak and average (RMS) level in dBFS."""

    peak_dbfs: float = -math.inf
    rms_dbfs: float = -math.inf
    error: str = ""  # the decoder's complaint, when it could not be read
    missing: bool = False  # the row names a file that is not in storage

    @property
    def silent(self) -> bool:
        return not self.error and not self.missing and self.peak_dbfs < SILENT_PEAK_DBFS

    @property
    def quiet(self) -> bool:
        return (
            not self.error
            and not self.missing
            and not self.silent
            and (self.rms_dbfs < QUIET_RMS_DBFS)
        )


_levels: dict[str, Level] = {}
_lock = threading.Lock()


def measure(path: Path) -> Level:
    try:
        segment = AudioSegment.from_wav(path)
    except (CouldntDecodeError, EOFError, OSError, ValueError) as exc:
        return Level(error=str(exc)[:200] or type(exc).__name__)
    return Level(segment.max_dBFS, segment.dBFS)


def levels_of(rows: Iterable[PromptRow], storage: Storage) -> dict[str, Level]:
    """Each row's level by content hash: from the cache, else decoded now (and cached)."""
    found: dict[str, Level] = {}
    for row in rows:
        if row.sha256 in found:
            continue
        with _lock:
            cached = _levels.get(row.sha256)
        if cached is not None:
            found[row.sha256] = cached
            continue
        with storage.local_copy(row.storage_path) as path:
            if path is None:
                found[row.sha256] = Level(missing=True)  # not cached: the file may come back
                continue
            level = found[row.sha256] = measure(path)
        with _lock:
            if len(_levels) >= CACHE_SIZE:
                _levels.clear()
            _levels[row.sha256] = level
    return found


def forget_levels() -> None:
    """Empty the cache (tests, and benchmarks measuring a cold start)."""
    with _lock:
        _levels.clear()


def played_rows(station: LiveStation) -> Iterator[PromptRow]:
    """The library rows of every file a caller can be played."""
    library = station.subject.prompts
    for _node, _field, _language, prompt in station.prompts():
        if prompt.play and prompt.play in library:
            yield library[prompt.play]


def audio_prompts(station: LiveStation, levels: dict[str, Level]) -> Iterator[Problem]:
    """An audio prompt not in the library, its file gone, unreadable, silent or too quiet."""
    library = station.subject.prompts
    seen: set[tuple[str, str]] = set()
    for node_id, _field, language, prompt in station.prompts():
        name = prompt.play
        if not name or (node_id, name) in seen:
            continue
        seen.add((node_id, name))
        lang = language_name(language)
        row = library.get(name)
        level = levels.get(row.sha256) if row is not None else None
        if row is None:
            message = N_(
                "播放的录音 %(name)s（%(language)s）不在本站录音库里", name=name, language=lang
            )
            yield station.problem("prompt_missing", Severity.ERROR, node_id, message, "prompts")
        elif level is None or level.missing:
            message = N_(
                "录音 %(name)s（%(language)s）的文件不见了：来电者什么也听不到",
                name=name,
                language=lang,
            )
            yield station.problem("prompt_missing", Severity.ERROR, node_id, message, "prompts")
        elif level.error:
            message = N_("录音 %(name)s 无法读取（%(error)s）", name=name, error=level.error)
            yield station.problem("prompt_unreadable", Severity.ERROR, node_id, message, "prompts")
        elif level.silent:
            message = N_(
                "录音 %(name)s（%(language)s）听不到声音：最响处 %(peak)s dBFS",
                name=name,
                language=lang,
                peak=_db(level.peak_dbfs),
            )
            yield station.problem("prompt_silent", Severity.ERROR, node_id, message, "prompts")
        elif level.quiet:
            message = N_(
                "录音 %(name)s（%(language)s）声音太小：平均 %(rms)s dBFS",
                name=name,
                language=lang,
                rms=_db(level.rms_dbfs),
            )
            yield station.problem("prompt_quiet", Severity.WARNING, node_id, message, "prompts")


def _db(value: float) -> str:
    return "-∞" if math.isinf(value) else f"{value:.0f}"
