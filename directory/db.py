"""Database engine and schema: the SQL store is the system of record.

SQLite (WAL) is the embedded default; PostgreSQL is used when `DATABASE_URL` points at one.
The schema is defined here with SQLAlchemy Core and created by Alembic migrations
(directory/migrations); the stores (listings.py, ...) are the only modules that query it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Engine,
    Float,
    Index,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import make_url

metadata = MetaData()

listings_table = Table(
    "listings",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("source", String(80), nullable=False),
    Column("source_id", String(80), nullable=False),
    Column("category", String(32), nullable=False),
    Column("name", String(300), nullable=False),
    Column("status", String(24), nullable=False),
    Column("lat", Float, nullable=True),
    Column("lng", Float, nullable=True),
    Column("record", JSON, nullable=False),
    Column("content_hash", String(32), nullable=False),
    Column("last_verified_at", Date, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("source", "source_id", name="uq_listings_source_source_id"),
    Index("ix_listings_category_status", "category", "status"),
)


def normalize_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgres URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(database_url: str, **kwargs: Any) -> Engine:
    url = make_url(normalize_url(database_url))
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": 30}, json_serializer=_json_dumps, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, json_serializer=_json_dumps, **kwargs)


def _json_dumps(value: Any) -> str:
    # orjson: several times faster than json.dumps on the import path (100k records).
    return orjson.dumps(value).decode()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
