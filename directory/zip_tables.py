"""The zipcodes package's tables as compact arrays, for `directory.geo`.

Run as `python -m directory.zip_tables`, it writes them pickled on stdout: `geo.gazetteer()`
reads them that way, from a child process that imports nothing but this module.
"""

from __future__ import annotations

import pickle
import sys
from array import array
from dataclasses import dataclass
from statistics import fmean

import zipcodes


@dataclass(frozen=True, slots=True)
class ZipTables:
    codes: array[int]  # the ZIP codes as numbers, sorted
    lats: array[float]
    lngs: array[float]
    names: array[int]  # three a ZIP (city, state, timezone), indexes into `name_list`
    name_list: list[str]
    cities: dict[str, tuple[float, float]]  # "CITY|ST" -> its centre


def read_tables() -> ZipTables:
    """Read the zipcodes package's tables into compact arrays (~0.5 s).

    Its `list_all()` makes a dict per ZIP (about 170 MB that a process keeps once touched) and
    its native lookups hold ~40 MB of their own, so the tables are read a two-digit prefix at a
    time, in a short-lived child process (`directory.geo.gazetteer`), so that what reading them
    costs is returned to the system when it exits."""
    codes, lats, lngs, names = array("I"), array("d"), array("d"), array("I")
    name_list: list[str] = []
    name_index: dict[str, int] = {}
    by_city: dict[str, list[tuple[float, float]]] = {}
    by_city_any: dict[str, list[tuple[float, float]]] = {}

    def name(text: str) -> int:
        index = name_index.get(text)
        if index is None:
            index = name_index[text] = len(name_list)
            name_list.append(text)
        return index

    rows = []
    for prefix in range(100):
        for entry in zipcodes.similar_to(f"{prefix:02d}"):  # type: ignore[no-untyped-call]
            if not entry.get("lat") or not entry.get("long"):
                continue
            lat, lng = float(entry["lat"]), float(entry["long"])
            city, state = entry["city"], entry["state"]
            zone = entry.get("timezone") or ""
            rows.append((int(entry["zip_code"]), lat, lng, name(city), name(state), name(zone)))
            key = city_key(city, state)
            by_city_any.setdefault(key, []).append((lat, lng))
            if entry.get("zip_code_type") == "STANDARD":
                by_city.setdefault(key, []).append((lat, lng))
    rows.sort()
    for code, lat, lng, *name_indexes in rows:
        codes.append(code)
        lats.append(lat)
        lngs.append(lng)
        names.extend(name_indexes)
    # A city's centre: the mean of its standard ZIPs' centroids (of all its ZIPs if none is).
    cities = {
        key: (fmean(p[0] for p in points), fmean(p[1] for p in points))
        for key, points in (by_city_any | by_city).items()
    }
    return ZipTables(codes, lats, lngs, names, name_list, cities)


def city_key(city: str, state: str) -> str:
    return f"{city.upper()}|{state.upper()}"


if __name__ == "__main__":
    # By its importable name, so that the tables unpickle as `directory.zip_tables.ZipTables`.
    from directory import zip_tables

    tables = zip_tables.read_tables()
    sys.stdout.buffer.write(pickle.dumps(tables, protocol=pickle.HIGHEST_PROTOCOL))
