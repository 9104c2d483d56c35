"""Search relevance: a labelled set of queries people type (queries.toml), judged against the
seed data, scored by precision@3 and graded nDCG@10.

- `labels`: the query set read and checked, and the judgement of one listing for one query;
- `metrics`: precision@k and nDCG@k, pure;
- `runner`: seed data into a store and an index, every query through the API's search, a report;
- `python -m tests.search.relevance` (`make relevance`) prints the report.
"""
