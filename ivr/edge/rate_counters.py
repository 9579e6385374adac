"""A ``limits`` storage on the application's database (scheme ``ivr-database://``).

Flask-Limiter keeps its counters in Redis when the deployment has one; without Redis
every gunicorn worker (and every web host on one PostgreSQL) must still see the same
counts, and the database is the one store they all share. Only the fixed-window
strategy's operations are provided: one atomic upsert per hit, no read-modify-write.
"""

from __future__ import annotations

import hashlib
import random
import time

from limits.storage import Storage
from sqlalchemy import Engine, case, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from models import RateCounter

SCHEME = "ivr-database"
# Expired rows are deleted by about one hit in this many.
SWEEP_ONE_IN = 100
MAX_KEY = 255


class DatabaseCounters(Storage):
    STORAGE_SCHEME = [SCHEME]

    def __init__(
        self, uri: str | None = None, wrap_exceptions: bool = False, **options: object
    ) -> None:
        engine = options.pop("engine", None)
        if not isinstance(engine, Engine):
            raise ValueError(f"{SCHEME}:// needs storage option engine=<sqlalchemy Engine>")
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self.engine = engine

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        insert = postgresql_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        statement = insert(RateCounter).values(
            key=_stored(key), hits=amount, expires_at=now + expiry
        )
        expired = RateCounter.expires_at <= now
        statement = statement.on_conflict_do_update(
            index_elements=[RateCounter.key],
            set_={
                "hits": case((expired, amount), else_=RateCounter.hits + amount),
                "expires_at": case((expired, now + expiry), else_=RateCounter.expires_at),
            },
        ).returning(RateCounter.hits)
        with self.engine.begin() as connection:
            hits = connection.execute(statement).scalar_one()
            if random.randrange(SWEEP_ONE_IN) == 0:
                connection.execute(delete(RateCounter).where(RateCounter.expires_at <= now))
        return int(hits)

    def get(self, key: str) -> int:
        row = self._live_row(key)
        return row[0] if row is not None else 0

    def get_expiry(self, key: str) -> float:
        row = self._live_row(key)
        return row[1] if row is not None else time.time()

    def check(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self.engine.begin() as connection:
            return connection.execute(delete(RateCounter)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(RateCounter).where(RateCounter.key == _stored(key)))

    def _live_row(self, key: str) -> tuple[int, float] | None:
        """(hits, expires_at) of the key's counter, unless it has expired."""
        query = select(RateCounter.hits, RateCounter.expires_at).where(
            RateCounter.key == _stored(key), RateCounter.expires_at > time.time()
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).one_or_none()
        return (row.hits, row.expires_at) if row is not None else None


def _stored(key: str) -> str:
    """The key as kept: itself, or its digest when longer than the column."""
    if len(key) <= MAX_KEY:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()
