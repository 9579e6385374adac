"""Corrected transcripts as a speech corpus, for adapting a Kaldi/Vosk model later.

One Kaldi data directory per language (``<out>/<lang>/``): ``wav.scp``, ``text``,
``utt2spk`` and ``spk2utt``, each sorted by id in byte order as Kaldi's tools require, and
the audio beside them in ``wav/`` as 16 kHz mono 16-bit WAV (decoded through the storage
layer, so sealed recordings are decrypted). Only transcripts a person corrected, with the
correction in force; nothing retention or an erasure removed (no audio, or a blanked text).

The speaker is the caller (``caller<id>``; a caller no one could identify is a speaker of
their own, ``vm<voicemail id>``), and each utterance id begins with its speaker's, as Kaldi
expects. ``text`` keeps the recogniser's word boundaries where the correction left words
whole; characters people typed stand alone; punctuation is dropped.

Rows are read in one short transaction; no transaction is open while audio is decoded.
"""

from __future__ import annotations

import json
import wave
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ivr.stats.periods import day_start
from ivr.storage import Storage
from models import Station, Transcript, TranscriptCorrection, Voicemail, utcnow
from transcription.audio import SAMPLE_RATE, SAMPLE_WIDTH, AudioInvalid, to_pcm
from transcription.correction import is_character_token, tokens


class CorpusRefused(Exception):
    """The export cannot start as asked (the output folder holds something already)."""


@dataclass(frozen=True)
class Utterance:
    utterance_id: str
    speaker_id: str
    language: str
    text: str
    storage_path: str
    voicemail_id: int


@dataclass
class CorpusResult:
    utterances: Counter[str] = field(default_factory=Counter)  # by language
    speakers: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    seconds: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)  # by reason

    def as_dict(self) -> dict[str, Any]:
        return {
            "languages": {
                lang: {
                    "utterances": self.utterances[lang],
                    "speakers": len(self.speakers[lang]),
                    "seconds": round(self.seconds[lang], 1),
                }
                for lang in sorted(self.utterances)
            },
            "skipped": dict(sorted(self.skipped.items())),
        }

    def summary(self) -> str:
        parts = [
            f"{lang}: {self.utterances[lang]} utterances, {len(self.speakers[lang])} speakers, "
            f"{self.seconds[lang] / 60:.1f} min"
            for lang in sorted(self.utterances)
        ]
        skipped = ", ".join(f"{n} {why}" for why, n in sorted(self.skipped.items()))
        text = "; ".join(parts) or "nothing to export"
        return f"{text} (skipped: {skipped})" if skipped else text


def kaldi_text(words: list[dict[str, Any]], fallback: str) -> str:
    """A Kaldi ``text`` transcript: words separated by spaces, no punctuation; Chinese
    words as the aligned correction groups them, other words in lower case."""
    out: list[str] = []
    for word in words or [{"word": fallback}]:
        parts = tokens(str(word.get("word", "")))
        if not parts:
            continue
        if all(is_character_token(p) for p in parts):
            out.append("".join(parts))
        else:
            out.extend(p.lower() for p in parts)
    return " ".join(out)


def select_utterances(
    session: Session,
    stations: tuple[str, ...] = (),
    since: date | None = None,
    language: str | None = None,
) -> list[Utterance]:
    """The corrected transcripts to export: their station among ``stations`` (all when
    empty), left on or after the local day ``since``, in ``language``; with audio."""
    query = (
        select(TranscriptCorrection, Transcript, Voicemail, Station)
        .join(Transcript, Transcript.id == TranscriptCorrection.transcript_id)
        .join(Voicemail, Voicemail.id == Transcript.voicemail_id)
        .join(Station, Station.id == Voicemail.station_id)
        .where(
            TranscriptCorrection.superseded_at.is_(None),
            TranscriptCorrection.blanked_at.is_(None),
            TranscriptCorrection.text != "",
            Voicemail.storage_path.is_not(None),
            Voicemail.purged_at.is_(None),
        )
        .order_by(Voicemail.id)
    )
    if stations:
        query = query.where(Station.code.in_(stations))
    if language:
        query = query.where(Transcript.language == language)
    if since is not None:  # a day's margin here, each station's own clock below
        query = query.where(Voicemail.created_at >= day_start(since, "UTC") - timedelta(days=1))
    found = []
    for correction, transcript, voicemail, station in session.execute(query):
        if since is not None and voicemail.created_at < day_start(since, station.timezone):
            continue
        text = kaldi_text(correction.words, correction.text)
        if not text:
            continue
        speaker = f"caller{voicemail.caller_id}" if voicemail.caller_id else f"vm{voicemail.id}"
        found.append(
            Utterance(
                utterance_id=f"{speaker}-{voicemail.id:08d}",
                speaker_id=speaker,
                language=transcript.language,
                text=text,
                storage_path=voicemail.storage_path or "",
                voicemail_id=voicemail.id,
            )
        )
    return found


