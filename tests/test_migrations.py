"""The migrations build exactly the schema that directory/db.py declares, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from directory.db import make_engine, metadata


def test_the_migrated_schema_matches_the_declared_one(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    assert differences == []
