"""`python -m tests.search.relevance`: print the relevance report for the seed data.

Starts its own Meilisearch (free port, temporary data directory) and SQLite database, imports
seed_data/, runs every query in queries.toml, prints the table, and removes everything at the
end. Exit status 0: this is a measurement (the test suite holds the floors).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from directory import migrations
from directory.db import make_engine
from directory.listings import ListingStore
from tests.conftest import meili_process, run
from tests.search.relevance import labels
from tests.search.relevance.runner import evaluate, format_report, load_seed_data, stored_records

INDEX = "relevance"


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.search.relevance",
        description="Print the search relevance report for seed_data/.",
    )
    parser.add_argument("--every", action="store_true", help="show the first hits of every query")
    parser.add_argument("--worst", type=int, default=15, help="how many worst queries to show")
    args = parser.parse_args()
    query_set = labels.load()
    with tempfile.TemporaryDirectory(prefix="peerdir-relevance-") as work:
        data_dir = Path(work) / "meili"
        data_dir.mkdir()
        server = meili_process(data_dir)
        server.start()
        try:
            db_url = f"sqlite:///{Path(work) / 'directory.db'}"
            migrations.upgrade(db_url)
            engine = make_engine(db_url)
            try:
                store = ListingStore(engine)
                count = load_seed_data(store, server.url, INDEX)
                search_key = run(lambda writer: writer.ensure_search_key(), server.url, INDEX)
                print(f"{count} seed listings, {len(query_set.queries)} queries\n")
                report = evaluate(query_set, stored_records(store), server.url, search_key, INDEX)
            finally:
                engine.dispose()
        finally:
            server.stop()
    print(format_report(report, query_set, worst=args.worst, every=args.every))
    return 0


if __name__ == "__main__":
    sys.exit(main())
