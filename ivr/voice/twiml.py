"""Engine steps as TwiML, built only with twilio's VoiceResponse."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote, urlencode

from twilio.twiml.voice_response import Gather as TwimlGather
from twilio.twiml.voice_response import VoiceResponse

from ivr.menus.document import DEFAULT_VOICES
from ivr.menus.engine import (
    CallBack,
    Dial,
    Gather,
    Hangup,
    Play,
    Position,
    Record,
    Say,
    Speech,
    Step,
)


class VoiceUrls:
    """Absolute webhook URLs under the public base, carrying the caller's position."""

    def __init__(self, public_url: str, menu_ref: str) -> None:
        self.public_url = public_url
        self.menu_ref = menu_ref

    def webhook(self, name: str, **params: str | int) -> str:
        query = urlencode(params)
        return f"{self.public_url}/twilio/{name}" + (f"?{query}" if query else "")

    def at(self, name: str, position: Position) -> str:
        params: dict[str, str | int] = {
            "m": self.menu_ref,
            "n": position.node,
            "l": position.language,
        }
        if position.attempt:
            params["a"] = position.attempt
        if position.ring:
            params["r"] = position.ring
        return self.webhook(name, **params)

    def prompt(self, source: str) -> str:
        """Where Twilio fetches a ``play`` source: this menu's library file by name, or an
        absolute URL (an https source, or a library file already tied to another menu)."""
        if source.startswith("https://") or source.startswith(f"{self.public_url}/"):
            return source
        return f"{self.public_url}/prompts/{self.menu_ref}/{quote(source, safe='')}"


def anchor_plays(speech: tuple[Speech, ...], urls: VoiceUrls) -> tuple[Speech, ...]:
    """``speech`` with library files made absolute URLs of ``urls``' menu, so they still
    play that station's recordings once the call has moved on to another menu."""
    return tuple(Play(urls.prompt(s.source)) if isinstance(s, Play) else s for s in speech)


def _speak(target: VoiceResponse | TwimlGather, speech: Speech, urls: VoiceUrls) -> None:
    if isinstance(speech, Say) and speech.rate:
        # Slower speech for older callers: SSML <prosody> inside the <Say>.
        say = target.say(language=speech.language, voice=speech.voice)
        say.prosody(speech.text, rate=speech.rate)
    elif isinstance(speech, Say):
        target.say(speech.text, language=speech.language, voice=speech.voice)
    elif isinstance(speech, Play):
        target.play(urls.prompt(speech.source))


@lru_cache(maxsize=8192)
def render_step(step: Step, public_url: str, menu_ref: str) -> str:
    """:func:`render`, once per distinct step and menu in this process: a step is a value
    (what is said, then where the caller goes), so equal steps render equal TwiML."""
    return render(step, VoiceUrls(public_url, menu_ref))


def render(step: Step, urls: VoiceUrls) -> str:
    response = VoiceResponse()
    for speech in step.speech:
        _speak(response, speech, urls)
    action = step.action
    if isinstance(action, Gather):
        gather = response.gather(
            input="dtmf",
            num_digits=1,
            timeout=action.timeout,
            action=urls.at("gather", action.position),
            method="POST",
            action_on_empty_result=True,  # silence comes back to the engine as no key
        )
        for speech in action.speech:
            _speak(gather, speech, urls)
    elif isinstance(action, Record):
        _record(
            response,
            urls.at("recorded", action.position),
            urls.at("recording", action.position),
            action.max_length,
        )
    elif isinstance(action, Dial):
        dial = response.dial(
            caller_id=action.caller_id or None,
            timeout=action.timeout,
            action=urls.at("dial", action.position),
            method="POST",
            answer_on_bridge=True,
        )
        for number in action.numbers:
            dial.number(number)
    elif isinstance(action, Hangup | CallBack):  # a call-back is rung from a job, later
        response.hangup()
    return str(response)


APOLOGY = {
    "zh": "对不起，系统暂时出现故障。请在提示音后留言，社工会尽快给您回电。",
    "en": "Sorry, something went wrong. Please leave a message after the tone, "
    "and a social worker will call you back.",
}
KEPT = {
    "zh": "您的留言已收到，社工会尽快给您回电。再见。",
    "en": "Your message has been received, and a social worker will call you back. Goodbye.",
}
GOODBYE = {
    "zh": "对不起，系统暂时出现故障，请稍后再拨。",
    "en": "Sorry, something went wrong. Please call again later.",
}


def apology(urls: VoiceUrls, offer_voicemail: bool) -> str:
    """What a caller hears when a webhook fails: never Twilio's application-error message."""
    response = VoiceResponse()
    for language, text in (APOLOGY if offer_voicemail else GOODBYE).items():
        say_language, voice = DEFAULT_VOICES[language]
        response.say(text, language=say_language, voice=voice)
    if offer_voicemail:
        _record(
            response,
            urls.webhook("recorded", m="u", n="record", l="zh", fallback=1),
            urls.webhook("recording", m="u", n="record", l="zh"),
            120,
        )
    else:
        response.hangup()
    return str(response)


def message_kept() -> str:
    """What a caller hears after leaving a message the database could not take at once:
    it is kept (spooled) all the same."""
    response = VoiceResponse()
    for language, text in KEPT.items():
        say_language, voice = DEFAULT_VOICES[language]
        response.say(text, language=say_language, voice=voice)
    response.hangup()
    return str(response)


def _record(response: VoiceResponse, action: str, status_callback: str, max_length: int) -> None:
    """Every voicemail is recorded alike: a beep, # to finish, 8 s of silence ends it, and
    Twilio reports the recording (or its absence) to ``status_callback``."""
    response.record(
        action=action,
        method="POST",
        max_length=max_length,
        play_beep=True,
        finish_on_key="#",
        timeout=8,
        recording_status_callback=status_callback,
        recording_status_callback_method="POST",
        recording_status_callback_event="completed absent",
    )
