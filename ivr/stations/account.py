"""A console user's own account: the phone click-to-call rings, the password, the language.

Every signed-in user may change these for themselves and for no one else. A changed
password ends every other session the user has open, as "log out everywhere" does.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.i18n import LANGUAGES
from ivr.phone import PhoneInvalid, normalise
from ivr.stations.sign_in import count_failure, logout_everywhere
from ivr.stations.users import hash_password, password_problem, verify_password
from models import HotlineNumber, User

WRONG_PASSWORD = _l("当前密码不正确")


class AccountChangeRefused(Exception):
    """The change cannot be made as asked; ``field`` is the form field to show it by."""

    def __init__(self, field: str, message: object) -> None:
        super().__init__(str(message))
        self.field = field


def set_phone(session: Session, user: User, typed: str) -> str | None:
    """Store the user's own phone, normalised to E.164 (empty: none); the caller commits.

    A station's hotline number is refused: click-to-call rings this phone from the
    hotline, and ringing a hotline from itself reaches the voice menu, not the worker.
    """
    if not typed.strip():
        user.phone = None
        return None
    try:
        number = normalise(typed)
    except PhoneInvalid as exc:
        raise AccountChangeRefused("phone", exc) from None
    if session.scalar(select(HotlineNumber.id).where(HotlineNumber.number == number)):
        raise AccountChangeRefused(
            "phone", _l("%(number)s 是热线号码，请填写你自己的电话", number=number)
        )
    user.phone = number
    return number


def set_language(user: User, language: str) -> str:
    """Remember the user's interface language on their account; the caller commits."""
    user.locale = language if language in LANGUAGES else "zh"
    return user.locale


def change_password(
    session: Session, user: User, current: str, new: str, repeated: str, now: datetime
) -> None:
    """Replace the user's password, given the current one, and end their other sessions.

    A wrong current password counts as a failed sign-in (enough in a row lock the
    account); while the account is locked even the right one is refused, alike. The
    argon2 work (verifying, hashing) runs outside any transaction. Commits.
    """
    problem = password_problem(new)
    if problem is not None:
        raise AccountChangeRefused("new_password", problem)
    if new != repeated:
        raise AccountChangeRefused("repeat_password", _l("两次输入的新密码不一致"))
    if new == current:
        raise AccountChangeRefused("new_password", _l("新密码不能和当前密码相同"))
    locked = user.locked_until is not None and user.locked_until > now
    stored, username = user.password_hash, user.username
    session.commit()  # no transaction (so no SQLite write lock) across the slow argon2
    if locked or not verify_password(stored, current):
        count_failure(session, username, now)
        raise AccountChangeRefused("current_password", WRONG_PASSWORD)
    new_hash = hash_password(new)
    user.password_hash = new_hash
    logout_everywhere(session, user, now)
