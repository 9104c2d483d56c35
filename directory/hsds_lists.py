"""The HSDS API's lists that are not listings: the organizations and the subcategories of the
listings of some statuses (the API asks for those the search shows), each distinct, in name
order, counted and paged by the database (routes/hsds.py).

They are read here, not from the index's facet counts, because those stop at
maxValuesPerFacet (search/settings.py): past it organizations would silently go missing.
Both databases read a record's field the same way (`record["organization"].as_string()`);
each spreads a list field into rows its own way (`_spread`). Reading the field out of every
visible record is most of the cost: about 0.2 s for 50,000 listings on SQLite.

An organization is its name without regard to case (directory/hsds/vocabulary.py derives its
id from the lower-cased name): rows group by `lower(name)`, and one spelling is shown. On
SQLite that is Python's `str.lower` (db.py registers it), as the id's; on PostgreSQL it is
the database's own, which may fold a few letters otherwise (a dotted capital I; under a
plain C locale, every letter beyond ASCII), so names differing only in those may be grouped
otherwise than their ids are. Subcategories are slugs (ASCII), kept as written: their term
ids are derived from the slug as it is.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Connection,
    Engine,
    Select,
    Subquery,
    TableValuedAlias,
    case,
    func,
    select,
    true,
)

from directory.db import listings_table as t
from directory.hsds.vocabulary import UNKNOWN_ORGANIZATION_NAME
from directory.models import Status

# How the organization of listings that name none is listed and searched for.
UNNAMED = UNKNOWN_ORGANIZATION_NAME.lower()


@dataclass(frozen=True)
class NamePage:
    """One page of a list of names, and how many names the whole list holds."""

    total: int
    names: list[str]


class HsdsLists:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def organizations(
        self, statuses: Collection[Status], words: Sequence[str], offset: int, limit: int
    ) -> NamePage:
        """The organizations of the listings of `statuses` whose lower-case name holds every
        one of `words` (lower case), by name, from `offset`: each as one of its spellings, or
        "" for the listings that name none (listed and searched as UNNAMED)."""
        name = func.coalesce(t.c.record["organization"].as_string(), "")
        named = _once(select(name.label("name")).where(_of(statuses)))
        key = func.lower(named.c.name)
        rows = select(
            named.c.name.label("name"),
            key.label("key"),
            case((named.c.name == "", UNNAMED), else_=key).label("shown"),
        ).subquery()
        with self.engine.connect() as conn:
            return _page(conn, rows, words, offset, limit)

    def subcategories(
        self, statuses: Collection[Status], words: Sequence[str], offset: int, limit: int
    ) -> NamePage:
        """The subcategories of the listings of `statuses` whose lower-case form holds every
        one of `words` (lower case), in alphabetical order, from `offset`."""
        with self.engine.connect() as conn:
            each = _spread(conn, "subcategories")
            named = _once(
                select(each.c.value.label("name"))
                .select_from(t.join(each, true()))
                .where(_of(statuses))
            )
            rows = select(
                named.c.name.label("name"),
                named.c.name.label("key"),
                func.lower(named.c.name).label("shown"),
            ).subquery()
            return _page(conn, rows, words, offset, limit)


def _of(statuses: Collection[Status]) -> ColumnElement[bool]:
    return t.c.status.in_([status.value for status in statuses])


def _once(query: Select[Any]) -> CTE:
    """`query` read once, before what is made of it: unless told, the database may read it
    anew for each use of a column, and reading a field out of every record is most of the
    time a list takes."""
    return query.cte("named").prefix_with("MATERIALIZED")


def _spread(conn: Connection, field: str) -> TableValuedAlias:
    """A listing's list `field` spread out, one row (`value`) for each item; to be joined
    to the listings, whose record it reads."""
    if conn.dialect.name == "sqlite":
        return func.json_each(t.c.record, f"$.{field}").table_valued("value")
    # A function in FROM may read the tables before it (PostgreSQL: implicitly LATERAL).
    return func.json_array_elements_text(t.c.record[field]).table_valued("value").render_derived()


def _page(
    conn: Connection, rows: Subquery, words: Sequence[str], offset: int, limit: int
) -> NamePage:
    """A page of the distinct `key`s of `rows` (name: one spelling of it; shown: what is
    searched and sorted) whose `shown` holds every word, in `shown` order, and their count."""
    matching = [rows.c.shown.like(f"%{_like_escape(word)}%", escape="\\") for word in words]
    if limit > 0:
        found = conn.execute(
            select(func.min(_bytewise(conn, rows.c.name)), func.count().over())
            .where(*matching)
            .group_by(rows.c.key, rows.c.shown)
            .order_by(_bytewise(conn, rows.c.shown), _bytewise(conn, rows.c.key))
            .limit(limit)
            .offset(offset)
        ).all()
        if found:  # each row counts the keys of the whole list
            return NamePage(int(found[0][1]), [str(row[0]) for row in found])
    # A page past the end, or none asked for: the count alone.
    keys = select(rows.c.key).where(*matching).group_by(rows.c.key).subquery()
    total = conn.execute(select(func.count()).select_from(keys)).scalar_one()
    return NamePage(int(total), [])


def _bytewise(conn: Connection, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """`column` to sort by character code, as Python sorts, on either database (PostgreSQL
    would otherwise sort by its collation's rules, which differ from one server to another)."""
    return column if conn.dialect.name == "sqlite" else column.collate("C")


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
