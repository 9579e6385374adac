"""The demo's call-back node: 南洲街 publishes a second menu version whose main menu adds
"6: press and hang up, we call you back (free of charge)", and one resident has used it —
the call that asked (hung up at once), the request, and the hotline's call back into the
main menu, answered."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.menus.default_menu import default_menu_yaml
from ivr.menus.versions import save_version
from ivr.menus.yaml_source import dump_yaml, load_yaml
from models import (
    Call,
    CallbackRequest,
    CallbackState,
    CallDirection,
    Caller,
    CallEvent,
    CallOutcome,
    MenuVersion,
    Station,
)

STATION = "haizhu-nanzhou"
NODE = "call_me_back"
KEY = "6"
NOTE = "callback: 6 to be called back"
RESIDENT = "+8613700000066"
ASKED_SID = "CAdemocallbackasked" + "0" * 15
RUNG_SID = "CAdemocallbackrung" + "0" * 16
OFFER = {
    "zh": "不想花话费，请按6后挂机，我们给您回电。",
    "yue": "唔想用話費，請按6之後收線，我哋覆電畀你。",
    "en": "To be called back free of charge, press 6 and hang up.",
}
PROMPT = {
    "zh": "好的，请现在挂机，我们一分钟内给您回电。",
    "yue": "好，請而家收線，我哋一分鐘內覆電畀你。",
    "en": "Please hang up now; we will call you back within a minute.",
}


def callback_menu(languages: list[str]) -> str:
    """The default menu with the call-back offer added to its main menu."""
    document = load_yaml(default_menu_yaml(languages)).data
    main = document["nodes"]["main"]
    for language in languages:
        main["prompt"][language] = (
            f"{main['prompt'][language]}{' ' if language == 'en' else ''}{OFFER[language]}"
        )
    main["options"][KEY] = NODE
    document["nodes"][NODE] = {
        "kind": "callback",
        "prompt": {language: PROMPT[language] for language in languages},
        "next": "main",
        "limit": 3,
    }
    return dump_yaml(document)


def add_callback_demo(session: Session, now: datetime) -> str:
    """Safe to repeat: does nothing once the menu version is there."""
    station = session.scalar(select(Station).where(Station.code == STATION))
    if station is None:
        return "call-back: no demo station"
    if session.scalar(
        select(MenuVersion.id).where(MenuVersion.station_id == station.id, MenuVersion.note == NOTE)
    ):
        return f"call-back: {station.name_zh}'s menu already offers key {KEY}"
    version = save_version(
        session, station, callback_menu(station.languages), publish=True, note=NOTE, now=now
    )
    hotline = station.hotline_numbers[0].number if station.hotline_numbers else ""
    caller = session.scalar(select(Caller).where(Caller.phone_number == RESIDENT))
    if caller is None:
        caller = Caller(phone_number=RESIDENT, name="", notes="")
        session.add(caller)
        session.flush()
    asked = now - timedelta(hours=3)
    rung = asked + timedelta(seconds=40)
    session.add_all(
        [
            _call(ASKED_SID, CallDirection.INBOUND, station, caller, hotline, asked, 25, NODE),
            _call(RUNG_SID, CallDirection.CALLBACK, station, caller, hotline, rung, 150, "main"),
            CallbackRequest(
                station_id=station.id,
                call_sid=ASKED_SID,
                caller_number=RESIDENT,
                node="main",
                language="zh",
                idempotency_key=f"callback:{ASKED_SID}",
                state=CallbackState.PLACED,
                attempts=1,
                requested_at=asked,
                claimed_at=asked + timedelta(seconds=2),
                placed_at=asked + timedelta(seconds=3),
                sid=RUNG_SID,
            ),
        ]
    )
    session.flush()
    return (
        f"call-back: {station.name_zh}'s menu v{version.version} offers key {KEY} "
        f"(call-back node {NODE}); {RESIDENT} asked and was rung back"
    )


def _call(
    sid: str,
    direction: CallDirection,
    station: Station,
    caller: Caller,
    hotline: str,
    at: datetime,
    seconds: int,
    last_node: str,
) -> Call:
    call = Call(
        call_sid=sid,
        direction=direction,
        station_id=station.id,
        caller_id=caller.id,
        from_number=RESIDENT,
        to_number=hotline,
        language="zh",
        last_node=last_node,
        started_at=at,
        ended_at=at + timedelta(seconds=seconds),
        duration_seconds=seconds,
        status="completed",
        outcome=CallOutcome.COMPLETED,
    )
    if direction is CallDirection.INBOUND:
        call.events = [
            CallEvent(at=at, kind="incoming", detail={"from": RESIDENT, "to": hotline}),
            CallEvent(at=at, kind="keys", node="main", digits=KEY),
            CallEvent(at=at, kind="callback", node=NODE, detail={"outcome": "ring"}),
        ]
    else:
        call.events = [CallEvent(at=at, kind="ring_back", detail={"note": "answered"})]
    return call
