"""Speech to text with Vosk: one model per process and language, loaded on first use.

Only worker processes import this module. Loading a model costs seconds and hundreds of
megabytes, and a Kaldi assertion can abort the process that holds one: the web process
never does.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transcription.audio import Pcm
from transcription.registry import ResolvedModel
from transcription.text import join_cjk

CHUNK_BYTES = 64_000  # 2 s of 16 kHz s16le per AcceptWaveform call

_models: dict[Path, Any] = {}


def load_model(path: Path) -> Any:
    """The process's Model for ``path``, loaded once and reused."""
    path = Path(path).resolve()
    model = _models.get(path)
    if model is None:
        import vosk

        vosk.SetLogLevel(-1)
        model = vosk.Model(str(path))
        _models[path] = model
    return model


def loaded_models() -> list[Path]:
    return list(_models)


def model_name(path: Path) -> str:
    """A readable name: the folder, or its parent when the folder is a generic "model"."""
    path = Path(path)
    return path.parent.name if path.name == "model" else path.name


@dataclass(frozen=True)
class Transcription:
    text: str  # for reading
    raw_text: str  # as recognised
    words: list[dict[str, Any]] = field(default_factory=list)
    confidence: float | None = None
    language: str = ""
    language_fallback: bool = False
    model: str = ""
    audio_seconds: float = 0.0
    decode_seconds: float = 0.0


def recognise(model: Any, pcm: Pcm) -> tuple[list[str], list[dict[str, Any]]]:
    """Run Kaldi over the audio: the text of each segment, and every word with timings."""
    import vosk

    recogniser = vosk.KaldiRecognizer(model, pcm.sample_rate)
    recogniser.SetWords(True)
    segments: list[dict[str, Any]] = []
    for offset in range(0, len(pcm.data), CHUNK_BYTES):
        if recogniser.AcceptWaveform(pcm.data[offset : offset + CHUNK_BYTES]):
            segments.append(json.loads(recogniser.Result()))
    segments.append(json.loads(recogniser.FinalResult()))
    texts = [s.get("text", "") for s in segments if s.get("text")]
    words = [
        {
            "word": w["word"],
            "start": round(float(w["start"]), 3),
            "end": round(float(w["end"]), 3),
            "conf": round(float(w["conf"]), 4),
        }
        for s in segments
        for w in s.get("result", [])
    ]
    return texts, words


def transcribe(pcm: Pcm, resolved: ResolvedModel) -> Transcription:
    """Transcribe 16 kHz PCM with the model ``resolved`` names."""
    model = load_model(resolved.path)
    started = time.perf_counter()
    texts, words = recognise(model, pcm)
    decode_seconds = time.perf_counter() - started
    raw = " ".join(texts)
    confidence = sum(w["conf"] for w in words) / len(words) if words else None
    return Transcription(
        text=join_cjk(raw),
        raw_text=raw,
        words=words,
        confidence=round(confidence, 4) if confidence is not None else None,
        language=resolved.language,
        language_fallback=resolved.is_fallback,
        model=model_name(resolved.path),
        audio_seconds=round(pcm.seconds, 3),
        decode_seconds=round(decode_seconds, 3),
    )
