"""Configuration, read once from the environment into a typed object.

Code receives a :class:`Config`; nothing else reads ``os.environ``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

VOSK_MODEL_PREFIX = "IVR_VOSK_MODEL_"
# Where recordings and prompts are kept: a local folder (one machine) or the database
# (a cluster: every host reads what any host stored). See ``ivr.storage``.
STORAGE_BACKENDS = ("files", "database")
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


class ConfigError(Exception):
    """A configuration value is missing or malformed; the message names the variable."""


def read_environment(dotenv_path: Path | None = None) -> dict[str, str]:
    """The process environment over the values of a ``.env`` file, if one exists."""
    path = dotenv_path or Path.cwd() / ".env"
    values = {k: v for k, v in dotenv_values(path).items() if v is not None}
    values.update(os.environ)
    return values


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(f"{name}={raw!r}: expected one of 1/0, true/false, yes/no, on/off")


def _number(env: Mapping[str, str], name: str, default: float, *, whole: bool, least: float):  # type: ignore[no-untyped-def]
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        kind = "a whole number" if whole else "a number"
        raise ConfigError(f"{name}={raw!r}: expected {kind}") from None
    if value < least:
        raise ConfigError(f"{name}={raw!r}: must be at least {least:g}")
    return value


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    return int(_number(env, name, default, whole=True, least=1))


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    return float(_number(env, name, default, whole=False, least=0))


def _public_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"IVR_PUBLIC_URL={raw!r}: expected an absolute http(s) URL")
    return raw.rstrip("/")


def _hosts(raw: str) -> tuple[str, ...]:
    hosts = tuple(h.strip().lower() for h in raw.split(",") if h.strip())
    for host in hosts:
        if "/" in host or "@" in host:
            raise ConfigError(f"IVR_RECORDING_HOSTS: {host!r} is not host[:port]")
    return hosts


def _storage_backend(raw: str) -> str:
    backend = raw.strip().lower() or "files"
    if backend not in STORAGE_BACKENDS:
        raise ConfigError(
            f"IVR_STORAGE_BACKEND={raw!r}: expected {' or '.join(STORAGE_BACKENDS)} "
            "(files: IVR_STORAGE_DIR on this machine; database: the application's database)"
        )
    return backend


def _storage_keys(raw: str) -> tuple[str, ...]:
    """IVR_STORAGE_KEYS: base64 keys of 32 bytes, current first; checked at start."""
    from ivr.privacy.keys import StorageKeyError, decode_key

    keys = tuple(k.strip() for k in raw.split(",") if k.strip())
    for position, key in enumerate(keys, start=1):
        try:
            decode_key(key, position)
        except StorageKeyError as exc:
            raise ConfigError(str(exc)) from None
    return keys


def _secret_key(env: Mapping[str, str], instance_path: Path) -> str:
    """IVR_SECRET_KEY, or a random key kept in the instance folder across restarts."""
    if env.get("IVR_SECRET_KEY"):
        return env["IVR_SECRET_KEY"]
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_hex(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


@dataclass(frozen=True)
class Config:
    instance_path: Path
    database_url: str
    public_url: str
    secret_key: str
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    recording_hosts: tuple[str, ...] = ("api.twilio.com",)
    twilio_api_url: str = ""  # REST calls go here instead of https://api.twilio.com
    storage_backend: str = "files"  # IVR_STORAGE_BACKEND: "files" or "database"
    storage_dir: Path = Path("recordings")  # the "files" backend's folder
    redis_url: str | None = None
    queue_name: str = "ivr"
    queue_path: Path = Path("jobs.db")
    vosk_models: dict[str, Path] = field(default_factory=dict)
    # Development only: accept Twilio webhooks without a valid signature.
    skip_twilio_signature: bool = False
    delete_recordings_after_fetch: bool = True
    worker_processes: int = 2
    worker_max_jobs: int = 200
    fetch_attempts: int = 4  # tries per job; Twilio's media URL can 404 for seconds
    fetch_backoff: float = 1.0  # seconds before the 2nd try, doubling after
    voicemail_max_attempts: int = 6  # jobs before a voicemail is given up as failed
    sweep_stale_seconds: float = 180.0  # untouched this long in a non-final state: re-enqueue
    # A webhook's database time budget: past it the caller hears TwiML anyway and the
    # write goes to the spool. Well inside Twilio's 15 s.
    webhook_db_budget: float = 2.0
    lease_seconds: float = 60.0  # a voicemail job's lease; renewed every third of it
    decode_max_attempts: int = 2  # decodes that crashed or timed out before giving up
    decode_timeout: float = 60.0  # seconds, plus 4 per second of audio, before a decode is stopped
    # Largest prompt upload accepted; refused before any decoding is tried.
    max_prompt_bytes: int = 10 * 1024 * 1024
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted; 0: none,
    # so the socket's peer is the client (audit logs, sign-in throttling).
    proxy_hops: int = 0
    # Privacy: the city's retention periods in days until a city admin sets others.
    retention_recordings_days: int = 90
    retention_transcripts_days: int = 365
    retention_caller_details_days: int = 730
    # Keys for recordings at rest, current first (see ``ivr.privacy.keys``); none: plain files.
    storage_keys: tuple[str, ...] = ()

    @property
    def spool_dir(self) -> Path:
        """Where webhooks journal what the database could not take in time."""
        return self.instance_path / "spool"

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: Mapping[str, str], instance_path: Path) -> Config:
        instance_path = Path(instance_path)
        database_url = env.get("IVR_DATABASE_URL") or f"sqlite:///{instance_path / 'ivr.db'}"
        if database_url.startswith("postgresql://"):
            # psycopg 3 is the driver we ship; spare operators the dialect suffix.
            database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
        vosk_models = {
            name[len(VOSK_MODEL_PREFIX) :].lower(): Path(value)
            for name, value in env.items()
            if name.startswith(VOSK_MODEL_PREFIX) and value
        }
        storage = Path(env.get("IVR_STORAGE_DIR") or instance_path / "recordings")
        return cls(
            instance_path=instance_path,
            database_url=database_url,
            public_url=_public_url(env.get("IVR_PUBLIC_URL") or "http://127.0.0.1:5000"),
            secret_key=_secret_key(env, instance_path),
            twilio_account_sid=env.get("TWILIO_ACCOUNT_SID", ""),
            twilio_auth_token=env.get("TWILIO_AUTH_TOKEN", ""),
            recording_hosts=_hosts(env.get("IVR_RECORDING_HOSTS") or "api.twilio.com"),
            twilio_api_url=(env.get("IVR_TWILIO_API_URL") or "").strip(),
            storage_backend=_storage_backend(env.get("IVR_STORAGE_BACKEND", "")),
            storage_dir=storage,
            redis_url=env.get("IVR_REDIS_URL") or None,
            queue_name=env.get("IVR_QUEUE_NAME") or "ivr",
            queue_path=instance_path / "jobs.db",
            vosk_models=vosk_models,
            skip_twilio_signature=_flag(env, "IVR_INSECURE_SKIP_TWILIO_SIGNATURE", False),
            delete_recordings_after_fetch=_flag(env, "IVR_DELETE_RECORDINGS_AFTER_FETCH", True),
            worker_processes=_positive_int(env, "IVR_WORKER_PROCESSES", 2),
            worker_max_jobs=_positive_int(env, "IVR_WORKER_MAX_JOBS", 200),
            fetch_attempts=_positive_int(env, "IVR_FETCH_ATTEMPTS", 4),
            fetch_backoff=_seconds(env, "IVR_FETCH_BACKOFF_SECONDS", 1.0),
            voicemail_max_attempts=_positive_int(env, "IVR_VOICEMAIL_MAX_ATTEMPTS", 6),
            sweep_stale_seconds=_seconds(env, "IVR_SWEEP_STALE_SECONDS", 180.0),
            webhook_db_budget=_seconds(env, "IVR_WEBHOOK_DB_BUDGET_SECONDS", 2.0) or 2.0,
            lease_seconds=max(1.0, _seconds(env, "IVR_LEASE_SECONDS", 60.0)),
            decode_max_attempts=_positive_int(env, "IVR_DECODE_MAX_ATTEMPTS", 2),
            decode_timeout=_seconds(env, "IVR_DECODE_TIMEOUT_SECONDS", 60.0),
            max_prompt_bytes=_positive_int(env, "IVR_MAX_PROMPT_BYTES", 10 * 1024 * 1024),
            proxy_hops=int(_number(env, "IVR_PROXY_HOPS", 0, whole=True, least=0)),
            retention_recordings_days=_positive_int(env, "IVR_RETENTION_RECORDINGS_DAYS", 90),
            retention_transcripts_days=_positive_int(env, "IVR_RETENTION_TRANSCRIPTS_DAYS", 365),
            retention_caller_details_days=_positive_int(
                env, "IVR_RETENTION_CALLER_DETAILS_DAYS", 730
            ),
            storage_keys=_storage_keys(env.get("IVR_STORAGE_KEYS", "")),
        )
