"""Console sign-in: argon2 passwords, throttling, and "log out everywhere".

A session carries the user's id and ``session_version``; bumping the version ends every
session that user has open, on every device.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin
from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.orm import Session

from ivr.db import get_session
from ivr.stations.users import hash_password, verify_password
from models import ApiToken, User

# Failures in a row that lock an account, for LOCKOUT. Twice what one client address may
# try in a window (ivr/console/sign_in.py), so one address alone cannot lock a person
# out within a window; spread over many addresses, guessing is what the lock stops.
MAX_FAILED_LOGINS = 20
LOCKOUT = timedelta(minutes=15)
# Verifying against this keeps a wrong username as slow as a wrong password.
_DUMMY_HASH = hash_password("timing-equaliser-not-a-password")
# One answer for every refusal: an unknown user, a wrong password, a disabled or a
# locked account (even with the right password) cannot be told apart, in words or time.
LOGIN_FIRST = _l("请先登录，再打开这个页面。")
REFUSED = _l("用户名或密码不正确。连续输错多次后，账号会暂时锁定15分钟。")


class LoginRefused(Exception):
    """Sign-in failed; the message is safe to show (it never says which part was wrong)."""


@dataclass
class SignedIn(UserMixin):
    """What Flask-Login keeps for the current request: the user row."""

    user: User

    def get_id(self) -> str:
        return f"{self.user.id}:{self.user.session_version}"

    @property
    def is_active(self) -> bool:
        return self.user.active


def authenticate(session: Session, username: str, password: str, now: datetime) -> User:
    """The user for these credentials, or LoginRefused.

    Every attempt does the same work, whatever the outcome: one argon2 verification
    (against a dummy hash for an unknown name) and, on failure, one UPDATE. Failures
    are counted by that single statement, so concurrent attempts cannot lose a count;
    :data:`MAX_FAILED_LOGINS` in a row lock the account for :data:`LOCKOUT`, during
    which even the right password is refused with the same answer.
    """
    name = username[:64]
    user = session.scalar(select(User).where(User.username == name))
    stored_hash = user.password_hash if user is not None else _DUMMY_HASH
    usable = user is not None and user.active and not _locked(user.locked_until, now)
    session.commit()  # no transaction (so no SQLite write lock) across the slow verify
    matches = verify_password(stored_hash, password)
    if user is None or not usable or not matches or not _sign_in(session, user.id, now):
        count_failure(session, name, now)
        raise LoginRefused(REFUSED)
    return user


def _locked(until: datetime | None, now: datetime) -> bool:
    return until is not None and until > now


def _sign_in(session: Session, user_id: int, now: datetime) -> bool:
    """Reset the failure count, unless a lock landed since the row was read."""
    result = session.execute(
        update(User)
        .where(
            User.id == user_id,
            or_(User.locked_until.is_(None), User.locked_until <= now),
        )
        .values(failed_logins=0, locked_until=None, last_login_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined]


def count_failure(session: Session, username: str, now: datetime) -> None:
    """Count a failed sign-in in one atomic UPDATE; enough in a row lock the account.

    Run for unknown names too (it matches no row), so every failure costs the same.
    Attempts while the account is locked are not counted and do not extend the lock.
    """
    locked = and_(User.locked_until.is_not(None), User.locked_until > now)
    reaches_limit = User.failed_logins + 1 >= MAX_FAILED_LOGINS
    session.execute(
        update(User)
        .where(User.username == username)
        .values(
            failed_logins=case(
                (locked, User.failed_logins), (reaches_limit, 0), else_=User.failed_logins + 1
            ),
            locked_until=case(
                (locked, User.locked_until), (reaches_limit, now + LOCKOUT), else_=None
            ),
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()


def logout_everywhere(
    session: Session, user: User, now: datetime, revoke_api_tokens: bool = False
) -> int:
    """End every console session the user has open; with ``revoke_api_tokens``, also
    revoke every API token of theirs still valid. Returns how many tokens were revoked."""
    user.session_version += 1
    revoked = 0
    if revoke_api_tokens:
        result = session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        revoked = result.rowcount  # type: ignore[attr-defined]
    session.commit()
    return revoked


def init_app(app: Flask) -> None:
    manager = LoginManager(app)
    manager.login_view = "console.login"
    manager.login_message = LOGIN_FIRST
    manager.login_message_category = "info"
    manager.localize_callback = str  # the lazy message, in the language of this request
    manager.session_protection = "strong"

    @manager.user_loader
    def load(identity: str) -> SignedIn | None:
        user_id, _, version = identity.partition(":")
        if not user_id.isdigit() or not version.isdigit():
            return None
        user = get_session().get(User, int(user_id))
        if user is None or user.session_version != int(version) or not user.active:
            return None
        return SignedIn(user)

    config = app.config["IVR"]
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.public_url.startswith("https://"),
        REMEMBER_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
    )
