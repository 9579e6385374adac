"""Alembic environment: runs against the engine handed over by ``models.migrate``."""

from alembic import context
from sqlalchemy import create_engine

import models
from models.db import make_engine
from models.migrate import modelled

config = context.config
target_metadata = models.Base.metadata


def run_migrations() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        url = config.get_main_option("sqlalchemy.url")
        engine = make_engine(url) if url else create_engine("sqlite://")
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_object=modelled,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
