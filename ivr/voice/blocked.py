"""A call from a blocked number: one short message, hung up on, logged, no ticket.

Asked once per incoming call, from the per-process cache of the block lists
(``ivr.stations.directory``): the common call, from a number on no list, costs a
dictionary lookup and no query.
"""

from __future__ import annotations

from flask import Response
from twilio.twiml.voice_response import VoiceResponse

from ivr.calls import steps
from ivr.calls.block_list import Block
from ivr.menus.document import DEFAULT_VOICES
from ivr.voice.turn import Turn, xml
from models import CallOutcome

# Short, and never a dead end for someone in danger.
REFUSAL = {
    "zh": "对不起，本热线无法接听您的来电。如有紧急情况，请拨打一一零或一二零。",
    "yue": "對唔住，本熱線無法接聽你嘅來電。如有緊急情況，請打一一零或者一二零。",
    "en": "Sorry, this hotline cannot take your call. In an emergency, call 110 or 120.",
}


def block_for(turn: Turn) -> Block | None:
    """The entry that refuses this incoming call, if its number is on a list that
    applies to the dialled station (the station's own, or the city's)."""
    station_id = turn.station.id if turn.station is not None else None
    blocks = turn.stations.blocks(turn.session)
    return blocks.block_on(turn.arrival.from_number, station_id, turn.now)


def refuse(turn: Turn, block: Block) -> Response:
    """Log the call as ``blocked`` (final: the status callback opens no ticket for it)
    and answer with the refusal in the menu's first language, then hang up."""
    arrival = turn.arrival
    detail = {"from": arrival.from_number, "to": arrival.to_number, "menu": turn.menu_ref}
    listed = {"list": "city" if block.station_id is None else "station"}
    turn.record(
        steps.StepWrite(outcome=CallOutcome.BLOCKED),
        [{"kind": "incoming", "detail": detail}, {"kind": "blocked", "detail": listed}],
    )
    turn.session.commit()
    language = next((lang for lang in turn.menu.languages if lang in REFUSAL), "zh")
    say_language, voice = DEFAULT_VOICES[language]
    response = VoiceResponse()
    response.say(REFUSAL[language], language=say_language, voice=voice)
    response.hangup()
    return xml(str(response))
