"""Who may see what: every console and API query is narrowed to the user's stations.

A worker or station admin sees their own station; a district admin every station of
the district; a city admin everything, including the unassigned queue (calls to numbers
no station owns). Anything outside the scope answers 404, as if it did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from models import Referral, Role, Station, Ticket, User, Voicemail


@dataclass(frozen=True)
class Scope:
    role: Role
    station_id: int | None = None
    district_id: int | None = None

    @classmethod
    def of(cls, user: User) -> Scope:
        return cls(user.role, user.station_id, user.district_id)

    @property
    def is_city(self) -> bool:
        return self.role is Role.CITY_ADMIN

    def stations_clause(self, column: InstrumentedAttribute[int | None]) -> ColumnElement[bool]:
        """A WHERE clause keeping rows whose ``column`` names a station in scope."""
        if self.role is Role.CITY_ADMIN:
            return true()
        if self.role is Role.DISTRICT_ADMIN:
            # A literal id list, not a subquery: PostgreSQL can then use an index on each
            # side of the OR in tickets_clause instead of filtering every active ticket.
            return column.in_(self.district_station_ids)
        if self.station_id is None:
            return false()
        return column == self.station_id

    @cached_property
    def district_station_ids(self) -> tuple[int, ...]:
        """Looked up once per Scope (one per request), however many clauses use it."""
        from ivr.db import get_session

        return tuple(
            get_session().scalars(select(Station.id).where(Station.district_id == self.district_id))
        )

    def tickets_clause(self) -> ColumnElement[bool]:
        """Tickets at a station in scope, or referred away from one (both sides see it;
        a station that referred a ticket on earlier still reads it, wherever it went)."""
        if self.is_city:
            return true()
        return or_(
            self.stations_clause(Ticket.station_id),
            self.stations_clause(Ticket.referred_from_station_id),
            Ticket.id.in_(
                select(Referral.ticket_id).where(self.stations_clause(Referral.from_station_id))
            ),
        )

    def voicemails_clause(self) -> ColumnElement[bool]:
        """A voicemail is seen with its ticket (both sides of a referral), or at its station."""
        return or_(
            Voicemail.ticket_id.in_(select(Ticket.id).where(self.tickets_clause())),
            self.stations_clause(Voicemail.station_id),
        )

    def voicemail(self, session: Session, voicemail_id: int) -> Voicemail | None:
        """The voicemail if this scope may see it: the one rule the console and API share."""
        return session.scalar(
            select(Voicemail).where(Voicemail.id == voicemail_id, self.voicemails_clause())
        )

    def station_ids(self, session: Session) -> list[int]:
        return list(
            session.scalars(
                select(Station.id).where(self.stations_clause(Station.id)).order_by(Station.code)
            )
        )

    def covers_station(self, session: Session, station_id: int | None) -> bool:
        if station_id is None:
            return self.is_city  # the unassigned queue
        return station_id in self.station_ids(session)

    def can_act_on(self, ticket: Ticket) -> bool:
        """Changing a ticket belongs to its current station (a referral hands it over)."""
        if self.is_city:
            return True
        if self.role is Role.DISTRICT_ADMIN:
            return (
                ticket.station_id is not None
                and ticket.station is not None
                and (ticket.station.district_id == self.district_id)
            )
        return ticket.station_id == self.station_id
