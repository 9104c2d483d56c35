"""What an input may not say about itself, given on the command line (or by an admin's job).

Every reader takes the same options and uses the ones that concern its format.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReadOptions:
    source: str | None = None  # the source name to file records under
    fellowship: str | None = None  # meetings: AA, NA, Al-Anon ...
    timezone: str | None = None  # for listings whose zone cannot be found otherwise
    taxonomy_map: str | None = None  # HSDS: a taxonomy map file (default: the packaged one)
    types_file: str | None = None  # Meeting Guide: a TOML file naming a feed's own type codes
    column_map: str | None = None  # spreadsheets: the TOML column map (required)
    service_bodies: tuple[str, ...] = ()  # BMLT: the service bodies whose meetings to fetch
