import io
import tarfile
import zipfile

import pytest

from tests.fakes.media_server import Answer, MediaServer
from transcription.install import ModelInstallError, download_model, unpack_model

LAYOUT = ["am/final.mdl", "conf/model.conf", "conf/mfcc.conf", "graph/HCLG.fst", "README"]


def _zip(path, prefix="vosk-model-tiny/", files=LAYOUT):  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(path, "w") as bundle:
        for name in files:
            bundle.writestr(prefix + name, b"x")
    return path


def test_a_zip_with_a_top_folder_is_unpacked_and_checked(tmp_path):
    model = unpack_model(_zip(tmp_path / "vosk-model-tiny.zip"), tmp_path / "models")
    assert model == tmp_path / "models" / "vosk-model-tiny"
    assert (model / "am" / "final.mdl").is_file()


def test_a_tar_gz_is_unpacked(tmp_path):
    archive = tmp_path / "m.tar.gz"
    with tarfile.open(archive, "w:gz") as bundle:
        for name in LAYOUT:
            info = tarfile.TarInfo(f"m/{name}")
            info.size = 1
            bundle.addfile(info, io.BytesIO(b"x"))
    assert (unpack_model(archive, tmp_path / "models") / "graph" / "HCLG.fst").is_file()


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (["../../evil.sh", *LAYOUT], "outside the target"),
        (["README"], "not a Vosk model"),
        (["am/final.mdl"], "incomplete model: missing conf/model.conf"),
    ],
)
def test_bad_archives_are_refused(tmp_path, files, message):
    with pytest.raises(ModelInstallError, match=message):
        unpack_model(_zip(tmp_path / "bad.zip", prefix="", files=files), tmp_path / "models")
    assert not (tmp_path / "evil.sh").exists()


def test_download_where_online(tmp_path):
    server = MediaServer()
    try:
        data = _zip(tmp_path / "src.zip").read_bytes()
        server.script("/models/vosk-model-tiny.zip", Answer(200, data))
        model = download_model("vosk-model-tiny", tmp_path / "models", server.base_url + "/models")
        assert model.name == "vosk-model-tiny"
        with pytest.raises(ModelInstallError, match="could not download"):
            download_model("vosk-model-absent", tmp_path / "models", server.base_url + "/models")
    finally:
        server.close()
