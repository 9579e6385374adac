"""Interface language: Chinese (zh) by default, English switchable, via Flask-Babel.

Message ids are the Chinese text; ``translations/en`` holds the English. A signed-in
user's choice is kept on their account (``users.locale``), so it follows them to every
device and survives signing out; before sign-in the session's choice, then the browser's.
"""

from __future__ import annotations

from flask import Flask, has_request_context, request, session
from flask_babel import Babel, get_locale
from flask_login import current_user

LANGUAGES = ("zh", "en")


def select_locale() -> str:
    if not has_request_context():
        return "zh"  # the command line and jobs: the message ids themselves
    if "_user_id" in session and current_user.is_authenticated:
        chosen = current_user.user.locale
        if chosen in LANGUAGES:
            return chosen
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or "zh"


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "zh")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
