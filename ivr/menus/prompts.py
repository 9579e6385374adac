"""A station's prompt library: recorded announcements that menus play with ``play: <name>``.

Uploads are converted by :mod:`ivr.menus.prompt_audio` (re-exported here) and stored
(``ivr.storage``, never sealed: every caller hears them) under ``prompts/<station id>/``
with a file name the server draws; the row (:class:`PromptFile`) is what names it. A file
is removed only once the transaction that stopped pointing at it has committed, and a file
written for a transaction that rolls back is removed again, so a row never names a
missing file.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction

from ivr.menus.fields import key_text
from ivr.menus.prompt_audio import (
    MAX_SECONDS,
    MIN_SECONDS,
    ConvertedPrompt,
    PromptRejected,
    convert_prompt,
)
from ivr.menus.yaml_source import YamlInvalid, load_yaml
from ivr.storage import Storage
from ivr.storage import storage as app_storage
from models import MenuStatus, MenuVersion, PromptFile, Station, User

__all__ = [
    "MAX_SECONDS",
    "MIN_SECONDS",
    "ConvertedPrompt",
    "MenuUses",
    "PromptInUse",
    "PromptNameInvalid",
    "PromptRejected",
    "convert_prompt",
    "delete_prompt",
    "menu_uses",
    "normalise_name",
    "prompt_names",
    "save_prompt",
]

NAME_CHARS = 56
SUFFIX = ".wav"
_NOT_NAME = re.compile(r"[^a-z0-9_-]+")
_PLAY_IN_TEXT = re.compile(r"""\bplay\s*:\s*["']?([A-Za-z0-9_.-]+)""")
MAX_WALK_DEPTH = 12


