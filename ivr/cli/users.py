"""``ivr users``: console accounts."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ivr.db import get_session
from ivr.stations.users import UserInvalid, create_user
from models import Role, User


@click.group(help="Console users and their roles.")
def users() -> None:
    pass


@users.command(
    "create",
    help=(
        "Create a console user. Roles: worker and station_admin (need --station), "
        "district_admin (needs --district), city_admin. The password is asked for, or read "
        "from the IVR_NEW_PASSWORD environment variable when set."
    ),
)
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--station", "station_code", help="Station code, for worker and station_admin.")
@click.option("--district", "district_code", help="District code, for district_admin.")
@click.option("--name", "display_name", default="", help="Name shown in the console.")
@click.option("--phone", help="The user's own phone (E.164), rung by click-to-call.")
@click.password_option(envvar="IVR_NEW_PASSWORD")
@with_appcontext
def create_command(username, role, station_code, district_code, display_name, phone, password):  # type: ignore[no-untyped-def]
    session = get_session()
    try:
        user = create_user(
            session,
            username,
            password,
            Role(role),
            station_code=station_code,
            district_code=district_code,
            display_name=display_name,
            phone=phone,
        )
    except UserInvalid as exc:
        raise click.ClickException(str(exc)) from None
    session.commit()
    click.echo(f"created {user.role.value} {user.username}")


@users.command("list", help="List users with their role and scope.")
@with_appcontext
def list_command() -> None:
    for user in get_session().scalars(select(User).order_by(User.username)):
        scope = (
            user.station.code if user.station else user.district.code if user.district else "city"
        )
        state = "" if user.active else " (disabled)"
        click.echo(f"{user.username:<24} {user.role.value:<15} {scope}{state}")
