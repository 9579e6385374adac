"""Installing a Vosk model: unpack a local archive, or download one where online."""

from __future__ import annotations

import shutil
import tarfile
import tempfile
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath

from transcription.registry import layout_problems

DEFAULT_BASE_URL = "https://alphacephei.com/vosk/models"


class ModelInstallError(Exception):
    """The archive or download could not become a usable model; the message says why."""


def _safe_members(names: list[str]) -> None:
    for name in names:
        path = PurePosixPath(name)
        if path.is_absolute() or ".." in path.parts:
            raise ModelInstallError(f"refusing archive member {name!r} outside the target")


def _extract(archive: Path, target: Path) -> None:
    name = archive.name.lower()
    if name.endswith(".zip"):
        with zipfile.ZipFile(archive) as bundle:
            _safe_members(bundle.namelist())
            bundle.extractall(target)
    elif name.endswith((".tar.gz", ".tgz", ".tar")):
        with tarfile.open(archive) as bundle:
            _safe_members(bundle.getnames())
            bundle.extractall(target, filter="data")
    else:
        raise ModelInstallError(f"{archive.name}: expected a .zip, .tar.gz or .tgz archive")


def _model_root(folder: Path) -> Path:
    """The folder inside an unpacked archive that holds am/ and conf/."""
    for candidate in [folder, *sorted(p for p in folder.rglob("*") if p.is_dir())]:
        if (candidate / "am" / "final.mdl").is_file():
            return candidate
    raise ModelInstallError("no am/final.mdl inside the archive: not a Vosk model")


def unpack_model(archive: Path, models_dir: Path) -> Path:
    """Unpack ``archive`` into ``models_dir/<name>`` and check its layout; the model path."""
    archive = Path(archive)
    if not archive.is_file():
        raise ModelInstallError(f"{archive}: no such file")
    name = archive.name
    for suffix in (".zip", ".tar.gz", ".tgz", ".tar"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    models_dir.mkdir(parents=True, exist_ok=True)
    destination = models_dir / name
    if destination.exists():
        raise ModelInstallError(f"{destination} already exists; remove it to reinstall")
    with tempfile.TemporaryDirectory(dir=models_dir) as scratch:
        try:
            _extract(archive, Path(scratch))
        except (zipfile.BadZipFile, tarfile.TarError, EOFError) as exc:
            raise ModelInstallError(f"{archive.name}: damaged archive ({exc})") from None
        root = _model_root(Path(scratch))
        problems = layout_problems(root)
        if problems:
            raise ModelInstallError(f"{archive.name}: incomplete model: {'; '.join(problems)}")
        shutil.move(str(root), destination)
    return destination


def download_model(name: str, models_dir: Path, base_url: str = DEFAULT_BASE_URL) -> Path:
    """Fetch ``<base_url>/<name>.zip`` and unpack it (needs the internet, or a mirror)."""
    if not name.replace("-", "").replace(".", "").replace("_", "").isalnum():
        raise ModelInstallError(f"{name!r} is not a model name like vosk-model-small-cn-0.22")
    url = f"{base_url.rstrip('/')}/{name}.zip"
    with tempfile.TemporaryDirectory() as scratch:
        archive = Path(scratch) / f"{name}.zip"
        try:
            with urllib.request.urlopen(url, timeout=30) as response, archive.open("wb") as out:
                shutil.copyfileobj(response, out)
        except OSError as exc:
            raise ModelInstallError(f"could not download {url}: {exc}") from None
        return unpack_model(archive, models_dir)
