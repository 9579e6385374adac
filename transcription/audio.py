"""Any recording to what Vosk wants: 16 kHz, mono, 16-bit little-endian PCM.

Telephone audio arrives at 8 kHz; a 16 kHz model refuses it, so everything is resampled.
WAV is read directly; other formats go through ffmpeg with the same guard as prompt
uploads: only the WAV, MP3, MP4/M4A and Ogg demuxers and only the one local file, so a
recording that is really a playlist or a concat list (HLS, ffconcat …) naming another file
or a network address is refused instead of followed.
"""

from __future__ import annotations

import audioop
import io
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pydub import AudioSegment
from pydub.exceptions import CouldntDecodeError

SAMPLE_RATE = 16_000
SAMPLE_WIDTH = 2  # bytes: 16-bit
MAX_INPUT_BYTES = 200 * 1024 * 1024
# Demuxers chosen by content, as for prompt uploads: WAV, MP3, MP4/M4A ("mov") and Ogg.
DEMUXERS = ("wav", "mp3", "mov", "ogg")
FFMPEG_SECONDS = 300


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
    return _ffmpeg_decode(data)


def guarded_input(path: Path) -> list[str]:
    """ffmpeg input options: the local file ``path`` read by an accepted demuxer, nothing
    else; no reference inside it can make ffmpeg open another file or an address."""
    return ["-protocol_whitelist", "file", "-format_whitelist", ",".join(DEMUXERS), "-i", str(path)]


def _ffmpeg_decode(data: bytes) -> AudioSegment:
    """The first audio stream as 16 kHz mono s16le, decoded by a guarded ffmpeg."""
    with tempfile.TemporaryDirectory(prefix="ivr-audio-") as folder:
        source = Path(folder) / "recording"
        source.write_bytes(data)
        command = [AudioSegment.converter, "-nostdin", "-v", "error", *guarded_input(source)]
        command += ["-map", "0:a:0", "-ac", "1", "-ar", str(SAMPLE_RATE)]
        command += ["-c:a", "pcm_s16le", "-f", "s16le", "pipe:1"]
        try:
            result = subprocess.run(
                command, capture_output=True, timeout=FFMPEG_SECONDS, stdin=subprocess.DEVNULL
            )
        except subprocess.TimeoutExpired:
            raise AudioInvalid(
                f"not decodable audio (ffmpeg took over {FFMPEG_SECONDS} s)"
            ) from None
    if result.returncode != 0:
        # e.g. "[concat @ 0x…] Format not on whitelist …; recording: Invalid argument"
        stderr = result.stderr.decode(errors="replace").replace(str(source), "recording")
        lines = stderr.strip().splitlines()[-2:]
        raise CouldntDecodeError("; ".join(lines) or "ffmpeg failed")
    return AudioSegment(
        result.stdout, sample_width=SAMPLE_WIDTH, frame_rate=SAMPLE_RATE, channels=1
    )


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
