"""Database engine and schema: the SQL store is the system of record.

SQLite (WAL) is the embedded default; PostgreSQL is used when `DATABASE_URL` points at one.
The schema is defined here with SQLAlchemy Core and created by Alembic migrations
(directory/migrations); the stores (listings.py, ...) are the only modules that query it.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, overload

import orjson
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

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
    # Who last verified the listing (an account; empty when a source said so or nobody did).
    Column("verified_by", String(24), nullable=True),
    # Local edits of an imported listing: {field: our value}. `record` is the source's record
    # with these applied; `source_record` is the source's own, as last imported (to tell when
    # a source changes a field we edited). Both are empty for a listing nobody edited.
    Column("overrides", JSON(none_as_null=True), nullable=True),
    Column("source_record", JSON(none_as_null=True), nullable=True),
    UniqueConstraint("source", "source_id", name="uq_listings_source_source_id"),
    Index("ix_listings_category_status", "category", "status"),
    Index("ix_listings_last_verified_at", "last_verified_at"),
)

# The specialist workspace. Ids are opaque random strings (never peer data in a URL); peers and
# referrals belong to a team. Nothing here holds a name, birth date, SSN or diagnosis.
ID = 24  # width of an opaque id column

teams_table = Table(
    "teams",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("name", String(120), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

accounts_table = Table(
    "accounts",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("display_name", String(80), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("team_id", String(ID), ForeignKey("teams.id"), nullable=False),
    Column("disabled_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_sign_in_at", DateTime(timezone=True), nullable=True),
)

# Server-side sessions: the cookie holds a random token; only its SHA-256 is stored.
sessions_table = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("account_id", String(ID), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=True),
)

sign_in_attempts_table = Table(
    "sign_in_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False),
    Column("address", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("succeeded", Boolean, nullable=False),
    Index("ix_sign_in_attempts_email_at", "email", "at"),
    Index("ix_sign_in_attempts_address_at", "address", "at"),
)

# The one-time link that creates the first admin (its SHA-256; gone once an admin exists).
setup_tokens_table = Table(
    "setup_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

peers_table = Table(
    "peers",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("team_id", String(ID), ForeignKey("teams.id"), nullable=False, index=True),
    Column("code", String(16), nullable=False, unique=True),
    Column("alias", String(40), nullable=False),
    Column("contact_preference", String(16), nullable=False),
    Column("goals", Text, nullable=False),
    Column("created_by", String(ID), ForeignKey("accounts.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("form_key", String(64), nullable=True, unique=True),
)

shortlist_table = Table(
    "shortlist_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("peer_id", String(ID), ForeignKey("peers.id"), nullable=False),
    Column("listing_id", String(16), ForeignKey("listings.id"), nullable=False),
    Column("distance_mi", Float, nullable=True),
    Column("near_label", String(120), nullable=False),
    Column("added_by", String(ID), ForeignKey("accounts.id"), nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("peer_id", "listing_id", name="uq_shortlist_peer_listing"),
)

consents_table = Table(
    "consents",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("team_id", String(ID), ForeignKey("teams.id"), nullable=False),
    Column("peer_id", String(ID), ForeignKey("peers.id"), nullable=False, index=True),
    Column("discloser", String(200), nullable=False),
    Column("recipient", String(300), nullable=False),
    Column("recipient_listing_id", String(16), ForeignKey("listings.id"), nullable=False),
    Column("purpose", String(500), nullable=False),
    Column("information", String(500), nullable=False),
    Column("expires_on", Date, nullable=False),
    Column("revocation_explained", Boolean, nullable=False),
    Column("method", String(24), nullable=False),
    Column("witness", String(80), nullable=False),
    Column("given_on", Date, nullable=False),
    Column("part2", Boolean, nullable=False),
    Column("recorded_by", String(ID), ForeignKey("accounts.id"), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("revoked_by", String(ID), ForeignKey("accounts.id"), nullable=True),
    Column("form_key", String(64), nullable=True, unique=True),
)

referrals_table = Table(
    "referrals",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("team_id", String(ID), ForeignKey("teams.id"), nullable=False, index=True),
    Column("peer_id", String(ID), ForeignKey("peers.id"), nullable=False, index=True),
    Column("listing_id", String(16), ForeignKey("listings.id"), nullable=False),
    Column("listing_snapshot", JSON, nullable=False),
    Column("need", String(32), nullable=False),
    Column("mode", String(24), nullable=False),
    Column("status", String(24), nullable=False),
    Column("follow_up_on", Date, nullable=True),
    Column("assigned_to", String(ID), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("consent_id", String(ID), ForeignKey("consents.id"), nullable=True),
    Column("replaces_id", String(ID), ForeignKey("referrals.id"), nullable=True),
    Column("created_by", String(ID), ForeignKey("accounts.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("form_key", String(64), nullable=True, unique=True),
)

# Append-only: a referral's whole history, one row per change (including its creation).
referral_events_table = Table(
    "referral_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("referral_id", String(ID), ForeignKey("referrals.id"), nullable=False, index=True),
    Column("from_status", String(24), nullable=True),
    Column("to_status", String(24), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor_id", String(ID), ForeignKey("accounts.id"), nullable=False),
    Column("code", String(32), nullable=False),
    Column("note", String(1000), nullable=False),
    Column("follow_up_on", Date, nullable=True),
)

# Append-only: who did what to which object, written in the same transaction as the change.
# Field names only, never values: no peer free text is copied here.
audit_table = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("actor_id", String(ID), nullable=True),
    Column("team_id", String(ID), nullable=True),
    Column("action", String(48), nullable=False),
    Column("object_type", String(24), nullable=False),
    Column("object_id", String(ID), nullable=True),
    Column("fields", JSON, nullable=False),
    # Public data only (a listing's fields, an account's role): {field: [old, new]}.
    Column("changes", JSON(none_as_null=True), nullable=True),
    Index("ix_audit_object", "object_type", "object_id"),
    Index("ix_audit_actor_at", "actor_id", "at"),
)

# The admin area. A source changed a field an admin had edited: the admin keeps one value.
listing_conflicts_table = Table(
    "listing_conflicts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("listing_id", String(16), ForeignKey("listings.id"), nullable=False, index=True),
    Column("field", String(40), nullable=False),
    Column("ours", JSON, nullable=True),
    Column("theirs", JSON, nullable=True),
    Column("raised_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True), nullable=True),
    Column("resolved_by", String(ID), ForeignKey("accounts.id"), nullable=True),
    Column("resolution", String(16), nullable=True),  # kept_ours | took_theirs
)

# "Suggest a change" from the public and kiosk pages: a review queue, nothing applied by itself.
corrections_table = Table(
    "corrections",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("listing_id", String(16), ForeignKey("listings.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # closed | phone | address | hours | other
    Column("details", Text, nullable=False),
    Column("contact", String(200), nullable=True),  # only when the visitor chose to give one
    Column("address_hash", String(64), nullable=False),  # for the rate limit, never shown
    Column("submitted_at", DateTime(timezone=True), nullable=False, index=True),
    Column("status", String(16), nullable=False),  # open | applied | dismissed
    Column("handled_by", String(ID), ForeignKey("accounts.id"), nullable=True),
    Column("handled_at", DateTime(timezone=True), nullable=True),
)

# Where listings come from, as the admin area knows them (a feed URL may be re-read daily).
sources_table = Table(
    "sources",
    metadata,
    Column("name", String(80), primary_key=True),
    Column("format", String(24), nullable=False),
    Column("feed_url", String(2000), nullable=True),
    Column("schedule", String(16), nullable=False),  # off | daily
    Column("last_job_id", String(ID), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Work that runs outside a web request, in the worker process: a dry run, an import, a rebuild.
jobs_table = Table(
    "jobs",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("kind", String(16), nullable=False),  # dry_run | import | rebuild
    Column("source", String(80), nullable=True),
    Column("format", String(24), nullable=False),
    Column("origin", String(2000), nullable=False),  # a feed URL or an uploaded file's name
    Column("upload_path", String(500), nullable=True),
    Column("full", Boolean, nullable=False),
    Column("status", String(16), nullable=False),  # queued | running | succeeded | failed
    Column("done", Integer, nullable=False),
    Column("total", Integer, nullable=True),
    Column("stage", String(80), nullable=False),
    Column("report", JSON, nullable=True),
    Column("error", Text, nullable=True),
    Column("requested_by", String(ID), ForeignKey("accounts.id"), nullable=True),
    Column("requested_at", DateTime(timezone=True), nullable=False, index=True),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("heartbeat_at", DateTime(timezone=True), nullable=True),
    Column("dry_run_of", String(ID), nullable=True),
)

# A one-time link an admin makes for a new account (or a reset): only its SHA-256 is kept.
account_links_table = Table(
    "account_links",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("account_id", String(ID), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("created_by", String(ID), ForeignKey("accounts.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
)


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """A stored time as an aware UTC datetime (SQLite gives back naive ones; all are UTC)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def lock_for_writing(conn: Connection) -> None:
    """Make this transaction's read-then-write safe from other writers. SQLite: take the
    database's write lock now, before the reads (a write that changes nothing takes it);
    PostgreSQL: the caller reads with SELECT ... FOR UPDATE, which locks the rows it reads."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("UPDATE listings SET id = id WHERE 0")


def normalize_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgres URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# How long to wait for PostgreSQL to accept a connection (unless the URL's `connect_timeout`
# says): a server that does not answer fails the request with a 503 instead of holding it.
CONNECT_TIMEOUT_S = 5


def make_engine(database_url: str, **kwargs: Any) -> Engine:
    url = make_url(normalize_url(database_url))
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": 30},
            json_serializer=_json_dumps,
            hide_parameters=True,  # error messages must never carry peer data
            **kwargs,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    connect_args = dict(kwargs.pop("connect_args", {}))
    if "connect_timeout" not in url.query:
        connect_args.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
    return create_engine(
        url,
        # A connection the server dropped (a restart) is found and replaced before use.
        pool_pre_ping=True,
        connect_args=connect_args,
        json_serializer=_json_dumps,
        hide_parameters=True,
        **kwargs,
    )


# SQLSTATE classes of a server that cannot be talked to now: connection exceptions (08), out
# of resources (53: too many connections, with several instances), and an administrator's or a
# crash's shutdown, or a server still starting (57P01-57P03).
_UNREACHABLE_STATES = ("08", "53", "57P01", "57P02", "57P03")
# SQLite's: the file cannot be opened, or another process held its lock past the busy timeout.
_SQLITE_UNAVAILABLE = ("unable to open database file", "database is locked")


def unreachable(error: BaseException) -> bool:
    """Whether a database error means the server cannot be reached now (stopped, restarting,
    the connection lost, no connection free in time), not that a statement was wrong: the
    first is a 503 to try again later, the second a fault of ours."""
    if isinstance(error, PoolTimeout):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, OperationalError):
        return False
    if isinstance(error.orig, sqlite3.Error):
        return str(error.orig).startswith(_SQLITE_UNAVAILABLE)
    # psycopg gives no SQLSTATE when no server answered at all (refused, timed out, reset).
    state = getattr(error.orig, "sqlstate", None)
    return state is None or str(state).startswith(_UNREACHABLE_STATES)


def _json_dumps(value: Any) -> str:
    # orjson: several times faster than json.dumps on the import path (100k records).
    return orjson.dumps(value).decode()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # SQLite's own lower() folds ASCII only: "Ángel" would never match "ángel".
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)


def _unicode_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value
