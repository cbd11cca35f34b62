"""Alembic environment: khm always hands in an open connection (see khm.store.db)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from khm.store import models  # noqa: F401  (registers the tables)

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # pragma: no cover - khm never runs alembic without one
        raise RuntimeError("khm migrations need a connection in config.attributes")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
