"""Following transfers: a step that ends in a transfer goes on in the target station's
live menu, entered at its start in the caller's language.

One loop for the webhooks (``ivr.voice.turn``) and the browser rehearsal
(``ivr.menus.rehearsal``), so what an admin rehearses is what a caller hears.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.menus import engine
from ivr.menus.document import Menu
from ivr.menus.engine import CallContext, MenuPositionInvalid, Step
from ivr.menus.versions import menu_ref_for
from models import Station

MAX_TRANSFERS = 3  # in one step: a chain longer than this is a loop

S = TypeVar("S")  # a station as the caller knows it: an ORM row, or cached facts


@dataclass(frozen=True)
class Segment(Generic[S]):
    """What one menu said and did during a step; a transfer starts the next segment."""

    menu_ref: str
    step: Step  # this menu's part alone
    station: S | None = None  # the station transferred to (None for the first menu)


def active_station_in(session: Session) -> Callable[[str], tuple[Station, str] | None]:
    """Transfer targets read from the database: an active station by code, and its menu."""

    def find(code: str) -> tuple[Station, str] | None:
        target = session.scalar(select(Station).where(Station.code == code))
        if target is None or not target.active:
            return None
        return target, menu_ref_for(session, target)

    return find


def follow_transfers(
    step: Step,
    menu_ref: str,
    find_station: Callable[[str], tuple[S, str] | None],
    context_for: Callable[[S], CallContext],
    load_menu: Callable[[str], Menu],
) -> tuple[Step, list[Segment[S]]]:
    """The step with every transfer followed, and its segments, one per menu.

    ``find_station`` names an active station by code and its live menu reference.
    """
    segments: list[Segment[S]] = [Segment(menu_ref, step)]
    for _ in range(MAX_TRANSFERS):
        if not isinstance(step.action, engine.Transfer):
            return step, segments
        found = find_station(step.action.station)
        if found is None:
            raise MenuPositionInvalid(f"transfer to unknown station {step.action.station!r}")
        target, ref = found
        menu = load_menu(ref)
        entered = engine.continue_at(menu, context_for(target), menu.start, step.language)
        segments.append(Segment(ref, entered, target))
        step = Step(
            step.speech + entered.speech,
            entered.action,
            step.visited + entered.visited,
            entered.language,
            step.need or entered.need,
        )
    raise MenuPositionInvalid("too many transfers in one step")
