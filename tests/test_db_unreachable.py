"""Which database errors mean "cannot be reached now" (a 503 to try again) and which are a
fault of ours (a 500): the real drivers' exceptions, raised for real where that is cheap."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from directory.db import make_engine, unreachable


def _raised(url: str, statement: str, **options: object) -> OperationalError:
    # SQLite through a plain engine: make_engine makes missing folders and waits 30 s on a lock.
    engine = create_engine(url, **options) if url.startswith("sqlite") else make_engine(url)
    try:
        with pytest.raises(OperationalError) as caught, engine.connect() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()
    return caught.value


def test_a_sqlite_file_that_cannot_be_opened_is_unreachable(tmp_path: Path) -> None:
    # A folder where the file should be.
    assert unreachable(_raised(f"sqlite:///{tmp_path}", "SELECT 1"))


def test_a_sqlite_file_locked_past_the_busy_timeout_is_unreachable(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        error = _raised(f"sqlite:///{path}", "SELECT * FROM t", connect_args={"timeout": 0.1})
    finally:
        holder.rollback()
        holder.close()
    assert "database is locked" in str(error.orig)
    assert unreachable(error)


def test_a_statement_of_ours_that_fails_is_not_an_outage(tmp_path: Path) -> None:
    assert not unreachable(_raised(f"sqlite:///{tmp_path / 'ok.db'}", "SELECT * FROM nowhere"))


def test_too_many_connections_on_postgresql_is_unreachable(postgres_url: str) -> None:
    """SQLSTATE 53300, as the server says it when its connection slots are full."""
    error = _raised(
        postgres_url, "DO $$ BEGIN RAISE EXCEPTION 'full' USING ERRCODE = '53300'; END $$"
    )
    assert getattr(error.orig, "sqlstate", None) == "53300"
    assert unreachable(error)
