"""Mandarin speech for the demo's voicemails: espeak-ng, phrase by phrase, with the timing of
every character taken from the synthesised audio.

Each phrase (the text between punctuation marks) is synthesised on its own by the
``espeak-ng`` program; its voiced span (the synthesis less its leading and trailing
silence) is measured from the audio itself. The phrases are joined with short pauses and
encoded as a phone line's recording arrives from Twilio: WAV, 8 kHz, mono, 16-bit PCM.
Within a phrase each character gets an equal share of the phrase's measured voiced span
(Mandarin syllables are close to even in length, and espeak-ng gives no per-syllable times
on its command line); a punctuation mark spans the pause that follows its phrase.

espeak-ng 1.51 (Debian 12) reads Chinese characters with its ``cmn`` voice as pinyin with
the tone digits spoken in English ("li three"; espeak-ng issue #1236); the same Mandarin
voice with Latin read as pinyin, ``cmn-latn-pinyin``, speaks them properly, and the demo's
sayings have no Latin text, so that is the voice used.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydub import AudioSegment
from pydub.silence import detect_nonsilent

VOICE = "cmn-latn-pinyin"  # see the module doc: plain "cmn" reads tone digits in English
FEMALE = "+f3"  # espeak-ng's variant for a woman's voice
SPEED = 150  # words a minute; espeak-ng's default 175 is hurried for Mandarin
SAMPLE_RATE = 8000  # what Twilio records a phone line at
LEAD_MS = 400  # silence before the first phrase, as after the beep
PAUSE_MS = 350  # between phrases
TAIL_MS = 600  # after the last phrase, before the caller hangs up
SILENCE_DBFS = -40
ESPEAK_SECONDS = 20


class SynthesisFailed(Exception):
    """espeak-ng is missing or produced no audio."""


@dataclass(frozen=True)
class Speech:
    wav: bytes  # 8 kHz mono 16-bit PCM WAV
    seconds: float
    # {"word", "start", "end"} per character, in order, as Vosk gives words (no "conf")
    words: list[dict[str, Any]]


def is_mark(char: str) -> bool:
    """Punctuation, where one phrase ends and the next begins."""
    return unicodedata.category(char).startswith("P")


def phrases(text: str) -> list[tuple[str, str]]:
    """``text`` as (phrase, the punctuation after it) pairs; whitespace dropped."""
    result: list[tuple[str, str]] = []
    phrase, marks = "", ""
    for char in text:
        if char.isspace():
            continue
        if is_mark(char):
            marks += char
            continue
        if marks:
            result.append((phrase, marks))
            phrase, marks = "", ""
        phrase += char
    if phrase or marks:
        result.append((phrase, marks))
    return result


def voice_for(caller_name: str | None) -> str:
    """A woman's voice for 李姨, 王婆婆, 连姐 …; a man's for 陈伯, 张先生, 吴叔 and strangers."""
    women = ("姨", "婆", "姐", "奶", "女士", "妈")
    return VOICE + FEMALE if caller_name and caller_name.endswith(women) else VOICE


def synthesise_phrase(phrase: str, voice: str = VOICE) -> AudioSegment:
    """One phrase from espeak-ng (a subprocess), as 8 kHz mono 16-bit audio."""
    with tempfile.TemporaryDirectory(prefix="ivr-demo-speech-") as folder:
        target = Path(folder) / "phrase.wav"
        command = ["espeak-ng", "-v", voice, "-s", str(SPEED), "-w", str(target), "--", phrase]
        try:
            subprocess.run(
                command,
                check=True,
                capture_output=True,
                timeout=ESPEAK_SECONDS,
                stdin=subprocess.DEVNULL,
            )
            audio = AudioSegment.from_wav(target)
        except (OSError, subprocess.SubprocessError) as exc:
            raise SynthesisFailed(f"espeak-ng could not speak {phrase!r}: {exc}") from exc
    if len(audio) == 0:
        raise SynthesisFailed(f"espeak-ng gave no audio for {phrase!r}")
    return audio.set_channels(1).set_sample_width(2).set_frame_rate(SAMPLE_RATE)


def voiced_span(audio: AudioSegment) -> tuple[int, int]:
    """Milliseconds from the first sound to the end of the last one (the whole when silent)."""
    spans = detect_nonsilent(audio, min_silence_len=30, silence_thresh=SILENCE_DBFS, seek_step=5)
    if not spans:
        return 0, len(audio)
    return spans[0][0], spans[-1][1]


def speak(text: str, voice: str = VOICE) -> Speech:
    """``text`` spoken phrase by phrase, with each character's time in the result."""
    pieces = [(p, marks, synthesise_phrase(p, voice) if p else None) for p, marks in phrases(text)]
    if not any(audio for _p, _m, audio in pieces):
        raise SynthesisFailed(f"nothing to say in {text!r}")
    silence = AudioSegment.silent(duration=LEAD_MS, frame_rate=SAMPLE_RATE)
    joined = silence.set_channels(1).set_sample_width(2)
    words: list[dict[str, Any]] = []
    for index, (phrase, marks, audio) in enumerate(pieces):
        if audio is not None:
            offset = len(joined)
            begin, end = voiced_span(audio)
            share = (end - begin) / len(phrase)
            for i, char in enumerate(phrase):
                start = offset + begin + i * share
                words.append({"word": char, "start": start, "end": start + share})
            joined += audio
        last = index == len(pieces) - 1
        pause = TAIL_MS if last else PAUSE_MS
        if marks:
            # The mark lasts from the end of the phrase's voice to the next phrase.
            after_voice = offset + end if audio is not None else len(joined)
            words.append({"word": marks, "start": after_voice, "end": len(joined) + pause})
        joined += AudioSegment.silent(duration=pause, frame_rate=SAMPLE_RATE)
    for word in words:
        word["start"] = round(word["start"] / 1000, 3)
        word["end"] = round(word["end"] / 1000, 3)
    buffer = io.BytesIO()
    joined.export(buffer, format="wav")
    return Speech(wav=buffer.getvalue(), seconds=round(len(joined) / 1000, 3), words=words)
