"""Following transfers: a step that ends in a transfer goes on in the target station's
live menu, entered at its start in the caller's language.

One loop for the webhooks (``ivr.voice.turn``) and the browser rehearsal
(``ivr.menus.rehearsal``), so what an admin rehearses is what a caller hears.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.menus import engine
from ivr.menus.document import Menu
from ivr.menus.engine import CallContext, MenuPositionInvalid, Step
from ivr.menus.versions import menu_ref_for
from models import Station

MAX_TRANSFERS = 3  # in one step: a chain longer than this is a loop


@dataclass(frozen=True)
class Segment:
    """What one menu said and did during a step; a transfer starts the next segment."""

    menu_ref: str
    step: Step  # this menu's part alone
    station: Station | None = None  # the station transferred to (None for the first menu)


def follow_transfers(
    session: Session,
    step: Step,
    menu_ref: str,
    context_for: Callable[[Station], CallContext],
    load_menu: Callable[[str], Menu],
) -> tuple[Step, list[Segment]]:
    """The step with every transfer followed, and its segments, one per menu."""
    segments = [Segment(menu_ref, step)]
    for _ in range(MAX_TRANSFERS):
        if not isinstance(step.action, engine.Transfer):
            return step, segments
        target = session.scalar(select(Station).where(Station.code == step.action.station))
        if target is None or not target.active:
            raise MenuPositionInvalid(f"transfer to unknown station {step.action.station!r}")
        ref = menu_ref_for(session, target)
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
