"""Any recording to what Vosk wants: 16 kHz, mono, 16-bit little-endian PCM.

Telephone audio arrives at 8 kHz; a 16 kHz model refuses it, so everything is resampled.
WAV is read directly; other formats (mp3, ogg, m4a …) go through ffmpeg via pydub.
"""

from __future__ import annotations

import audioop
import io
from dataclasses import dataclass
from pathlib import Path

from pydub import AudioSegment
from pydub.exceptions import CouldntDecodeError

SAMPLE_RATE = 16_000
SAMPLE_WIDTH = 2  # bytes: 16-bit
MAX_INPUT_BYTES = 200 * 1024 * 1024


class AudioInvalid(Exception):
    """The input is not audio we can decode (empty, truncated beyond use, not audio)."""


@dataclass(frozen=True)
class Pcm:
    data: bytes  # 16 kHz mono s16le
    sample_rate: int = SAMPLE_RATE

    @property
    def seconds(self) -> float:
        return len(self.data) / (self.sample_rate * SAMPLE_WIDTH)


def _decode(data: bytes) -> AudioSegment:
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        try:
            return AudioSegment.from_file(io.BytesIO(data), format="wav")
        except Exception:
            pass  # a damaged header: let ffmpeg try to salvage what it can
    return AudioSegment.from_file(io.BytesIO(data))


def to_pcm(data: bytes) -> Pcm:
    """Decode ``data`` and convert it to 16 kHz mono 16-bit PCM."""
    if not data:
        raise AudioInvalid("the file is empty")
    if len(data) > MAX_INPUT_BYTES:
        raise AudioInvalid(f"the file is larger than {MAX_INPUT_BYTES // 2**20} MiB")
    try:
        segment = _decode(data)
    except (CouldntDecodeError, IndexError, ValueError, EOFError) as exc:
        detail = str(exc).strip().splitlines()
        reason = detail[-1] if detail else type(exc).__name__
        raise AudioInvalid(f"not decodable audio ({reason[:200]})") from None
    # A recording cut off mid-frame (a dropped upload, a full disk) keeps its whole frames.
    partial = len(segment.raw_data) % segment.frame_width
    if partial:
        segment = segment._spawn(segment.raw_data[:-partial])
    try:
        segment = segment.set_channels(1).set_sample_width(SAMPLE_WIDTH).set_frame_rate(SAMPLE_RATE)
    except audioop.error as exc:
        raise AudioInvalid(f"not decodable audio ({exc})") from None
    if len(segment.raw_data) < SAMPLE_RATE * SAMPLE_WIDTH // 10:
        raise AudioInvalid("less than 0.1 s of audio")
    return Pcm(segment.raw_data)


def file_to_pcm(path: Path) -> Pcm:
    return to_pcm(Path(path).read_bytes())
