import subprocess
from pathlib import Path

import pytest

from transcription.audio import SAMPLE_RATE, AudioInvalid, to_pcm


def test_telephone_audio_becomes_16_khz_mono_pcm(korean_speech):
    pcm = to_pcm(korean_speech.read_bytes())
    assert pcm.sample_rate == SAMPLE_RATE
    frames_8k = (korean_speech.stat().st_size - 44) // 2
    assert abs(len(pcm.data) // 2 - frames_8k * 2) < 64  # twice the samples, 16-bit, mono
    assert 2.0 < pcm.seconds < 6.0


@pytest.mark.parametrize("suffix", ["ogg", "mp3"])
def test_compressed_formats_are_decoded_through_ffmpeg(korean_speech, tmp_path, suffix):
    target = tmp_path / f"speech.{suffix}"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-i", str(korean_speech), str(target)], check=True
    )
    original = to_pcm(korean_speech.read_bytes())
    converted = to_pcm(target.read_bytes())
    assert abs(converted.seconds - original.seconds) < 0.2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"this is a text file, not a recording\n" * 20, "not decodable audio"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "not decodable audio"),
    ],
    ids=["empty", "text", "bare-header"],
)
def test_what_is_not_audio_is_refused_clearly(data, message):
    with pytest.raises(AudioInvalid, match=message):
        to_pcm(data)


def test_a_truncated_recording_keeps_what_arrived(korean_speech):
    data = korean_speech.read_bytes()
    half = to_pcm(data[: len(data) // 2])
    assert 0.5 < half.seconds < to_pcm(data).seconds


def _playlists(target: Path) -> dict[str, bytes]:
    """Texts ffmpeg, unguarded, reads as lists of other files to decode."""
    return {
        "ffconcat-relative": f"ffconcat version 1.0\nfile {target.name}\n".encode(),
        "ffconcat-absolute": f"ffconcat version 1.0\nfile {target}\n".encode(),
        "hls": (
            f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:5.0,\nfile://{target}\n#EXT-X-ENDLIST\n"
        ).encode(),
        "hls-passwd": b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:5.0,\n"
        b"/etc/passwd\n#EXT-X-ENDLIST\n",
    }


@pytest.mark.parametrize("kind", ["ffconcat-relative", "ffconcat-absolute", "hls", "hls-passwd"])
def test_a_playlist_naming_another_file_is_refused(korean_speech, tmp_path, monkeypatch, kind):
    # The worker's own folder holds someone else's recording the list points at.
    target = tmp_path / "other-voicemail.wav"
    target.write_bytes(korean_speech.read_bytes())
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AudioInvalid, match="not decodable audio"):
        to_pcm(_playlists(target)[kind])
