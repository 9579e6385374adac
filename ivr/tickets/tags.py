"""The tag catalogue: codes the menu, keyword rules and registry flags put on tickets."""

from __future__ import annotations

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
    "dibao": ("低保", "Minimum living allowance", TagKind.VULNERABILITY),
    "dishou": ("低收", "Low income", TagKind.VULNERABILITY),
    "tekun": ("特困", "Extreme hardship", TagKind.VULNERABILITY),
    "lone_elderly": ("独居/孤寡/留守老人", "Elderly living alone", TagKind.VULNERABILITY),
    "child_in_difficulty": ("困境儿童", "Child in difficulty", TagKind.VULNERABILITY),
    "severe_disability": ("重度残疾", "Severe disability", TagKind.VULNERABILITY),
}


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
