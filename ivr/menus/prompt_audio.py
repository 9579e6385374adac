"""An uploaded announcement to what Twilio's ``<Play>`` wants: 8 kHz mono 16-bit PCM WAV.

Formats are told by content, never by file name: ffprobe, allowed only the WAV, MP3,
MP4/M4A and Ogg demuxers and only local files, says what the bytes are and whether they
hold audio. ffmpeg then decodes the first audio stream with that same demuxer forced,
stopping at the first damaged packet, and resamples (with its band-limiting filter) to
8 kHz mono while it decodes, so memory stays bounded by the output, whatever the input's
rate and channels. pydub reads the result back, measures it and writes the final WAV.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pydub import AudioSegment
from pydub.exceptions import CouldntDecodeError
from pydub.utils import get_prober_name

SAMPLE_RATE = 8000
SAMPLE_WIDTH = 2  # bytes: 16-bit
MIN_SECONDS = 0.2
MAX_SECONDS = 600
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# Demuxers by content: WAV, MP3, MP4/M4A ("mov" covers mp4, m4a, 3gp …) and Ogg.
DEMUXERS = ("wav", "mp3", "mov", "ogg")
FORMAT_LABELS = {"wav": "WAV", "mp3": "MP3", "mov": "M4A/MP4", "ogg": "Ogg"}
PROBE_SECONDS = 30
DECODE_SECONDS = 120
# A container that promises clearly more audio than decodes was cut short (an MP3's
# Xing header or an M4A's index still gives the whole length).
TRUNCATION_SLACK = 0.25


class PromptRejected(Exception):
    """The upload cannot become a prompt. ``reason`` is a code the page words for people
    (``empty``, ``too_large``, ``not_audio``, ``no_audio``, ``damaged``, ``too_short``,
    ``too_long``, ``too_slow``); ``detail`` holds the numbers the wording needs."""

    def __init__(self, reason: str, message: str, **detail: object) -> None:
        super().__init__(message)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class ConvertedPrompt:
    data: bytes  # a complete WAV file: 8 kHz, mono, 16-bit PCM
    duration_seconds: float
    source_format: str  # what the upload was, e.g. "MP3"
    sample_rate: int = SAMPLE_RATE

    @property
    def size_bytes(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class _Probe:
    demuxer: str  # the one ffprobe chose, e.g. "mov"
    seconds: float | None  # what the container says, if it says


def convert_prompt(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> ConvertedPrompt:
    """Check ``data`` is an accepted audio file and convert it; :class:`PromptRejected` if not.

    The size is checked before anything looks inside the bytes.
    """
    if not data:
        raise PromptRejected("empty", "the file is empty")
    if len(data) > max_bytes:
        raise PromptRejected(
            "too_large", f"{len(data)} bytes: larger than {max_bytes}", limit=max_bytes
        )
    with tempfile.TemporaryDirectory(prefix="ivr-prompt-") as folder:
        source = Path(folder) / "upload"
        source.write_bytes(data)
        probe = _probe(source)
        if probe.seconds is not None and probe.seconds > MAX_SECONDS + 1:
            raise _too_long(probe.seconds)
        decoded = Path(folder) / "decoded.wav"
        _decode(source, probe.demuxer, decoded)
        try:
            segment = AudioSegment.from_wav(decoded)
        except (CouldntDecodeError, EOFError, ValueError) as exc:
            raise PromptRejected("damaged", f"ffmpeg's output did not read back: {exc}") from None
    return _finish(segment, probe)


def _finish(segment: AudioSegment, probe: _Probe) -> ConvertedPrompt:
    seconds = segment.frame_count() / SAMPLE_RATE
    if seconds > MAX_SECONDS:
        raise _too_long(seconds)
    if probe.seconds is not None and seconds < probe.seconds * 0.95 - TRUNCATION_SLACK:
        raise PromptRejected(
            "damaged", f"only {seconds:.2f} s of the {probe.seconds:.2f} s promised decode"
        )
    if seconds < MIN_SECONDS:
        raise PromptRejected(
            "too_short", f"{seconds:.2f} s of audio (at least {MIN_SECONDS} s)", seconds=seconds
        )
    buffer = io.BytesIO()
    segment.export(buffer, format="wav")
    label = FORMAT_LABELS.get(probe.demuxer, probe.demuxer)
    return ConvertedPrompt(buffer.getvalue(), round(seconds, 3), label)


def _too_long(seconds: float) -> PromptRejected:
    return PromptRejected(
        "too_long", f"{seconds:.0f} s of audio (at most {MAX_SECONDS} s)", limit=MAX_SECONDS
    )


def _guarded_input(path: Path) -> list[str]:
    """Input options: local files and the accepted demuxers only, so no playlist or
    reference inside an upload can make ffmpeg open another file or a network address."""
    return [
        "-protocol_whitelist",
        "file",
        "-format_whitelist",
        ",".join(DEMUXERS),
        "-i",
        str(path),
    ]


def _run(command: list[str], timeout: int) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            command, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        raise PromptRejected("too_slow", f"{command[0]} took over {timeout} s") from None


def _probe(path: Path) -> _Probe:
    command = [get_prober_name(), "-v", "error", "-of", "json", "-show_format", "-show_streams"]
    result = _run(command + _guarded_input(path), PROBE_SECONDS)
    try:
        info = json.loads(result.stdout or b"{}")
    except ValueError:
        info = {}
    demuxers = str(info.get("format", {}).get("format_name", "")).split(",")
    if result.returncode != 0 or demuxers[0] not in DEMUXERS:
        reason = result.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["?"]
        raise PromptRejected("not_audio", f"not a WAV, MP3, M4A or Ogg file ({reason[0][:200]})")
    streams = info.get("streams") or []
    if not any(stream.get("codec_type") == "audio" for stream in streams):
        raise PromptRejected("no_audio", "the file holds no audio stream")
    return _Probe(demuxers[0], _seconds(info["format"].get("duration")))


def _seconds(value: object) -> float | None:
    try:
        seconds = float(str(value))
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def _decode(source: Path, demuxer: str, target: Path) -> None:
    command = [
        AudioSegment.converter,
        "-nostdin",
        "-v",
        "error",
        "-xerror",  # a damaged packet fails the upload instead of a glitch on the line
        "-f",
        demuxer,
        *_guarded_input(source),
        "-map",
        "0:a:0",
        "-t",
        str(MAX_SECONDS + 1),  # enough to tell "too long" without decoding hours
        "-ac",
        "1",
        "-ar",
        str(SAMPLE_RATE),
        "-c:a",
        "pcm_s16le",
        "-f",
        "wav",
        str(target),
    ]
    result = _run(command, DECODE_SECONDS)
    if result.returncode != 0 or not target.is_file():
        lines = result.stderr.decode(errors="replace").strip().splitlines()
        raise PromptRejected("damaged", f"ffmpeg could not decode it: {(lines or ['?'])[-1][:200]}")
