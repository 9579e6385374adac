import subprocess

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
