"""Alembic environment: runs migrations against the URL given by directory.migrations."""

from __future__ import annotations

from alembic import context

from directory.db import make_engine, metadata

config = context.config


def run_migrations_online() -> None:
    engine = make_engine(config.attributes["database_url"])
    try:
        with engine.begin() as connection:
            context.configure(
                connection=connection,
                target_metadata=metadata,
                render_as_batch=connection.dialect.name == "sqlite",
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `peerdir db upgrade`")
run_migrations_online()
