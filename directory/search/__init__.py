"""Everything that talks to Meilisearch lives in this package.

- `settings`: the index settings (ranking rules, synonyms, filterable attributes);
- `documents`: turning stored listings into index documents;
- `query`: turning a validated search request into Meilisearch parameters (pure);
- `traits`: the flags a listing carries so that an understood search is one search (pure);
- `results`: hits and pages as the web layer renders them (highlights escaped);
- `index`: the async clients: `SearchIndex` (read-only search key) and `IndexWriter` (admin key);
- `hints` and `empty`: what a search that found nothing offers, and the searches behind it;
- `crisis`: the words that say someone may be in danger, and the lines to call (pure);
- `suggest`: suggestions for the search box as a person types;
- `hsds` and `hsds_fields`: the HSDS API's reads of the index, and the fields it reads.
"""

from directory.search.index import IndexBusy, IndexWriter, SearchIndex, SearchUnavailable
from directory.search.query import SearchQuery, SortOrder
from directory.search.results import Hit, SearchPage

__all__ = [
    "Hit",
    "IndexBusy",
    "IndexWriter",
    "SearchIndex",
    "SearchPage",
    "SearchQuery",
    "SearchUnavailable",
    "SortOrder",
]
