"""STOP and START: which numbers asked for no texts from the hotline.

A reply whose whole body (trimmed, any case, full-width letters folded) is an opt-out
word stops every text to that number; an opt-in word lifts it. Twilio itself answers
these words on its numbers, so we only remember them. The number's last word wins.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models import SmsOptOut

OPT_OUT_WORDS = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "退订", "取消", "td"}
)
OPT_IN_WORDS = frozenset({"start", "unstop", "yes", "订阅"})
# A keyword is a word, not a letter: longer bodies are ordinary messages.
_LONGEST_WORD = 16
_TRIM = " \t\r\n.!。！,，、~'\"“”‘’"


def keyword(body: str) -> str | None:
    """``"out"``, ``"in"`` or None for what a text's body says."""
    if len(body) > _LONGEST_WORD * 4:
        return None
    word = unicodedata.normalize("NFKC", body).strip(_TRIM).casefold()
    if word in OPT_OUT_WORDS:
        return "out"
    if word in OPT_IN_WORDS:
        return "in"
    return None


def remember(session: Session, number: str, opted_out: bool, word: str, now: datetime) -> None:
    """Record the number's latest word (an upsert; the caller commits)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    values = {"opted_out": opted_out, "word": word[:32], "changed_at": now}
    session.execute(
        dialect.insert(SmsOptOut)
        .values(phone_number=number, **values)
        .on_conflict_do_update(index_elements=["phone_number"], set_=values)
    )


def is_opted_out(session: Session, number: str) -> bool:
    return bool(session.scalar(select(SmsOptOut.opted_out).where(SmsOptOut.phone_number == number)))