def _write_wav(path: Path, pcm: bytes) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(SAMPLE_WIDTH)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm)


def _write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def write_corpus(
    sessions: sessionmaker[Session],
    storage: Storage,
    out: Path,
    *,
    stations: tuple[str, ...] = (),
    since: date | None = None,
    language: str | None = None,
    wav_prefix: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CorpusResult:
    """Write the corpus under ``out`` (missing or empty). ``wav.scp`` names each file as
    ``<wav_prefix>/<lang>/wav/<utt>.wav``; the prefix defaults to ``out``'s absolute path."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise CorpusRefused(f"{out} exists and is not an empty folder")
    with sessions() as session:
        known = set(session.scalars(select(Station.code).where(Station.code.in_(stations))))
        if set(stations) - known:
            raise CorpusRefused(f"no such station: {', '.join(sorted(set(stations) - known))}")
        chosen = select_utterances(session, stations, since, language)
        session.commit()
    prefix = (wav_prefix or str(out.resolve())).rstrip("/")
    result = CorpusResult()
    kept: dict[str, list[Utterance]] = defaultdict(list)
    for done, utterance in enumerate(chosen, 1):
        data = storage.read(utterance.storage_path)
        try:
            pcm = to_pcm(data) if data is not None else None
        except AudioInvalid:
            result.skipped["not decodable"] += 1
            continue
        if pcm is None:
            result.skipped["audio missing"] += 1
            continue
        folder = out / utterance.language / "wav"
        folder.mkdir(parents=True, exist_ok=True)
        _write_wav(folder / f"{utterance.utterance_id}.wav", pcm.data)
        kept[utterance.language].append(utterance)
        result.utterances[utterance.language] += 1
        result.speakers[utterance.language].add(utterance.speaker_id)
        result.seconds[utterance.language] += pcm.seconds
        if progress is not None:
            progress(done, len(chosen))
    for lang, utterances in kept.items():
        _write_data_dir(out / lang, f"{prefix}/{lang}/wav", utterances)
    out.mkdir(parents=True, exist_ok=True)
    manifest = {
        "exported_at": utcnow().isoformat(),
        "filters": {
            "stations": list(stations),
            "since": since.isoformat() if since else None,
            "language": language,
        },
        **result.as_dict(),
    }
    (out / "corpus.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    return result


def _write_data_dir(folder: Path, wav_folder: str, utterances: list[Utterance]) -> None:
    rows = sorted(utterances, key=lambda u: u.utterance_id.encode())
    _write_lines(
        folder / "wav.scp", [f"{u.utterance_id} {wav_folder}/{u.utterance_id}.wav" for u in rows]
    )
    _write_lines(folder / "text", [f"{u.utterance_id} {u.text}" for u in rows])
    _write_lines(folder / "utt2spk", [f"{u.utterance_id} {u.speaker_id}" for u in rows])
    by_speaker: dict[str, list[str]] = defaultdict(list)
    for u in rows:
        by_speaker[u.speaker_id].append(u.utterance_id)
    _write_lines(
        folder / "spk2utt",
        [f"{s} {' '.join(by_speaker[s])}" for s in sorted(by_speaker, key=str.encode)],
    )