class PromptNameInvalid(Exception):
    """The chosen name has nothing usable left, or is too long; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "empty" or "too_long"


class PromptInUse(Exception):
    """A menu still plays the prompt: ``published`` and ``draft`` list the prompt paths."""

    def __init__(self, name: str, published: list[str], draft: list[str]) -> None:
        super().__init__(f"{name} is played at {', '.join(published + draft)}")
        self.published = published
        self.draft = draft


def normalise_name(raw: str) -> str:
    """What an admin typed, as a library name: ``[a-z0-9_-]{1,56}`` plus ``.wav``.

    "Policy Notice.mp3" becomes "policy-notice.wav"; a name with no Latin letters or
    digits, or longer than 56 characters once tidied, is refused.
    """
    stem = raw.strip().lower()
    stem = re.sub(r"\.[a-z0-9]{1,5}$", "", stem)  # an extension typed out of habit
    stem = _NOT_NAME.sub("-", stem).strip("-_")
    stem = re.sub(r"-{2,}", "-", stem)
    if not stem:
        raise PromptNameInvalid("empty")
    if len(stem) > NAME_CHARS:
        raise PromptNameInvalid("too_long")
    return stem + SUFFIX


def prompt_names(session: Session, station_id: int) -> set[str]:
    return set(session.scalars(select(PromptFile.name).where(PromptFile.station_id == station_id)))


def save_prompt(
    session: Session,
    station: Station,
    name: str,
    converted: ConvertedPrompt,
    user: User | None,
    original_filename: str = "",
    description: str = "",
    *,
    storage: Storage | None = None,
) -> PromptFile:
    """Store ``converted`` as the station's prompt ``name`` (already normalised), replacing
    any prompt of that name. The caller commits; the replaced file goes after the commit.
    ``storage``: the current app's unless given.

    The audio is stored first, before the session is used: the database backend writes on
    a connection of its own, which on SQLite would wait for any write lock the session's
    transaction held. So call it with no transaction holding that lock (nothing written,
    and on SQLite no ``BEGIN IMMEDIATE`` either)."""
    store = storage or app_storage()
    relative = f"prompts/{station.id}/{secrets.token_hex(12)}{SUFFIX}"
    store.write(relative, converted.data, sealed=False)
    try:
        row = session.scalar(
            select(PromptFile).where(PromptFile.station_id == station.id, PromptFile.name == name)
        )
        replaced = row.storage_path if row is not None else None
        _when_transaction_ends(
            session,
            committed=lambda: store.remove(replaced),
            abandoned=lambda: store.remove(relative),
        )
    except BaseException:
        store.remove(relative)
        raise
    if row is None:
        row = PromptFile(station_id=station.id, name=name)
        session.add(row)
    row.storage_path = relative
    row.size_bytes = converted.size_bytes
    row.sha256 = converted.sha256
    row.duration_seconds = converted.duration_seconds
    row.sample_rate = converted.sample_rate
    row.original_filename = original_filename[:200]
    row.description = description[:200]
    row.uploaded_by_id = user.id if user is not None else None
    session.flush()
    return row


def delete_prompt(session: Session, prompt: PromptFile, *, storage: Storage | None = None) -> None:
    """Delete the prompt unless the published menu or the latest draft plays it
    (:class:`PromptInUse`). The caller commits; the file goes after the commit."""
    uses = menu_uses(session, prompt.station_id)
    published, draft = uses.published.get(prompt.name, []), uses.draft.get(prompt.name, [])
    if published or draft:
        raise PromptInUse(prompt.name, published, draft)
    store, path = storage or app_storage(), prompt.storage_path
    session.delete(prompt)
    _when_transaction_ends(session, committed=lambda: store.remove(path), abandoned=lambda: None)
    session.flush()


@dataclass
class MenuUses:
    """Where a station's menus play library files: file name → prompt paths
    (e.g. ``nodes.main.prompt.zh``), in the published menu and in the latest draft."""

    published: dict[str, list[str]] = field(default_factory=dict)
    draft: dict[str, list[str]] = field(default_factory=dict)


def menu_uses(session: Session, station_id: int) -> MenuUses:
    uses = MenuUses()
    for status, found in ((MenuStatus.PUBLISHED, uses.published), (MenuStatus.DRAFT, uses.draft)):
        document = session.scalar(
            select(MenuVersion.document)
            .where(MenuVersion.station_id == station_id, MenuVersion.status == status)
            .order_by(MenuVersion.version.desc())
            .limit(1)
        )
        for name, path in _plays(document or ""):
            found.setdefault(name, []).append(path)
    return uses


def _plays(document: str) -> Iterator[tuple[str, str]]:
    """Every ``play:`` file name in a menu document, with the path of its prompt.

    Read from the YAML's plain data, so a draft that does not validate is still searched;
    text that is not YAML at all is searched line by line.
    """
    try:
        data = load_yaml(document).data
    except YamlInvalid:
        for match in _PLAY_IN_TEXT.finditer(document):
            yield match.group(1), "(document)"
        return
    yield from _walk(data, "", 0, frozenset())


def _walk(
    value: object, path: str, depth: int, inside: frozenset[int]
) -> Iterator[tuple[str, str]]:
    # YAML aliases can make a structure contain itself: never enter one twice on a path.
    if depth > MAX_WALK_DEPTH or id(value) in inside:
        return
    if isinstance(value, dict | list):
        inside = inside | {id(value)}
    if isinstance(value, dict):
        play = value.get("play")
        if isinstance(play, str) and not play.startswith("https://"):
            yield play, path or "(document)"
        for key, item in value.items():
            part = key_text(key)
            yield from _walk(item, f"{path}.{part}" if path else part, depth + 1, inside)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, f"{path}.{i}" if path else str(i), depth + 1, inside)


def _when_transaction_ends(
    session: Session, committed: Callable[[], None], abandoned: Callable[[], None]
) -> None:
    """Run ``committed`` once the session's current transaction commits, or ``abandoned``
    if it ends any other way (rollback, close).

    The listeners stay on the session, inert once they have fired: removing a listener
    while SQLAlchemy dispatches the event is not allowed, and sessions are short-lived.
    """
    root = session.get_transaction() or session.begin()
    outcome = {"committed": False, "done": False}

    def on_commit(_session: Session) -> None:  # dispatched for the root transaction only
        if not outcome["done"]:
            outcome["committed"] = True

    def on_end(_session: Session, transaction: SessionTransaction) -> None:
        if transaction is not root or outcome["done"]:
            return
        outcome["done"] = True
        (committed if outcome["committed"] else abandoned)()

    event.listen(session, "after_commit", on_commit)
    event.listen(session, "after_transaction_end", on_end)
