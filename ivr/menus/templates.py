"""Shared menu templates: named documents many stations' menus are derived from.

Each save of a name is a new, never-changed version; ``ivr.menus.rollout`` applies one to
many stations, keeping each station's own changes.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ivr.menus.validate import parse_menu
from ivr.menus.versions import known_station_codes
from models import MenuTemplate, User

MAX_TEMPLATE_NAME = 100


class TemplateInvalid(Exception):
    """A template that cannot be saved; ``field`` names the form field at fault."""

    def __init__(self, field: str, message: Any) -> None:
        super().__init__(str(message))
        self.field = field
        self.message = message


# Templates -------------------------------------------------------------------------


def save_template(
    session: Session, name: str, document: str, user: User | None, note: str = ""
) -> MenuTemplate:
    """Validate ``document`` and store it as the next version of template ``name``."""
    name = (name or "").strip()
    if not name:
        raise TemplateInvalid("name", _l("请填写模板名称"))
    if len(name) > MAX_TEMPLATE_NAME:
        raise TemplateInvalid("name", _l("模板名称最多%(n)d个字", n=MAX_TEMPLATE_NAME))
    if len(note) > 500:
        raise TemplateInvalid("note", _l("说明最多%(n)d个字", n=500))
    parse_menu(document, known_stations=known_station_codes(session))  # MenuInvalid
    latest = session.scalar(select(func.max(MenuTemplate.version)).where(MenuTemplate.name == name))
    row = MenuTemplate(
        name=name,
        version=(latest or 0) + 1,
        document=document,
        note=note,
        created_by_id=user.id if user else None,
    )
    session.add(row)
    session.flush()
    return row


def list_templates(session: Session) -> list[MenuTemplate]:
    """Every saved template version: by name, newest version first."""
    return list(
        session.scalars(
            select(MenuTemplate).order_by(MenuTemplate.name, MenuTemplate.version.desc())
        )
    )
