"""Play a call against the app in-process, as Twilio would, and tell what the caller hears.

Used by ``ivr simulate``. Requests go through the real webhooks with real signatures, so
what is printed is what a resident on the line would hear.
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from flask import Flask
from twilio.request_validator import RequestValidator

MAX_TURNS = 40


@dataclass
class Heard:
    """One TwiML response, read as a caller experiences it."""

    says: list[str] = field(default_factory=list)  # spoken or played, in order
    action: str = "end"  # gather | record | dial | hangup | end
    url: str | None = None  # where Twilio would report back
    numbers: list[str] = field(default_factory=list)  # what a <Dial> rings
    caller_id: str | None = None
    max_length: int | None = None


def read_twiml(body: str) -> Heard:
    heard = Heard()
    root = ET.fromstring(body)
    for element in root:
        if element.tag in ("Say", "Play"):
            heard.says.append(_spoken(element))
        elif element.tag == "Gather":
            heard.says.extend(_spoken(child) for child in element)
            heard.action, heard.url = "gather", element.get("action")
        elif element.tag == "Record":
            heard.action, heard.url = "record", element.get("action")
            heard.max_length = int(element.get("maxLength", "0")) or None
        elif element.tag == "Dial":
            heard.action, heard.url = "dial", element.get("action")
            heard.numbers = [n.text or "" for n in element.findall("Number")]
            heard.caller_id = element.get("callerId")
        elif element.tag == "Hangup":
            heard.action = "hangup"
    return heard


def _spoken(element: ET.Element) -> str:
    if element.tag == "Play":
        return f"♪ {element.text}"
    rate = next((p.get("rate") for p in element.iter("prosody")), None)
    slower = f" ({rate})" if rate else ""
    return f"[{element.get('language', '')}{slower}] {''.join(element.itertext())}"


class SignedCaller:
    """Posts to the app's webhooks with Twilio's signature, like Twilio does."""

    def __init__(self, app: Flask) -> None:
        config = app.config["IVR"]
        if not config.twilio_auth_token:
            # No account configured (a demo): sign with a token of our own for this run.
            app.config["IVR"] = config = replace(config, twilio_auth_token=secrets.token_hex(16))
        self.public_url = config.public_url
        self.validator = RequestValidator(config.twilio_auth_token)
        self.client = app.test_client()

    def post(self, url: str, params: dict[str, str]) -> str:
        if not url.startswith(self.public_url):
            raise ValueError(f"{url} is not under IVR_PUBLIC_URL {self.public_url}")
        signature = self.validator.compute_signature(url, params)
        path = url[len(self.public_url) :]
        response = self.client.post(path, data=params, headers={"X-Twilio-Signature": signature})
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
        return response.get_data(as_text=True)


def simulate_call(
    app: Flask,
    to_number: str,
    from_number: str,
    keys: list[str],
    answer_forward: bool = False,
    recording: dict[str, str] | None = None,
) -> Iterator[tuple[str, Heard]]:
    """Yield ``(what the caller did, what they heard)`` until the call ends."""
    caller = SignedCaller(app)
    call_sid = "CA" + secrets.token_hex(16)
    base = {"CallSid": call_sid, "From": from_number, "To": to_number, "AccountSid": "AC"}
    heard = read_twiml(
        caller.post(f"{caller.public_url}/twilio/voice", {**base, "CallStatus": "ringing"})
    )
    yield "call", heard
    pending = list(keys)
    for _ in range(MAX_TURNS):
        if heard.action == "gather" and heard.url:
            key = pending.pop(0) if pending else ""
            did = f"pressed {key}" if key else "silence"
            heard = read_twiml(caller.post(heard.url, {**base, "Digits": key}))
        elif heard.action == "record" and heard.url:
            params = {
                **base,
                **(
                    recording
                    or {"RecordingSid": "RE" + secrets.token_hex(16), "RecordingDuration": "5"}
                ),
            }
            did = "left a voicemail"
            heard = read_twiml(caller.post(heard.url, params))
        elif heard.action == "dial" and heard.url:
            status = "completed" if answer_forward else "no-answer"
            did = f"rang {', '.join(heard.numbers)}: {status}"
            heard = read_twiml(caller.post(heard.url, {**base, "DialCallStatus": status}))
        else:
            break
        yield did, heard
    caller.post(
        f"{caller.public_url}/twilio/status",
        {**base, "CallStatus": "completed", "CallDuration": "60"},
    )
