"""Console users: creation with a role and a scope, and password hashing (argon2)."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.phone import PhoneInvalid, normalise
from models import District, Role, Station, User

MIN_PASSWORD_LENGTH = 10
# argon2 takes any length; this bounds the work one request can ask of it.
MAX_PASSWORD_LENGTH = 1024
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
_hasher = PasswordHasher()


class UserInvalid(Exception):
    """The user cannot be created as asked; the message says why."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """Why ``password`` may not be anyone's password (in the interface language); None if
    it may. The one policy for new users and for changed passwords."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _l("密码至少需要%(n)d个字符", n=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        return _l("密码最多%(n)d个字符", n=MAX_PASSWORD_LENGTH)
    if not password.strip():
        return _l("密码不能只有空格")
    return None


def create_user(
    session: Session,
    username: str,
    password: str,
    role: Role,
    station_code: str | None = None,
    district_code: str | None = None,
    display_name: str = "",
    phone: str | None = None,
) -> User:
    """Create a user whose scope matches the role; the caller commits."""
    if not USERNAME.fullmatch(username):
        raise UserInvalid(f"username {username!r}: use 2-64 letters, digits, _ . @ -")
    problem = password_problem(password)
    if problem is not None:
        raise UserInvalid(str(problem))
    if phone:
        try:
            phone = normalise(phone)
        except PhoneInvalid as exc:
            raise UserInvalid(str(exc)) from None
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UserInvalid(f"user {username!r} already exists")
    user = User(username=username, display_name=display_name or username, role=role, phone=phone)
    user.password_hash = hash_password(password)
    if role in (Role.WORKER, Role.STATION_ADMIN):
        if not station_code:
            raise UserInvalid(f"a {role.value} needs --station")
        station = session.scalar(select(Station).where(Station.code == station_code))
        if station is None:
            raise UserInvalid(f"unknown station {station_code!r}")
        user.station_id = station.id
        user.district_id = station.district_id
    elif role is Role.DISTRICT_ADMIN:
        if not district_code:
            raise UserInvalid("a district_admin needs --district")
        district = session.scalar(
            select(District).where(
                (District.code == district_code) | (District.name_zh == district_code)
            )
        )
        if district is None:
            raise UserInvalid(f"unknown district {district_code!r}")
        user.district_id = district.id
    session.add(user)
    session.flush()
    return user
