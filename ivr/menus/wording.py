"""The menu checks' messages: a catalogue id (the Chinese text) and its parameters,
rendered only when shown.

The validator runs where there is no request (``ivr menu validate``, bulk changes, tests),
so it cannot pick a language; it builds :class:`Text` values with :func:`N_`, and whoever
shows one renders it: during a request in the interface language (Flask-Babel's catalogue),
anywhere else in English. A parameter may itself be a :class:`Text` (what was expected,
what was found), rendered in the same language.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from gettext import NullTranslations
from pathlib import Path

from babel.support import Translations
from flask import has_request_context

TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"


@dataclass(frozen=True)
class Text:
    msgid: str
    params: tuple[tuple[str, object], ...] = ()

    def render(self, catalogue: NullTranslations | None = None) -> str:
        catalogue = catalogue or _catalogue()
        template = catalogue.gettext(self.msgid)
        if not self.params:
            return template
        values = {
            name: value.render(catalogue) if isinstance(value, Text) else value
            for name, value in self.params
        }
        return template % values

    def param(self, name: str) -> object:
        """A parameter's value, looked for in nested texts too; None if there is none."""
        for key, value in self.params:
            if key == name:
                return value
            if isinstance(value, Text) and (found := value.param(name)) is not None:
                return found
        return None

    def __str__(self) -> str:
        return self.render()


def N_(msgid: str, **params: object) -> Text:  # noqa: N802 - the catalogue extractor's keyword
    """Mark ``msgid`` for the catalogue; it is translated when the text is shown."""
    return Text(msgid, tuple(params.items()))


def _catalogue() -> NullTranslations:
    if has_request_context():
        from flask_babel import get_translations

        return get_translations()
    return english()


@functools.cache
def english() -> NullTranslations:
    return Translations.load(str(TRANSLATIONS), ["en"])
