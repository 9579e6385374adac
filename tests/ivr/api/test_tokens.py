"""Bearer tokens: issued by the CLI, stored hashed, refused when missing or dead."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from ivr.api.tokens import authenticate
from models import ApiToken, utcnow
from tests.conftest import fresh
from tests.ivr.api.conftest import error_code


def _token_row(db_session, secret: str) -> ApiToken:
    digest = hashlib.sha256(secret.encode()).hexdigest()
    return fresh(db_session).scalars(select(ApiToken).where(ApiToken.token_hash == digest)).one()


def test_a_valid_token_is_accepted_and_marked_used(api, world, db_session):
    assert api("worker-a").get("/stations").status_code == 200
    row = _token_row(db_session, world.tokens["worker-a"])
    assert row.last_used_at is not None
    assert row.prefix == world.tokens["worker-a"][:12] and row.prefix.startswith("ivr_")


def test_last_use_is_written_at_most_once_a_minute(api, world, db_session):
    api("worker-a").get("/stations")
    first = _token_row(db_session, world.tokens["worker-a"]).last_used_at
    api("worker-a").get("/stations")
    assert _token_row(db_session, world.tokens["worker-a"]).last_used_at == first

    row = _token_row(db_session, world.tokens["worker-a"])
    row.last_used_at = utcnow() - timedelta(minutes=2)
    db_session.commit()
    api("worker-a").get("/stations")
    assert _token_row(db_session, world.tokens["worker-a"]).last_used_at > first


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token ivr_abc"],
    ids=["absent", "empty", "no-token", "blank-token", "basic", "other-scheme"],
)
def test_a_request_without_a_bearer_token_is_401(client, world, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.get("/api/v1/tickets", headers=headers)
    assert response.status_code == 401
    assert error_code(response) == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "secret", ["ivr_wrong", "wrong", "ivr_" + "x" * 300], ids=["unknown", "no-prefix", "huge"]
)
def test_an_unknown_token_is_401(client, world, secret):
    response = client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401
    assert error_code(response) == "invalid_token"
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_the_scheme_is_case_insensitive(client, world):
    headers = {"Authorization": f"bearer {world.tokens['city']}"}
    assert client.get("/api/v1/stations", headers=headers).status_code == 200


@pytest.mark.parametrize("death", ["revoked", "expired", "user disabled"])
def test_a_dead_token_is_401(api, world, db_session, death):
    row = _token_row(db_session, world.tokens["worker-a"])
    if death == "revoked":
        row.revoked_at = utcnow()
    elif death == "expired":
        row.expires_at = utcnow() - timedelta(seconds=1)
    else:
        row.user.active = False
    db_session.commit()
    response = api("worker-a").get("/stations")
    assert response.status_code == 401
    assert error_code(response) == "invalid_token"


def test_the_openapi_document_needs_no_token(client, world):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["openapi"].startswith("3.")


def test_cli_create_prints_the_token_once_and_stores_only_its_hash(runner, world, app, db_session):
    result = runner.invoke("tokens", "create", "worker-b", "--name", "reporting", "--days", "30")
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[-1]
    assert secret.startswith("ivr_") and len(secret) > 40
    row = _token_row(db_session, secret)
    assert row.name == "reporting" and row.user.username == "worker-b"
    assert timedelta(days=29) < row.expires_at - utcnow() <= timedelta(days=30)
    assert secret not in {row.token_hash, row.prefix, row.name}
    with app.app_context():
        from ivr.db import get_session

        assert authenticate(get_session(), secret, utcnow()).id == row.id


def test_cli_create_refuses_an_unknown_user_and_bad_days(runner, world):
    result = runner.invoke("tokens", "create", "nobody")
    assert result.exit_code != 0 and "unknown user" in result.output
    assert runner.invoke("tokens", "create", "worker-a", "--days", "0").exit_code != 0


def test_cli_list_and_revoke(runner, world, client):
    secret = world.tokens["worker-b"]
    listing = runner.invoke("tokens", "list")
    assert listing.exit_code == 0
    line = next(x for x in listing.output.splitlines() if secret[:12] in x)
    assert "worker-b" in line and "active" in line and secret not in listing.output
    token_id = line.split()[0]

    result = runner.invoke("tokens", "revoke", token_id)
    assert result.exit_code == 0 and "revoked" in result.output
    response = client.get("/api/v1/stations", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401
    relisted = runner.invoke("tokens", "list").output
    assert "revoked" in next(x for x in relisted.splitlines() if secret[:12] in x)

    assert runner.invoke("tokens", "revoke", "999999").exit_code != 0


@pytest.mark.parametrize("path", [(), ("create",), ("list",), ("revoke",)])
def test_every_tokens_command_explains_itself(runner, path):
    result = runner.invoke("tokens", *path, "--help")
    assert result.exit_code == 0 and "Usage:" in result.output
