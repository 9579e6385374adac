"""Fetching recordings from Twilio, safely, and keeping them in storage (``ivr.storage``).

Only hosts in ``IVR_RECORDING_HOSTS`` are fetched from, over https; plain http only for a
loopback host listed explicitly (tests). Anything else is refused, so a forged or
mistaken ``RecordingUrl`` cannot make the server request an address of an attacker's
choosing.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

from ivr.storage import Storage

log = logging.getLogger(__name__)
MAX_RECORDING_BYTES = 50 * 1024 * 1024
MAX_REDIRECTS = 3
RETRY_STATUSES = frozenset({404, 408, 425, 429, 500, 502, 503, 504})


class RecordingRefused(Exception):
    """The URL may not be fetched (host not allowed, wrong scheme, credentials in it)."""


class RecordingUnavailable(Exception):
    """Twilio answered, and it will not get better by waiting (e.g. 401 Unauthorized)."""


class RecordingNotReady(Exception):
    """Not there yet (404, 5xx, timeout) after every retry; try again later."""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, allowed_hosts: tuple[str, ...]) -> None:
    """Refuse any URL this server must not fetch a recording from."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.username or parts.password:
        raise RecordingRefused(f"credentials inside the URL {url!r}")
    try:
        port = parts.port
    except ValueError:
        raise RecordingRefused(f"bad port in {url!r}") from None
    host_port = f"{host}:{port}" if port else host
    if parts.scheme == "https":
        if host_port in allowed_hosts or (port == 443 and host in allowed_hosts):
            return
        raise RecordingRefused(f"host {host_port!r} is not in IVR_RECORDING_HOSTS")
    if parts.scheme == "http" and _is_loopback(host) and host_port in allowed_hosts:
        return
    raise RecordingRefused(f"{parts.scheme or 'no'} scheme for {host_port!r} is not allowed")


def media_url(recording_url: str) -> str:
    """Twilio's RecordingUrl names the recording; ``.wav`` asks for the audio itself."""
    path = urlsplit(recording_url).path
    return recording_url if Path(path).suffix else recording_url + ".wav"


@dataclass(frozen=True)
class Fetched:
    data: bytes
    content_type: str


def _get_once(
    url: str, auth: tuple[str, str], allowed: tuple[str, ...], timeout: float
) -> requests.Response:
    for _ in range(MAX_REDIRECTS + 1):
        check_url(url, allowed)
        response = requests.get(url, auth=auth, timeout=timeout, allow_redirects=False, stream=True)
        if response.status_code in (301, 302, 303, 307, 308):
            target = urljoin(url, response.headers.get("Location", ""))
            # Credentials go only to the host they were given for.
            if urlsplit(target).netloc != urlsplit(url).netloc:
                auth = ("", "")
            url = target
            response.close()
            continue
        return response
    raise RecordingUnavailable(f"more than {MAX_REDIRECTS} redirects")


def _read_body(response: requests.Response) -> bytes:
    chunks, size = [], 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > MAX_RECORDING_BYTES:
            raise RecordingUnavailable(f"recording larger than {MAX_RECORDING_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def fetch_recording(
    recording_url: str,
    auth: tuple[str, str],
    allowed_hosts: tuple[str, ...],
    attempts: int = 4,
    backoff: float = 1.0,
    timeout: float = 20.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Fetched:
    """Download a recording, retrying 404/5xx/timeouts with exponential backoff."""
    url = media_url(recording_url)
    check_url(url, allowed_hosts)
    last = ""
    for attempt in range(attempts):
        if attempt:
            sleep(backoff * 2 ** (attempt - 1))
        try:
            response = _get_once(url, auth, allowed_hosts, timeout)
        except (requests.Timeout, requests.ConnectionError) as exc:
            last = f"{type(exc).__name__}"
            continue
        with response:
            if response.status_code == 200:
                data = _read_body(response)
                return Fetched(data, response.headers.get("Content-Type", "audio/x-wav")[:64])
            if response.status_code in (401, 403):
                raise RecordingUnavailable(
                    f"Twilio refused the credentials (HTTP {response.status_code}); check "
                    "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"
                )
            if response.status_code not in RETRY_STATUSES:
                raise RecordingUnavailable(
                    f"HTTP {response.status_code} from {urlsplit(url).netloc}"
                )
            last = f"HTTP {response.status_code}"
    raise RecordingNotReady(f"{last} after {attempts} tries")


@dataclass(frozen=True)
class Stored:
    path: str  # the storage key (relative, as ``voicemails.storage_path`` holds it)
    sha256: str
    size: int


def store_recording(
    storage: Storage,
    folder: str,
    voicemail_id: int,
    data: bytes,
    when: datetime,
) -> Stored:
    """Write ``data`` under a name the server chooses, atomically, readable by us alone,
    sealed when the storage has a current key; the SHA-256 is of the audio itself, and
    of what reads back."""
    relative = f"{folder}/{when:%Y}/{when:%m}/{voicemail_id}-{secrets.token_hex(8)}.wav"
    storage.write(relative, data)
    digest = hashlib.sha256(storage.read(relative) or b"").hexdigest()
    if digest != hashlib.sha256(data).hexdigest():  # pragma: no cover - a failing disk
        raise OSError(f"{relative} does not read back as written")
    return Stored(relative, digest, len(data))
