"""Search relevance on the seed data: the labelled queries run once against a real store and
Meilisearch, and the overall figures must not fall below the floors in queries.toml."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from directory import meili_server, migrations
from directory.db import make_engine
from directory.listings import ListingStore
from tests.search.relevance import labels
from tests.search.relevance.labels import GOOD, QuerySet
from tests.search.relevance.runner import (
    METRICS,
    Records,
    Report,
    evaluate,
    good_available,
    load_seed_data,
    stored_records,
)

MIN_QUERIES, MIN_SPANISH = 60, 15
POPULATIONS_ASKED_FOR = {"veterans", "women", "youth", "lgbtq", "justice_involved"}


@pytest.fixture(scope="module")
def query_set() -> QuerySet:
    return labels.load()


@pytest.fixture(scope="module")
def seeded(
    tmp_path_factory: pytest.TempPathFactory, meili: meili_server.MeiliProcess
) -> Iterator[tuple[Records, str]]:
    """The seed data in a store and an index of its own: (stored records, index name)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('relevance') / 'directory.db'}"
    migrations.upgrade(url)
    engine = make_engine(url)
    store = ListingStore(engine)
    index = f"relevance_{uuid.uuid4().hex[:12]}"
    load_seed_data(store, meili.url, index)
    yield stored_records(store), index
    engine.dispose()


@pytest.fixture(scope="module")
def report(
    query_set: QuerySet,
    seeded: tuple[Records, str],
    meili: meili_server.MeiliProcess,
    search_key: str,
) -> Report:
    records, index = seeded
    return evaluate(query_set, records, meili.url, search_key, index)


def test_overall_figures_hold_their_floors(report: Report, query_set: QuerySet) -> None:
    overall = report.overall()
    assert set(query_set.floors) == set(METRICS), "queries.toml [floors] names each metric"
    below = {
        name: f"{overall[name]:.3f} < {floor:.2f}"
        for name, floor in query_set.floors.items()
        if overall[name] < floor
    }
    assert not below, f"search relevance fell below its floor: {below} (make relevance)"


def test_every_query_has_a_good_listing_in_reach(
    query_set: QuerySet, seeded: tuple[Records, str]
) -> None:
    """A query whose good listings do not exist near its place is a labelling error."""
    records, _ = seeded
    unanswerable = [q.label for q in query_set.queries if good_available(q, records) == 0]
    assert not unanswerable, f"no good listing in reach of: {unanswerable}"


def test_search_returns_only_what_the_query_allows(report: Report) -> None:
    """The judge's reach (radius, status, filters) agrees with the index on every hit shown,
    so ideal rankings are drawn from the listings the search could really return."""
    outside = {r.query.label: r.unreachable for r in report.results if r.unreachable}
    assert not outside


def test_the_set_covers_what_people_ask_for(
    query_set: QuerySet, seeded: tuple[Records, str]
) -> None:
    records, _ = seeded
    good = [
        record
        for query in query_set.queries
        for record in records.values()
        if query.grade(record) == GOOD
    ]
    assert len(query_set.queries) >= MIN_QUERIES
    assert sum("es" in q.tags for q in query_set.queries) >= MIN_SPANISH
    assert {r["category"] for r in good} == {r["category"] for r in records.values()}
    assert {r["fellowship"] for r in good} == {r["fellowship"] for r in records.values()}
    assert {p for r in good for p in r["populations"]} >= POPULATIONS_ASKED_FOR
    asks_for_spanish = [c for q in query_set.queries for c in q.good if "languages" in c.all_of]
    asks_for_a_time = [
        c
        for q in query_set.queries
        for c in q.good
        if c.in_progress or c.starts_within_h or c.starts_between or c.on_days
    ]
    assert asks_for_spanish and asks_for_a_time
