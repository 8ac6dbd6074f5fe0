"""Alembic environment for the app database (auth/).

Run programmatically by auth.db.AuthDB.migrate(), which passes an open
connection in ``config.attributes["connection"]``. Also usable from the
command line with ``alembic -c auth/migrations/alembic.ini`` and
``-x url=...`` (or LAGESBILD_DATABASE_URL).
"""
from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from auth.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    x = context.get_x_argument(as_dictionary=True)
    return (
        x.get("url")
        or config.get_main_option("sqlalchemy.url")
        or os.environ.get("LAGESBILD_DATABASE_URL")
        or "sqlite:///var/app.db"
    )


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url())
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
