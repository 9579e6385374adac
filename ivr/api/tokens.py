"""API tokens: issued by ``ivr tokens create``, checked on every API request.

A token is ``ivr_`` and 43 random URL-safe characters. Only its SHA-256 is stored; the
first characters (``prefix``) are kept to tell tokens apart in listings.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import g, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.api import bp
from ivr.api.errors import ApiError
from ivr.db import get_session
from ivr.tickets.scope import Scope
from models import ApiToken, User, utcnow

TOKEN_PREFIX = "ivr_"
SHOWN_CHARS = 12  # ApiToken.prefix holds this many
MAX_TOKEN_LENGTH = 200
# last_used_at is written at most this often, not on every request.
TOUCH_EVERY = timedelta(minutes=1)
PUBLIC_ENDPOINTS = {"api.openapi_document"}
CHALLENGE = 'Bearer realm="ivr"'


class TokenInvalid(Exception):
    """A token cannot be issued or revoked as asked; the message says why."""


@dataclass(frozen=True)
class IssuedToken:
    row: ApiToken
    secret: str  # shown once, never stored


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def issue_token(
    session: Session, username: str, now: datetime, name: str = "", days: int | None = None
) -> IssuedToken:
    """A new token for an active user, expiring after ``days`` (never when None)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise TokenInvalid(f"unknown user {username!r}")
    if not user.active:
        raise TokenInvalid(f"user {username!r} is disabled")
    if days is not None and days < 1:
        raise TokenInvalid("--days must be at least 1")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user=user,
        name=name,
        token_hash=hash_secret(secret),
        prefix=secret[:SHOWN_CHARS],
        expires_at=now + timedelta(days=days) if days else None,
    )
    session.add(row)
    session.flush()
    return IssuedToken(row, secret)


def revoke_token(session: Session, token_id: int, now: datetime) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise TokenInvalid(f"no token with id {token_id}")
    if token.revoked_at is None:
        token.revoked_at = now
    return token


def token_state(token: ApiToken, now: datetime) -> str:
    """``active``, or why the token is refused: ``revoked``, ``expired``, ``user disabled``."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    if not token.user.active:
        return "user disabled"
    return "active"


def authenticate(session: Session, secret: str, now: datetime) -> ApiToken | None:
    """The active token for ``secret``, marked used; None for anything else."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > MAX_TOKEN_LENGTH:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    if token is None or token_state(token, now) != "active":
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        token.last_used_at = now
        session.commit()
    return token


def _bearer_secret() -> str | None:
    scheme, _, secret = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


@bp.before_request
def require_bearer_token() -> None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    secret = _bearer_secret()
    if secret is None:
        raise ApiError(
            401,
            "unauthorized",
            "需要 API 令牌：Authorization: Bearer <token>",
            {"WWW-Authenticate": CHALLENGE},
        )
    token = authenticate(get_session(), secret, utcnow())
    if token is None:
        raise ApiError(
            401,
            "invalid_token",
            "API 令牌无效、已过期或已撤销",
            {"WWW-Authenticate": f'{CHALLENGE}, error="invalid_token"'},
        )
    g.api_token = token


def current_token() -> ApiToken:
    return g.api_token


def current_user() -> User:
    return g.api_token.user


def current_scope() -> Scope:
    """The token user's scope, built once per request."""
    if "api_scope" not in g:
        g.api_scope = Scope.of(current_user())
    return g.api_scope
