"""``ivr tokens``: bearer tokens for the REST API."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ivr.api.serialize import iso
from ivr.api.tokens import TokenInvalid, issue_token, revoke_token, token_state
from ivr.db import get_session
from models import ApiToken, utcnow


@click.group(help="Bearer tokens for the REST API at /api/v1, each acting as one user.")
def tokens() -> None:
    pass


@tokens.command(
    "create",
    help=(
        "Issue a token for USERNAME; it sees and changes exactly what that user may. The "
        "token is printed once and only its hash is kept: store it now."
    ),
)
@click.argument("username")
@click.option("--name", default="", help="What the token is for, shown in `ivr tokens list`.")
@click.option(
    "--days",
    type=click.IntRange(min=1, max=3650),
    default=None,
    help="Expire after this many days (default: never).",
)
@with_appcontext
def create_command(username: str, name: str, days: int | None) -> None:
    session = get_session()
    try:
        issued = issue_token(session, username, utcnow(), name=name[:100], days=days)
    except TokenInvalid as exc:
        raise click.ClickException(str(exc)) from None
    session.commit()
    expires = iso(issued.row.expires_at) or "never"
    click.echo(f"token {issued.row.id} for {username} (expires {expires}):", err=True)
    click.echo(issued.secret)


@tokens.command("list", help="List tokens: id, prefix, user, name, state, expiry and last use.")
@with_appcontext
def list_command() -> None:
    now = utcnow()
    rows = get_session().scalars(
        select(ApiToken).order_by(ApiToken.id).options(selectinload(ApiToken.user))
    )
    for token in rows:
        click.echo(
            f"{token.id:>5}  {token.prefix:<12}  {token.user.username:<20}  "
            f"{token_state(token, now):<13}  expires {iso(token.expires_at) or 'never':<27}  "
            f"last used {iso(token.last_used_at) or 'never':<27}  {token.name}"
        )


@tokens.command("revoke", help="Revoke token ID (see `ivr tokens list`); it stops working at once.")
@click.argument("token_id", type=click.IntRange(min=1, max=2**31 - 1))
@with_appcontext
def revoke_command(token_id: int) -> None:
    session = get_session()
    try:
        token = revoke_token(session, token_id, utcnow())
    except TokenInvalid as exc:
        raise click.ClickException(str(exc)) from None
    session.commit()
    click.echo(f"revoked token {token.id} ({token.prefix}…) of {token.user.username}")
