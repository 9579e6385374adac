"""A step that reached a call-back node, as the caller hears it.

The engine says "ring this caller back"; here the call log decides whether it may
(``ivr.calls.callbacks``, in the step's transaction) and the step is rewritten to match:
the node's own prompt and a hang-up when the call back is queued, or a short message of
ours when the line is closed (a ticket instead), the number asked too often this hour
(refused), or it is withheld (a voicemail is offered instead).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session

from ivr.calls.callbacks import CallbackOutcome, request_callback
from ivr.calls.steps import Arrival
from ivr.menus import versions as menus
from ivr.menus.document import Menu
from ivr.menus.engine import CallBack, Hangup, Position, Record, Say, Step

SAID = {
    CallbackOutcome.TICKET: {
        "zh": "现在是下班时间。我们已经记下您的号码，上班后社工会给您回电。再见。",
        "yue": "而家係下班時間。我哋已經記低你嘅號碼，返工之後社工會覆電畀你。再見。",
        "en": "We are closed now. We have your number, and a social worker will call you "
        "back when we open. Goodbye.",
    },
    CallbackOutcome.OVER_LIMIT: {
        "zh": "对不起，这个号码一小时内要求回电的次数太多了，请稍后再拨。再见。",
        "yue": "對唔住，呢個號碼一個鐘內要求覆電嘅次數太多，請遲啲再打。再見。",
        "en": "Sorry, this number has asked for too many call-backs this hour. "
        "Please call again later. Goodbye.",
    },
    CallbackOutcome.WITHHELD: {
        "zh": "对不起，您的号码没有显示，我们无法给您回电。请在提示音后留言，并说出您的电话号码。",
        "yue": "對唔住，你嘅號碼冇顯示，我哋無法覆電畀你。請喺提示音之後留言，講低你嘅電話號碼。",
        "en": "Sorry, your number is withheld, so we cannot call you back. Please leave a "
        "message after the tone, with your phone number.",
    },
}
RECORD_SECONDS = 120


@dataclass(frozen=True)
class Answered:
    step: Step
    menu_ref: str  # the menu whose webhook URLs the TwiML carries
    ring: int | None  # the request to queue once the step has committed
    event: dict[str, Any]


def answer(
    session: Session,
    station_id: int | None,
    arrival: Arrival,
    menu: Menu,
    menu_ref: str,
    step: Step,
) -> Answered:
    """Record the request (or refuse it) and what the caller hears of it."""
    action = step.action
    assert isinstance(action, CallBack)
    requested = request_callback(
        session,
        station_id,
        arrival.call_sid,
        arrival.from_number,
        action,
        step.language,
        arrival.at,
    )
    outcome = requested.outcome
    event = {
        "kind": "callback",
        "node": action.position.node,
        "detail": {"outcome": outcome.value, "request": requested.request_id},
    }
    if outcome is CallbackOutcome.RING:
        return Answered(replace(step, action=Hangup()), menu_ref, requested.request_id, event)
    speech = (_say(menu, step.language, SAID[outcome]),)
    if outcome is not CallbackOutcome.WITHHELD:
        return Answered(replace(step, speech=speech, action=Hangup()), menu_ref, None, event)
    # No number to ring: a voicemail like the one a failed webhook offers (its ticket
    # carries the call's station), recorded through the catch-all menu's node.
    language = "en" if step.language == "en" else "zh"
    record = Record(Position("record", language), RECORD_SECONDS, (), "normal")
    return Answered(replace(step, speech=speech, action=record), menus.UNASSIGNED, None, event)


def _say(menu: Menu, language: str, texts: dict[str, str]) -> Say:
    voice = menu.voice_for(language)
    return Say(texts.get(language) or texts["zh"], voice.language, voice.voice)
