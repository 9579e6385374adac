"""``ivr demo``: a working hotline network to try things on."""

from __future__ import annotations

from importlib.resources import files

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from ivr.cli.demo_activity import add_demo_activity
from ivr.cli.demo_alerts import add_alerts_demo
from ivr.cli.demo_audio import RECENT_ELSEWHERE, add_demo_audio
from ivr.cli.demo_block_list import add_block_list_demo
from ivr.cli.demo_callback import add_callback_demo
from ivr.cli.demo_campaign import add_demo_campaign
from ivr.cli.demo_corrections import add_demo_corrections
from ivr.cli.demo_menus import add_stale_notice
from ivr.cli.demo_outreach import add_outreach_demo
from ivr.cli.demo_privacy import DEMO_RESIDENT, add_privacy_demo
from ivr.cli.demo_privacy import STATION as DEMO_STATION
from ivr.cli.demo_referrals import add_demo_referrals
from ivr.db import database, get_session
from ivr.jobs import enqueue_voicemail
from ivr.menus.default_menu import default_menu_yaml
from ivr.menus.versions import save_version
from ivr.stations.registry import import_districts, import_stations
from ivr.stations.users import create_user
from ivr.storage import storage
from models import MenuVersion, Role, Station, User, utcnow
from models.migrate import upgrade

DEMO_DATA = files("ivr") / "demo_data"
# (username, role, station code, district code, display name)
DEMO_USERS = [
    ("admin", Role.CITY_ADMIN, None, None, "市级管理员"),
    ("haizhu-admin", Role.DISTRICT_ADMIN, None, "haizhu", "海珠区管理员"),
    ("nanzhou-admin", Role.STATION_ADMIN, "haizhu-nanzhou", None, "南洲街站长"),
    ("nanzhou-worker", Role.WORKER, "haizhu-nanzhou", None, "南洲街社工"),
    ("huangshi-worker", Role.WORKER, "baiyun-huangshi", None, "黄石街社工"),
    ("tongde-worker", Role.WORKER, "baiyun-tongde", None, "同德街社工"),
]


@click.command(
    help=(
        "Load demo data: migrate the database, import Guangzhou's 11 districts and 200+ "
        "stations, publish the default menu (elderly-friendly settings on) for every station "
        "that has none, and create demo "
        "users (password from --password), and a month of made-up calls, voicemails and "
        "tickets so the queue and statistics show something, with referrals from 黄石街 to "
        "同德街 in every state and a notice left up too long at one station for the menu "
        "health check (--no-activity to skip all three), and acknowledgement texts on at "
        "the demo users' stations; "
        "voicemails get Mandarin speech from espeak-ng (--audio-elsewhere); one number on "
        "南洲街's block list, with a blocked call logged; an outreach campaign (电访) at 南洲街 "
        "for residents living alone, part-way worked. Safe to repeat."
    )
)
@click.option(
    "--password",
    envvar="IVR_DEMO_PASSWORD",
    default="hotline-demo",
    show_default=True,
    help="Password given to the demo users (env IVR_DEMO_PASSWORD).",
)
@click.option(
    "--activity/--no-activity",
    default=True,
    show_default=True,
    help="Add a month of made-up activity (once; left alone when already there).",
)
@click.option(
    "--days",
    default=30,
    show_default=True,
    type=click.IntRange(1, 400),
    help="How many days of made-up activity, ending now.",
)
@click.option(
    "--audio-elsewhere",
    default=RECENT_ELSEWHERE,
    show_default=True,
    type=click.IntRange(0, 100_000),
    help=(
        "Every demo voicemail at the demo users' stations gets synthesised Mandarin audio; "
        "so do this many of the most recent elsewhere."
    ),
)
@with_appcontext
def demo(password: str, activity: bool, days: int, audio_elsewhere: int) -> None:
    upgrade(database().engine)
    session = get_session()
    for name, importer in (("districts", import_districts), ("stations", import_stations)):
        result = importer(session, (DEMO_DATA / f"{name}.csv").read_bytes())
        click.echo(f"{name}: {result.summary()}")
    if activity and (done := add_stale_notice(session, utcnow())):
        click.echo(done)
    with_menu = set(session.scalars(select(MenuVersion.station_id)))
    published = 0
    for station in session.scalars(select(Station).order_by(Station.code)):
        if station.id not in with_menu:
            document = default_menu_yaml(station.languages)
            save_version(session, station, document, publish=True, note="default template")
            published += 1
    click.echo(f"menus: default menu published for {published} station(s)")
    existing = set(session.scalars(select(User.username)))
    for username, role, station, district, display in DEMO_USERS:
        if username not in existing:
            create_user(
                session,
                username,
                password,
                role,
                station_code=station,
                district_code=district,
                display_name=display,
            )
    session.commit()
    if activity:
        stations = list(session.scalars(select(Station).order_by(Station.code)))
        made = add_demo_activity(session, stations, utcnow(), days=days)
        session.commit()
        click.echo(f"activity: {made.summary()}")
        click.echo(add_demo_referrals(session, utcnow()))
        session.commit()
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        demo_stations = {code for _u, _r, code, _d, _n in DEMO_USERS if code}
        audio = add_demo_audio(
            database().sessions,
            current_app.config["IVR"],
            demo_stations,
            recent=audio_elsewhere,
            enqueue=lambda voicemail_id: enqueue_voicemail(app, voicemail_id),
            storage=storage(),
        )
        click.echo(f"audio: {audio.summary()}")
        click.echo(f"corrections: {add_demo_corrections(session, utcnow())}")
        click.echo(add_outreach_demo(session, demo_stations, utcnow()))
        click.echo(add_alerts_demo(session, utcnow()))
        session.commit()
    click.echo(add_privacy_demo(session, storage(), utcnow()))
    click.echo(add_block_list_demo(session, utcnow()))
    session.commit()
    click.echo(add_callback_demo(session, utcnow()))
    session.commit()
    click.echo(add_demo_campaign(session, utcnow()))
    session.commit()
    click.echo(
        f"elderly path: {DEMO_RESIDENT} (陈阿婆, flagged lone_elderly) is greeted and put "
        f"through to the worker first; try it in {DEMO_STATION}'s test call"
    )
    names = ", ".join(u[0] for u in DEMO_USERS)
    click.echo(f"demo users (password: {password}): {names}")
