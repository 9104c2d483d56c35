"""The migrations build exactly the schema that directory/db.py declares, on both databases,
and move the data they promise to."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, update

from directory import migrations
from directory.db import listings_table, make_engine, metadata
from directory.listings import ListingStore
from indexers.geocode import zone_by_place
from tests.conftest import PG_DSN
from tests.factories import listing


def test_the_migrated_schema_matches_the_declared_one(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    assert differences == []


@pytest.fixture(params=["sqlite", "postgresql"])
def url_at_0003(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database migrated up to revision 0003 only, on each database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'directory.db'}"
        migrations.upgrade(url, "0003")
        yield url
        return
    if not request.getfixturevalue("postgres_ok"):
        pytest.skip(f"PostgreSQL is not reachable at {PG_DSN}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{PG_DSN}?options=-csearch_path%3D{schema}"
    try:
        migrations.upgrade(url, "0003")
        yield url
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def test_stored_listings_get_the_timezone_of_their_place(url_at_0003: str) -> None:
    denver = listing(source_id="denver", geo={"lat": 39.7392, "lng": -104.9903})
    by_zip = listing(source_id="zip", geo=None)  # ZIP 19104 only
    zoned = listing(
        source_id="zoned",
        hours=[{"day": 1, "opens": "09:00", "closes": "17:00"}],
        timezone="America/Chicago",
    )
    nowhere = listing(source_id="nowhere", geo=None, address={"country": "CA", "city": "Regina"})
    edited = listing(source_id="edited", geo=None)
    chosen = listing(source_id="chosen", geo=None)
    records = [denver, by_zip, zoned, nowhere, edited, chosen]
    engine = make_engine(url_at_0003)
    try:
        store = ListingStore(engine)
        store.upsert(records)
        table = listings_table
        with engine.begin() as conn:
            # An admin changed the phone of one (the source's record kept beside it) and set
            # the timezone of another to none.
            source = edited.model_dump(mode="json")
            conn.execute(
                update(table)
                .where(table.c.id == edited.listing_id)
                .values(
                    record={**source, "phone": "(215) 555-0199"},
                    overrides={"phone": "(215) 555-0199"},
                    source_record=source,
                )
            )
            chosen_source = chosen.model_dump(mode="json")
            conn.execute(
                update(table)
                .where(table.c.id == chosen.listing_id)
                .values(overrides={"timezone": None}, source_record=chosen_source)
            )
        migrations.upgrade(url_at_0003)
        with engine.connect() as conn:
            rows = {row.id: row for row in conn.execute(select(table))}
        zones = {r.source_id: rows[r.listing_id].record.get("timezone") for r in records}
        assert zones == {
            "denver": "America/Denver",
            "zip": "America/New_York",
            "zoned": "America/Chicago",
            "nowhere": None,
            "edited": "America/New_York",
            "chosen": None,
        }
        edited_row = rows[edited.listing_id]
        assert edited_row.source_record["timezone"] == "America/New_York"
        assert edited_row.record["phone"] == "(215) 555-0199"
        # An import of the same records, which now places their timezone too, finds them
        # unchanged; but where an admin chose no timezone, the source's now differs.
        again = store.upsert([zone_by_place(r) for r in records])
        assert (again.unchanged, again.added) == (len(records) - 1, [])
        assert again.updated == [chosen.listing_id]
    finally:
        engine.dispose()
