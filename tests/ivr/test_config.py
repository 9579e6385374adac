from pathlib import Path

import pytest

from ivr.config import Config, ConfigError, read_environment


def test_embedded_defaults_live_in_the_instance_folder(tmp_path):
    config = Config.from_env({}, tmp_path)
    assert config.database_url == f"sqlite:///{tmp_path / 'ivr.db'}"
    assert config.queue_path == tmp_path / "jobs.db"
    assert config.storage_dir == tmp_path / "recordings"
    assert config.storage_backend == "files"
    assert config.redis_url is None
    assert config.recording_hosts == ("api.twilio.com",)
    assert config.skip_twilio_signature is False
    assert config.vosk_models == {}


def test_the_secret_key_is_generated_once_and_kept(tmp_path):
    first = Config.from_env({}, tmp_path).secret_key
    assert len(first) >= 32
    assert Config.from_env({}, tmp_path).secret_key == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_every_documented_variable_is_read(tmp_path):
    config = Config.from_env(
        {
            "IVR_DATABASE_URL": "postgresql://ivr@db/ivr",
            "IVR_PUBLIC_URL": "https://hotline.example.org/",
            "TWILIO_ACCOUNT_SID": "AC123",
            "TWILIO_AUTH_TOKEN": "secret",
            "IVR_RECORDING_HOSTS": "api.twilio.com, 127.0.0.1:8099",
            "IVR_STORAGE_DIR": "/srv/recordings",
            "IVR_STORAGE_BACKEND": "Database",
            "IVR_REDIS_URL": "redis://127.0.0.1:6379/0",
            "IVR_VOSK_MODEL_ZH": "/models/vosk-model-small-cn-0.22",
            "IVR_VOSK_MODEL_EN": "/models/en",
        },
        tmp_path,
    )
    assert config.database_url == "postgresql+psycopg://ivr@db/ivr"
    assert config.public_url == "https://hotline.example.org"
    assert (config.twilio_account_sid, config.twilio_auth_token) == ("AC123", "secret")
    assert config.recording_hosts == ("api.twilio.com", "127.0.0.1:8099")
    assert config.storage_dir == Path("/srv/recordings")
    assert config.storage_backend == "database"
    assert config.redis_url == "redis://127.0.0.1:6379/0"
    assert config.vosk_models == {
        "zh": Path("/models/vosk-model-small-cn-0.22"),
        "en": Path("/models/en"),
    }


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("IVR_PUBLIC_URL", "hotline.example.org", "absolute http"),
        ("IVR_INSECURE_SKIP_TWILIO_SIGNATURE", "maybe", "IVR_INSECURE_SKIP_TWILIO_SIGNATURE"),
        ("IVR_RECORDING_HOSTS", "https://api.twilio.com/x", "host\\[:port\\]"),
        ("IVR_WORKER_PROCESSES", "two", "whole number"),
        ("IVR_STORAGE_BACKEND", "s3", "IVR_STORAGE_BACKEND='s3': expected files or database"),
    ],
)
def test_malformed_values_name_the_variable(tmp_path, name, value, message):
    with pytest.raises(ConfigError, match=message):
        Config.from_env({name: value}, tmp_path)


def test_a_dotenv_file_supplies_what_the_environment_does_not(tmp_path, monkeypatch):
    dotenv = tmp_path / ".env"
    dotenv.write_text("IVR_PUBLIC_URL=https://from-dotenv.example\nIVR_REDIS_URL=redis://dotenv\n")
    monkeypatch.setenv("IVR_REDIS_URL", "redis://from-environment")
    env = read_environment(dotenv)
    assert env["IVR_PUBLIC_URL"] == "https://from-dotenv.example"
    assert env["IVR_REDIS_URL"] == "redis://from-environment"


def test_the_embedded_job_queue_does_not_wait_for_the_disk_at_each_job(tmp_path):
    # The voicemail row is the source of truth (the sweep requeues one left unprocessed),
    # so the queue file keeps WAL's consistency without an fsync per enqueue and take.
    from ivr.jobs import make_huey

    huey = make_huey(Config.from_env({}, tmp_path))
    connection = huey.storage.conn
    assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert connection.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL
    huey.storage.close()
