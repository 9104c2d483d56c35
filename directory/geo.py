"""Resolve places to coordinates, offline: ZIP codes, "City, ST" and "lat,lng".

The `zipcodes` package ships every US ZIP with its centroid, so this works with no network. A
city's position is the mean of its standard ZIP centroids.
"""

from __future__ import annotations

import logging
import math
import pickle
import re
import subprocess
import sys
from bisect import bisect_left
from dataclasses import dataclass
from functools import cache

from directory.models import US_STATES, InputError
from directory.translatable import N_
from directory.zip_tables import ZipTables, city_key, read_tables

log = logging.getLogger(__name__)

EARTH_RADIUS_MI = 3958.7613
METERS_PER_MILE = 1609.344
_LAT_LNG = re.compile(r"^\s*([-+]?\d{1,3}(?:\.\d+)?)\s*,\s*([-+]?\d{1,3}(?:\.\d+)?)\s*$")
_ZIP = re.compile(r"^\s*(\d{5})(?:-\d{4})?\s*$")
_CITY_STATE = re.compile(r"^\s*([A-Za-z][A-Za-z .'\-]{0,60}?)\s*,\s*([A-Za-z]{2})\s*$")
MAX_PLACE_LENGTH = 100


@dataclass(frozen=True, slots=True)
class Place:
    lat: float
    lng: float
    label: str


@dataclass(frozen=True, slots=True)
class ZipInfo:
    lat: float
    lng: float
    city: str
    state: str
    timezone: str


class Gazetteer:
    """US ZIP codes and cities: where they are, and a ZIP's city, state and timezone (~10 MB)."""

    def __init__(self, tables: ZipTables) -> None:
        self._t = tables

    def zip(self, code: str) -> ZipInfo | None:
        digits = code[:5]
        if len(digits) != 5 or not digits.isascii() or not digits.isdigit():
            return None
        t, number = self._t, int(digits)
        at = bisect_left(t.codes, number)
        if at == len(t.codes) or t.codes[at] != number:
            return None
        city, state, zone = (t.name_list[i] for i in t.names[at * 3 : at * 3 + 3])
        return ZipInfo(t.lats[at], t.lngs[at], city, state, zone)

    def city(self, name: str, state: str) -> tuple[float, float] | None:
        """The centre of a city by its name as the ZIP tables spell it (any case)."""
        return self._t.cities.get(city_key(name, state))

    def __len__(self) -> int:
        return len(self._t.codes)


@cache
def gazetteer() -> Gazetteer:
    """The tables, read once a process: in a child process, so that what reading them costs
    (above) is returned to the system when it exits; in this one if that fails."""
    command = [sys.executable, "-m", "directory.zip_tables"]
    try:
        done = subprocess.run(command, capture_output=True, check=True, timeout=120)
        # Our own child's output, made by the code above: trusted.
        tables = pickle.loads(done.stdout)  # noqa: S301
    except (OSError, subprocess.SubprocessError, pickle.UnpicklingError, EOFError) as err:
        log.warning("reading the ZIP tables in a child process failed (%s); reading them here", err)
        tables = read_tables()
    return Gazetteer(tables)


def resolve_place(text: str, field: str = "near") -> Place:
    """Turn a ZIP, "City, ST" or "lat,lng" into a Place, or raise InputError naming `field`."""
    if len(text) > MAX_PLACE_LENGTH:
        raise InputError(field, N_("is longer than %(max)s characters"), max=MAX_PLACE_LENGTH)
    if match := _LAT_LNG.match(text):
        lat, lng = float(match.group(1)), float(match.group(2))
        if not -90 <= lat <= 90:
            raise InputError(field, N_("latitude %(lat)s is outside -90..90"), lat=lat)
        if not -180 <= lng <= 180:
            raise InputError(field, N_("longitude %(lng)s is outside -180..180"), lng=lng)
        return Place(lat, lng, f"{lat:.4f}, {lng:.4f}")
    if match := _ZIP.match(text):
        info = gazetteer().zip(match.group(1))
        if info is None:
            raise InputError(field, N_("unknown ZIP code %(zip)s"), zip=match.group(1))
        return Place(info.lat, info.lng, f"{match.group(1)} ({info.city}, {info.state})")
    if match := _CITY_STATE.match(text):
        city, state = _expand_city(match.group(1)), match.group(2).upper()
        if state not in US_STATES:
            raise InputError(field, N_("%(state)s is not a US state code"), state=repr(state))
        found = gazetteer().city(city, state)
        if found is None:
            raise InputError(
                field,
                N_("no place called %(city)s, %(state)s is known; try a ZIP code"),
                city=city,
                state=state,
            )
        return Place(found[0], found[1], f"{city.title()}, {state}")
    if "," in text and any(c.isdigit() for c in text):
        raise InputError(field, N_("is not a valid 'latitude,longitude' pair"))
    raise InputError(field, N_("give a 5-digit ZIP code, 'City, ST' or 'latitude,longitude'"))


_CITY_PREFIXES = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount"}


def _expand_city(raw: str) -> str:
    """'St. Louis' → 'Saint Louis', as the ZIP tables spell it; extra spaces removed."""
    words = raw.replace(".", " ").split()
    if words and words[0].lower() in _CITY_PREFIXES:
        words[0] = _CITY_PREFIXES[words[0].lower()]
    return " ".join(words)


def distance_mi(a_lat: float, a_lng: float, b_lat: float, b_lng: float) -> float:
    """Great-circle distance in miles (haversine), as Meilisearch measures it."""
    phi1, phi2 = math.radians(a_lat), math.radians(b_lat)
    dphi = phi2 - phi1
    dlmb = math.radians(b_lng - a_lng)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_MI * math.asin(min(1.0, math.sqrt(h)))
