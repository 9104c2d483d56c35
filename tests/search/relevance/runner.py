"""Run the labelled queries against the seed data and score them.

The seed data goes into a real store and a real Meilisearch index as `peerdir index` puts it
there (`indexers.importer.import_files`). Each query goes through what /api/v1/listings does with
a person's URL parameters (`SearchQuery.from_params`, then `SearchIndex.search` with the
search-only key), at the query's own fixed moment. Results are judged on the stored listings.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from directory.config import PROJECT_ROOT
from directory.listings import ListingStore
from directory.search import SearchIndex, SearchPage
from directory.search.index import make_client
from indexers.importer import import_files
from tests.conftest import run
from tests.search.relevance.labels import GOOD, LabelledQuery, QuerySet, reachable
from tests.search.relevance.metrics import mean, ndcg_at_k, precision_at_k

SEED_DATA = PROJECT_ROOT / "seed_data"
PRECISION_K, NDCG_K = 3, 10
METRICS = ("precision_at_3", "ndcg_at_10")
Records = Mapping[str, Mapping[str, Any]]  # listing id → stored record (its JSON form)


@dataclass(frozen=True)
class ShownHit:
    name: str
    category: str
    grade: int


@dataclass(frozen=True)
class QueryResult:
    query: LabelledQuery
    precision_at_3: float
    ndcg_at_10: float
    total: int  # hits the search reports
    good_available: int  # good listings the search could have returned
    top: tuple[ShownHit, ...]  # the first NDCG_K hits
    unreachable: tuple[str, ...]  # hits the judge says the search should not return (ids)


@dataclass(frozen=True)
class Report:
    results: tuple[QueryResult, ...]

    def overall(self) -> dict[str, float]:
        return {
            "precision_at_3": mean([r.precision_at_3 for r in self.results]),
            "ndcg_at_10": mean([r.ndcg_at_10 for r in self.results]),
        }

    def zero_results(self) -> list[QueryResult]:
        return [r for r in self.results if r.total == 0]

    def worst(self, count: int) -> list[QueryResult]:
        """The lowest-scoring queries that found something (those that found nothing are
        listed apart: they have no hits to show)."""
        found = [r for r in self.results if r.total > 0]
        order = sorted(found, key=lambda r: (r.ndcg_at_10, r.precision_at_3, r.query.number))
        return order[:count]

    def by_tag(self) -> dict[str, Report]:
        tags = sorted({t for r in self.results for t in r.query.tags})
        return {tag: Report(tuple(r for r in self.results if tag in r.query.tags)) for tag in tags}


# ---------------------------------------------------------------- loading
def load_seed_data(store: ListingStore, meili_url: str, index: str) -> int:
    """Import seed_data/*.json into `store` and the index `index` (with the tests' master key);
    return how many listings were stored."""
    files = sorted(SEED_DATA.glob("*.json"))
    if not files:
        raise RuntimeError(f"no seed data files in {SEED_DATA}")
    report = run(lambda writer: import_files(files, store, writer), meili_url, index)
    if not report.ok:
        raise RuntimeError(f"the seed data did not import cleanly: {report.summary()}")
    return store.count()


def stored_records(store: ListingStore) -> dict[str, dict[str, Any]]:
    return {row.id: row.record for batch in store.rows() for row in batch}


# ---------------------------------------------------------------- searching and judging
async def _search_all(
    queries: Sequence[LabelledQuery], meili_url: str, search_key: str, index: str
) -> list[SearchPage]:
    async with make_client(meili_url, search_key) as client:
        search = SearchIndex(client, index)
        return [await search.search(query.search_query()) for query in queries]


def search_all(
    queries: Sequence[LabelledQuery], meili_url: str, search_key: str, index: str
) -> list[SearchPage]:
    return asyncio.run(_search_all(queries, meili_url, search_key, index))


def judge(query: LabelledQuery, page: SearchPage, records: Records) -> QueryResult:
    search = page.query
    pool = [query.grade(r) for r in records.values() if reachable(r, search)]
    top = []
    unreachable = []
    for hit in page.hits[:NDCG_K]:
        record = records.get(hit.id)
        if record is None or not reachable(record, search):
            unreachable.append(hit.id)
        grade = query.grade(record) if record is not None else 0
        top.append(ShownHit(hit.name, hit.category, grade))
    grades = [h.grade for h in top]
    good = sum(1 for g in pool if g == GOOD)
    return QueryResult(
        query=query,
        precision_at_3=precision_at_k(grades, PRECISION_K, relevant=GOOD, available=good),
        ndcg_at_10=ndcg_at_k(grades, pool, NDCG_K),
        total=page.total,
        good_available=good,
        top=tuple(top),
        unreachable=tuple(unreachable),
    )


def evaluate(
    query_set: QuerySet, records: Records, meili_url: str, search_key: str, index: str
) -> Report:
    pages = search_all(query_set.queries, meili_url, search_key, index)
    return Report(
        tuple(judge(q, p, records) for q, p in zip(query_set.queries, pages, strict=True))
    )


def good_available(query: LabelledQuery, records: Records) -> int:
    """Good listings the search may return for `query` (the labels' own check)."""
    search = query.search_query()
    return sum(1 for r in records.values() if reachable(r, search) and query.grade(r) == GOOD)


# ---------------------------------------------------------------- the printed report
GRADE_MARKS = {2: "+", 1: "~", 0: "-"}


def format_report(report: Report, query_set: QuerySet, worst: int = 15, every: bool = False) -> str:
    """The table, overall and per-tag figures, the queries with no results, and the first hits
    of the worst queries (of every query with `every`)."""
    lines = [f"{'#':>3}  {'P@3':>5}  {'nDCG@10':>7}  {'hits':>5}  {'good':>4}  query"]
    lines += [
        f"{r.query.number:>3}  {r.precision_at_3:5.2f}  {r.ndcg_at_10:7.2f}  {r.total:>5}  "
        f"{r.good_available:>4}  {r.query.label}"
        for r in report.results
    ]
    overall = report.overall()
    lines += ["", f"Overall, {len(report.results)} queries:"]
    for name in METRICS:
        floor = query_set.floors.get(name)
        shown = f" (floor {floor:.2f})" if floor is not None else ""
        lines.append(f"  {name:<15} {overall[name]:.3f}{shown}")
    lines += ["", "By tag:", f"  {'tag':<17}{'queries':>8}{'P@3':>7}{'nDCG@10':>9}"]
    for tag, part in report.by_tag().items():
        figures = part.overall()
        lines.append(
            f"  {tag:<17}{len(part.results):>8}{figures['precision_at_3']:>7.2f}"
            f"{figures['ndcg_at_10']:>9.2f}"
        )
    zero = report.zero_results()
    lines += ["", f"Queries with no results: {len(zero)}"]
    lines += [f"  {r.query.number:>3}  {r.query.label}" for r in zero]
    listed = list(report.results) if every else report.worst(worst)
    heading = "Every query" if every else f"The {worst} worst queries that found something"
    lines += ["", f"{heading} and their first hits (+ good, ~ partial, - miss):"]
    for r in listed:
        lines.append(
            f"  {r.query.number:>3}  {r.query.label}  P@3 {r.precision_at_3:.2f}  "
            f"nDCG@10 {r.ndcg_at_10:.2f}  ({r.good_available} good in reach)"
        )
        lines += [f"         {GRADE_MARKS[h.grade]} {h.name} [{h.category}]" for h in r.top[:5]]
    lines += _problems(report)
    return "\n".join(lines)


def _problems(report: Report) -> list[str]:
    """Where the labels or the judge disagree with the data: the tests fail on these."""
    lines = []
    unlabelled = [r for r in report.results if r.good_available == 0]
    if unlabelled:
        lines += ["", "Labelling errors: no good listing in reach of these queries:"]
        lines += [f"  {r.query.number:>3}  {r.query.label}" for r in unlabelled]
    unreachable = [r for r in report.results if r.unreachable]
    if unreachable:
        lines += ["", "Hits outside what the query allows (radius, status or filters):"]
        lines += [f"  {r.query.number:>3}  {', '.join(r.unreachable)}" for r in unreachable]
    return lines
