"""Only Twilio may drive a call: every webhook carries a valid ``X-Twilio-Signature``.

The signature covers the URL Twilio requested, which behind a TLS-terminating proxy is
not the URL this process sees; so it is checked against ``IVR_PUBLIC_URL`` + path +
query, over the form fields only.
"""

from __future__ import annotations

import hmac
import logging
from functools import lru_cache

from flask import Response, current_app, request
from twilio.request_validator import RequestValidator

from ivr.voice import bp

log = logging.getLogger(__name__)


def public_request_url() -> str:
    """The URL as Twilio requested it, rebuilt from the configured public base."""
    url = current_app.config["IVR"].public_url + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    return url


@lru_cache(maxsize=4)
def _validator(auth_token: str) -> RequestValidator:
    return RequestValidator(auth_token)


def signature_is_valid() -> bool:
    """Twilio's own check. The URL as configured is tried first, alone; only if that does
    not match does the library's full check run (it also tries the URL with and without
    an explicit port, which costs two more HMACs on every request)."""
    config = current_app.config["IVR"]
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not config.twilio_auth_token:
        return False
    validator = _validator(config.twilio_auth_token)
    url = public_request_url()
    expected = validator.compute_signature(url, request.form)
    if hmac.compare_digest(expected.encode(), signature.encode()):
        return True
    return validator.validate(url, request.form, signature)


@bp.before_request
def refuse_forged_requests() -> Response | None:
    if current_app.config["IVR"].skip_twilio_signature:
        log.warning("accepting %s without checking its Twilio signature", request.path)
        return None
    if signature_is_valid():
        return None
    log.warning(
        "refused %s with a missing or wrong Twilio signature (CallSid %s, from %s)",
        request.path,
        request.form.get("CallSid", "-")[:64],
        request.remote_addr,
    )
    return Response("invalid Twilio signature\n", status=403, mimetype="text/plain")
