"""Twilio text-to-speech voices a menu may choose per language (a prompt's ``voice:``).

Each voice speaks the Twilio ``<Say>`` language of :data:`DEFAULT_VOICES` for its menu
language (``cmn-CN``, ``yue-HK``, ``en-US``): a prompt's ``voice`` overrides only the
voice, so one that speaks another language variant would be refused or mispronounce. The
first voice of each list is the default. Labels are lazy: they read in the interface
language wherever they are shown.
"""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from ivr.menus.document import DEFAULT_VOICES

VOICES: dict[str, list[tuple[str, LazyString]]] = {
    "zh": [
        ("Google.cmn-CN-Standard-A", _l("普通话 女声 A（标准）")),
        ("Google.cmn-CN-Standard-B", _l("普通话 男声 B（标准）")),
        ("Google.cmn-CN-Standard-C", _l("普通话 男声 C（标准）")),
        ("Google.cmn-CN-Standard-D", _l("普通话 女声 D（标准）")),
        ("Google.cmn-CN-Wavenet-A", _l("普通话 女声 A（自然）")),
        ("Google.cmn-CN-Wavenet-B", _l("普通话 男声 B（自然）")),
        ("Polly.Zhiyu", _l("普通话 女声 志玉（Amazon Polly）")),
        ("Polly.Zhiyu-Neural", _l("普通话 女声 志玉（Amazon Polly 自然）")),
    ],
    "yue": [
        ("Google.yue-HK-Standard-A", _l("粤语 女声 A（标准）")),
        ("Google.yue-HK-Standard-B", _l("粤语 男声 B（标准）")),
        ("Google.yue-HK-Standard-C", _l("粤语 女声 C（标准）")),
        ("Google.yue-HK-Standard-D", _l("粤语 男声 D（标准）")),
    ],
    "en": [
        ("Google.en-US-Standard-C", _l("英语 女声 C（标准）")),
        ("Google.en-US-Standard-B", _l("英语 男声 B（标准）")),
        ("Google.en-US-Wavenet-F", _l("英语 女声 F（自然）")),
        ("Google.en-US-Wavenet-D", _l("英语 男声 D（自然）")),
        ("Polly.Joanna", _l("英语 女声 Joanna（Amazon Polly）")),
        ("Polly.Matthew", _l("英语 男声 Matthew（Amazon Polly）")),
    ],
}


def say_language(language: str) -> str:
    """Twilio's ``<Say>`` language every voice of ``language`` speaks, e.g. "cmn-CN"."""
    return DEFAULT_VOICES.get(language, DEFAULT_VOICES["en"])[0]
