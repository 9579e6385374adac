"""Shared fixtures: an app on a fresh database per test, over SQLite and PostgreSQL.

``IVR_TEST_DATABASES`` (default ``sqlite,postgresql``) picks the databases;
``IVR_TEST_POSTGRES_URL`` names a PostgreSQL database this suite may create others from.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

import models
from ivr import create_app
from ivr.cli import cli
from ivr.db import dispose
from ivr.twilio_rest import RestHttpClient
from models.db import deferred, make_engine
from models.migrate import upgrade
from tests.fakes.twilio_api import FakeTwilioApi

DATABASES = [
    d.strip() for d in os.environ.get("IVR_TEST_DATABASES", "sqlite,postgresql").split(",")
]
POSTGRES_URL = os.environ.get(
    "IVR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
TWILIO_ACCOUNT_SID = "AC" + "0" * 32
TWILIO_AUTH_TOKEN = "test-auth-token"
PUBLIC_URL = "https://hotline.example.org"


class PostgresDatabases:
    """Creates and drops throw-away databases next to ``POSTGRES_URL``."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = make_url(admin_url)
        self.admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")

    def create(self, prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresDatabases]:
    databases = PostgresDatabases(POSTGRES_URL)
    yield databases
    databases.admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "ivr.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # the last connection closing checkpoints the WAL into the file
    assert not path.with_name("ivr.db-wal").exists()
    return path


@pytest.fixture(scope="session")
def postgres_migrated(postgres: PostgresDatabases) -> Iterator[str]:
    """One migrated PostgreSQL database per test process, emptied before each test."""
    url = postgres.create("ivr_test")
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    postgres.drop(url)


def _truncate_all(url: str) -> None:
    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in models.Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database for this test alone."""
    if request.param == "sqlite":
        path = tmp_path / "ivr.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_migrated")
        _truncate_all(url)
        return url
    raise ValueError(f"unknown test database {request.param!r}")


@pytest.fixture(params=DATABASES)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all, for migration tests."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    postgres: PostgresDatabases = request.getfixturevalue("postgres")
    url = postgres.create("ivr_empty")
    yield url
    postgres.drop(url)


def app_env(tmp_path: Path, database_url: str, **overrides: str) -> dict[str, str]:
    env = {
        "IVR_INSTANCE_DIR": str(tmp_path / "instance"),
        "IVR_DATABASE_URL": database_url,
        "IVR_PUBLIC_URL": PUBLIC_URL,
        "IVR_SECRET_KEY": "test-secret-key",
        "TWILIO_ACCOUNT_SID": TWILIO_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_AUTH_TOKEN,
    }
    env.update(overrides)
    return env


@pytest.fixture
def make_app(tmp_path: Path, database_url: str) -> Iterator:
    """Build an app on this test's database, with extra environment variables."""
    built: list[Flask] = []

    def build(**overrides: str) -> Flask:
        app = create_app(app_env(tmp_path, database_url, **overrides))
        app.config["TESTING"] = True
        built.append(app)
        return app

    yield build
    for app in built:
        dispose(app)


@pytest.fixture
def app(make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app()


@pytest.fixture
def fake_api(app: Flask) -> Iterator[FakeTwilioApi]:
    """Twilio's REST API on loopback; the app's REST client points at it."""
    fake = FakeTwilioApi()
    app.extensions["ivr.twilio_http_client"] = RestHttpClient(fake.base_url)
    yield fake
    fake.close()


@pytest.fixture
def client(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_client()


class CliRunner:
    """Runs ``ivr`` commands against the test app."""

    def __init__(self, app: Flask) -> None:
        self._runner = app.test_cli_runner()

    def invoke(self, *args: str, input: str | bytes | None = None):  # type: ignore[no-untyped-def]
        return self._runner.invoke(cli, list(args), input=input)


@pytest.fixture
def runner(app: Flask) -> CliRunner:
    return CliRunner(app)


@pytest.fixture
def db_session(app: Flask) -> Iterator[Session]:
    """A session of its own on the test's database (not the request's).

    Its SQLite transactions begin DEFERRED, so a test reading between two webhook
    requests never holds the write lock the next request needs. Call ``fresh(session)``
    before reading what a request wrote.
    """
    session = Session(bind=deferred(app.extensions["ivr.db"].engine), expire_on_commit=False)
    yield session
    session.close()


def fresh(session: Session) -> Session:
    """End the session's transaction so the next read sees what requests committed."""
    session.commit()
    session.expire_all()
    return session


class Twilio:
    """Posts to webhooks as Twilio does: absolute public URL, form fields, a real signature."""

    def __init__(self, client, token: str = TWILIO_AUTH_TOKEN, public_url: str = PUBLIC_URL):  # type: ignore[no-untyped-def]
        from twilio.request_validator import RequestValidator

        self.client = client
        self.public_url = public_url
        self.validator = RequestValidator(token)

    def signature(self, url: str, params: dict[str, str]) -> str:
        return self.validator.compute_signature(url, params)

    def post(self, path_or_url: str, headers: dict[str, str] | None = None, **params: str):  # type: ignore[no-untyped-def]
        url = path_or_url if "://" in path_or_url else self.public_url + path_or_url
        path = url[len(self.public_url) :]
        signed = {"X-Twilio-Signature": self.signature(url, params), **(headers or {})}
        return self.client.post(path, data=params, headers=signed)


@pytest.fixture
def twilio(client) -> Twilio:  # type: ignore[no-untyped-def]
    return Twilio(client)
