import pytest

from tests.fakes.speech import STEADY_PHRASE, synthesise


@pytest.fixture(scope="session")
def korean_speech(tmp_path_factory):
    """A few seconds of Korean at 8 kHz, as a phone line would carry it."""
    folder = tmp_path_factory.mktemp("speech")
    return synthesise(STEADY_PHRASE, folder / "ko-8k.wav")
