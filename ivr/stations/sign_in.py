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
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.db import get_session
from ivr.stations.users import hash_password, verify_password
from models import User

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
# Verifying against this keeps a wrong username as slow as a wrong password.
_DUMMY_HASH = hash_password("timing-equaliser-not-a-password")


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
    """The user for these credentials, or LoginRefused. Counts failures; locks after five."""
    user = session.scalar(select(User).where(User.username == username[:64]))
    if user is None:
        verify_password(_DUMMY_HASH, password)
        raise LoginRefused(_l("用户名或密码不正确"))
    if user.locked_until is not None and user.locked_until > now:
        raise LoginRefused(_l("登录失败次数过多，请15分钟后再试"))
    if not user.active or not verify_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
        session.commit()
        raise LoginRefused(_l("用户名或密码不正确"))
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    session.commit()
    return user


def logout_everywhere(session: Session, user: User) -> None:
    user.session_version += 1
    session.commit()


def init_app(app: Flask) -> None:
    manager = LoginManager(app)
    manager.login_view = "console.login"
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
