"""Inbound texts to a hotline number: residents' opt-out and opt-in words.

Twilio answers STOP/START itself on its numbers; we remember the word so no
acknowledgement goes to a number that said STOP (or 退订). Any other text is only logged:
no one reads a hotline's texts. The answer is always an empty ``<Response/>``: a text
never gets an application error back, whatever its body.
"""

from __future__ import annotations

import logging

from flask import Response
from twilio.twiml.messaging_response import MessagingResponse

from ivr.db import get_session
from ivr.outreach import opt_outs
from ivr.phone import identifies_caller, mask
from ivr.voice import bp
from ivr.voice.turn import form_field, webhook_now, xml

log = logging.getLogger(__name__)


@bp.post("/sms")
def inbound_sms() -> Response:
    try:
        _remember_keyword()
    except Exception:
        log.exception("inbound text %s could not be recorded", form_field("MessageSid"))
        try:
            get_session().rollback()
        except Exception:
            log.exception("and its session could not be rolled back")
    return xml(str(MessagingResponse()))


def _remember_keyword() -> None:
    sender = form_field("From", 32)
    body = form_field("Body", 200)
    word = opt_outs.keyword(body)
    log.info(
        "inbound text %s from %s to %s: %d characters%s",
        form_field("MessageSid"),
        mask(sender) if sender else "-",
        form_field("To", 32) or "-",
        len(body),
        f", {word} word" if word else "",
    )
    if word is None or not identifies_caller(sender):
        return
    session = get_session()
    opt_outs.remember(session, sender, word == "out", body.strip()[:32], webhook_now())
    session.commit()
