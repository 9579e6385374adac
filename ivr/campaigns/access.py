"""Who sees which campaign: admins their station's or district's, workers their entries."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from ivr.tickets.scope import Scope
from models import Campaign, CampaignEntry, Role, User


def may_build(user: User) -> bool:
    return user.role in (Role.STATION_ADMIN, Role.DISTRICT_ADMIN)


def campaigns_clause(scope: Scope) -> ColumnElement[bool]:
    """Campaigns owned by a station or district in scope (a worker: their station's)."""
    if scope.is_city:
        return true()
    if scope.role is Role.DISTRICT_ADMIN:
        return or_(
            Campaign.district_id == scope.district_id,
            scope.stations_clause(Campaign.station_id),
        )
    if scope.station_id is None:
        return false()
    return Campaign.station_id == scope.station_id


def entries_clause(user: User, scope: Scope) -> ColumnElement[bool]:
    """Entries ``user`` may open: a worker only their own; an admin those in scope."""
    if user.role is Role.WORKER:
        return CampaignEntry.assignee_id == user.id
    return CampaignEntry.campaign_id.in_(select(Campaign.id).where(campaigns_clause(scope)))


def campaign_for(session: Session, user: User, scope: Scope, campaign_id: int) -> Campaign | None:
    """The campaign if ``user`` may open it: an admin's in scope, a worker's with their entries."""
    if user.role is not Role.WORKER:
        return session.scalar(
            select(Campaign).where(Campaign.id == campaign_id, campaigns_clause(scope))
        )
    mine = session.scalar(
        select(CampaignEntry.id)
        .where(CampaignEntry.campaign_id == campaign_id, CampaignEntry.assignee_id == user.id)
        .limit(1)
    )
    return session.get(Campaign, campaign_id) if mine is not None else None


def entry_for(session: Session, user: User, scope: Scope, entry_id: int) -> CampaignEntry | None:
    return session.scalar(
        select(CampaignEntry).where(CampaignEntry.id == entry_id, entries_clause(user, scope))
    )
