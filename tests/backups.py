"""Backup test helpers: a store filled through the real stores (listings, accounts, sessions,
peers, a shortlist, consents, referrals and their history, and the audit log those write),
every table's rows read back for comparison, and a fresh PostgreSQL database to restore into."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url

from directory.config import Settings
from directory.db import make_engine, metadata
from directory.referral_rules import ReferralMode, ReferralStatus
from directory.sessions import SessionStore
from directory.workspace import Role
from tests.conftest import TEST_MASTER_KEY
from tests.workspace_factories import Workspace, today


def fill(engine: Engine, listings: int = 4) -> None:
    """A little of everything the store keeps, written the way the app writes it."""
    ws = Workspace.on(engine)
    ws.account(Role.ADMIN, "North Team")
    me = ws.account(Role.SPECIALIST, "North Team")
    ws.account(Role.SUPERVISOR, "South Team")
    SessionStore(engine, idle=timedelta(minutes=30), absolute=timedelta(hours=12)).create(me.id)
    places = [
        ws.listing(name=f"Harbor House {n}", source_id=f"harbor-{n}") for n in range(listings)
    ]
    clinic = ws.listing(category="health", subcategories=["detox"], name="Harbor Detox")
    peer = ws.peer(me)
    ws.peers.add_to_shortlist(me, peer.id, places[0].id, distance_mi=1.5, near_label="19104")
    ws.peers.view(me, peer.id)
    consent = ws.consent(me, peer, clinic)
    ws.referral(me, peer, clinic, mode=ReferralMode.SENT, consent_id=consent.id)
    info = ws.referral(me, peer, places[-1], note="call on Monday")
    moved = ws.referrals.move(
        me,
        info.id,
        ReferralStatus.ACCEPTED,
        expected=info.status,
        follow_up_on=today() + timedelta(days=7),
        today=today(),
    )
    assert moved is not None


def all_rows(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = {
                table.name: [
                    tuple(row)
                    for row in conn.execute(select(table).order_by(*table.primary_key.columns))
                ]
                for table in metadata.sorted_tables
            }
            version = conn.execute(text("SELECT version_num FROM alembic_version"))
            rows["alembic_version"] = [tuple(row) for row in version]
            return rows
    finally:
        engine.dispose()


def command_settings(home: Path, database_url: str, meili_url: str, index: str) -> Settings:
    """What `peerdir` reads from its environment, for a test's database and index."""
    return Settings(
        home=home,
        database_url=database_url,
        meili_url=meili_url,
        meili_index=index,
        meili_master_key=TEST_MASTER_KEY,
        meili_external=True,
    )


def command_env(home: Path, database_url: str, meili_url: str, index: str) -> dict[str, str]:
    """The environment that makes `peerdir` use a test's database and index."""
    return {
        **os.environ,
        "DIRECTORY_HOME": str(home),
        "DATABASE_URL": database_url,
        "MEILI_URL": meili_url,
        "MEILI_MASTER_KEY": TEST_MASTER_KEY,
        "DIRECTORY_MEILI_INDEX": index,
    }


@pytest.fixture
def fresh_postgres(postgres_dsn: str) -> Iterator[str]:
    """A new, empty PostgreSQL database (its `public` schema holds nothing)."""
    name = f"r_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield make_url(postgres_dsn).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
