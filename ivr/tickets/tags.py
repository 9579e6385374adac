"""The tag catalogue, and tags as people type them.

A tag is stored once (``Tag.code``). The catalogue's tags keep their short ASCII codes
(``food``, ``medical`` …), which menus, keyword rules and the API use, and are shown by
their names. Any other tag is free text, Chinese or not, stored in its normal form: what
``normalise_tag`` makes of what a worker typed. Typing a catalogue tag's name (``药品``,
``Medicine``) means that tag, so one need never becomes two tags.
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Tag, TagKind

# code → (Chinese name, English name, kind)
CATALOGUE: dict[str, tuple[str, str, TagKind]] = {
    "food": ("食物和日用品", "Food and daily supplies", TagKind.NEED),
    "medicine": ("药品", "Medicine", TagKind.NEED),
    "medical": ("就医", "Medical care", TagKind.NEED),
    "emotional": ("情绪支持", "Emotional support", TagKind.NEED),
    "policy": ("防疫政策", "Quarantine and policy", TagKind.NEED),
    "urgent": ("紧急", "Urgent", TagKind.URGENCY),
    "abandoned": ("未留言挂断", "Hung up before leaving a message", TagKind.CUSTOM),
    "callback": ("要求回拨", "Asked to be called back", TagKind.CUSTOM),
    "dibao": ("低保", "Minimum living allowance", TagKind.VULNERABILITY),
    "dishou": ("低收", "Low income", TagKind.VULNERABILITY),
    "tekun": ("特困", "Extreme hardship", TagKind.VULNERABILITY),
    "lone_elderly": ("独居/孤寡/留守老人", "Elderly living alone", TagKind.VULNERABILITY),
    "child_in_difficulty": ("困境儿童", "Child in difficulty", TagKind.VULNERABILITY),
    "severe_disability": ("重度残疾", "Severe disability", TagKind.VULNERABILITY),
}
MAX_TAG_LENGTH = 32  # characters; Tag.code holds 64
# Between tags in one field: commas and list marks, ASCII or full-width (NFKC keeps 、).
TAG_SEPARATORS = re.compile(r"[,;\n、]")
# Inside a tag: letters and digits of any script, marks, spaces and a few joiners.
_PUNCTUATION_ALLOWED = frozenset("_-/·.&+()")


class TagInvalid(ValueError):
    """What was typed cannot be a tag; the message says why."""


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


# A catalogue tag's names, folded, lead to its code.
_BY_NAME = {
    _fold(name): code
    for code, (name_zh, name_en, _kind) in CATALOGUE.items()
    for name in (code, name_zh, name_en)
}


def _allowed(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] in "LNM" or char == " " or char in _PUNCTUATION_ALLOWED


def normalise_tag(text: str) -> str:
    """The stored code for a tag typed as ``text``; "" for nothing typed.

    NFKC (full-width letters and digits become plain ones), trimmed, runs of spaces as one,
    case-folded, a catalogue name as its code. Raises TagInvalid for a tag too long or
    holding anything but letters, digits, spaces and ``_-/·.&+()``.
    """
    folded = _fold(text or "")
    if folded in _BY_NAME:
        return _BY_NAME[folded]
    if len(folded) > MAX_TAG_LENGTH:
        raise TagInvalid(_l("标签最多%(n)d个字：%(tag)s", n=MAX_TAG_LENGTH, tag=folded[:40]))
    if not all(_allowed(c) for c in folded):
        raise TagInvalid(_l("标签只能用文字、数字、空格和 _-/·.&+()：%(tag)s", tag=folded[:40]))
    return folded


def normalise_tags(values: list[str] | tuple[str, ...]) -> list[str]:
    """Each of ``values`` normalised, blanks dropped, each tag once, in the order typed."""
    return list(dict.fromkeys(code for code in map(normalise_tag, values) if code))


def split_tag_field(field: str) -> list[str]:
    """A tags field as typed (``食物，买菜、 Wheelchair``) cut into the tags typed."""
    return TAG_SEPARATORS.split(unicodedata.normalize("NFKC", field or ""))


def get_tags(session: Session, codes: list[str] | tuple[str, ...]) -> list[Tag]:
    """The Tag rows for ``codes``, created from the catalogue (or as custom tags) if new."""
    wanted = list(dict.fromkeys(codes))
    if not wanted:
        return []
    found = {t.code: t for t in session.scalars(select(Tag).where(Tag.code.in_(wanted)))}
    for code in wanted:
        if code in found:
            continue
        name_zh, name_en, kind = CATALOGUE.get(code, (code, code, TagKind.CUSTOM))
        try:
            # A concurrent request may create the same tag: the savepoint keeps ours intact.
            with session.begin_nested():
                tag = Tag(code=code, name_zh=name_zh, name_en=name_en, kind=kind)
                session.add(tag)
            found[code] = tag
        except IntegrityError:
            found[code] = session.scalars(select(Tag).where(Tag.code == code)).one()
    return [found[c] for c in wanted]
