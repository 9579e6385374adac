"""What the two bridges share (click-to-call on a ticket, a campaign's call): once the
worker's own phone answers, Twilio asks what to do; the answer names the worker and the
subject by id in the URL, tells the worker to hold, and dials the resident."""

from __future__ import annotations

from typing import TypeVar

from flask import Response, request
from twilio.twiml.voice_response import VoiceResponse

from ivr.db import get_session
from ivr.menus.document import DEFAULT_VOICES
from ivr.voice.turn import url_number, xml
from models import User

Row = TypeVar("Row")


def parties(model: type[Row], key: str) -> tuple[Row | None, User | None]:
    """The subject (``model`` by the id in query argument ``key``) and the worker (``w``)."""
    session = get_session()
    subject_id = url_number(request.args.get(key, ""), 11)
    worker_id = url_number(request.args.get("w", ""), 11)
    subject = session.get(model, subject_id) if subject_id is not None else None
    worker = session.get(User, worker_id) if worker_id is not None else None
    return subject, worker


def say(response: VoiceResponse, text: str) -> None:
    language, voice = DEFAULT_VOICES["zh"]
    response.say(text, language=language, voice=voice)


def spoken_end(text: str) -> Response:
    """Tell the worker ``text`` and hang up."""
    response = VoiceResponse()
    say(response, text)
    response.hangup()
    return xml(str(response))


def connect(caller_id: str | None, number: str, action: str) -> Response:
    """Ask the worker to hold, then dial the resident from the hotline's number;
    ``action`` hears how the resident's leg ended."""
    response = VoiceResponse()
    say(response, "正在为您接通居民，请稍候。")
    dial = response.dial(caller_id=caller_id, timeout=30, action=action, method="POST")
    dial.number(number)
    return xml(str(response))


def hang_up() -> Response:
    response = VoiceResponse()
    response.hangup()
    return xml(str(response))
