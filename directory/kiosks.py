"""Kiosks: the public touch screens (a drop-in centre, a waiting room, a library) and what
whoever runs one sets for it, never the visitor: its place ("near here"), the distance its
searches reach, the language it offers first and the site its QR codes open.

The kiosk at /kiosk takes its settings from the environment (DIRECTORY_KIOSK_*); more kiosks
share the server at /kiosk/<name>, each a table of the TOML file DIRECTORY_KIOSKS_FILE names:

    [kiosks.central-library]
    place = "19103"
    radius_mi = 5
    language = "es"
    public_base_url = "https://directory.example.org"

Everything is checked when the app is made, each problem naming the kiosk and the field, so a
kiosk never shows a visitor an error its owner could have seen first.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.datastructures import ImmutableMultiDict

from directory import i18n
from directory.config import Settings
from directory.models import InputError
from directory.search.query import DEFAULT_RADIUS_MI, SearchQuery

MAX_NAME_LENGTH = 40
_NAME = re.compile(rf"^[a-z0-9](?:[a-z0-9-]{{0,{MAX_NAME_LENGTH - 2}}}[a-z0-9])?$")
# The default kiosk's own pages (/kiosk/search ...): no kiosk may be called by their names.
RESERVED_NAMES = frozenset({"search", "listings", "take"})
FIELDS = ("place", "radius_mi", "language", "public_base_url")
NAME_RULE = f"lower-case letters, digits and hyphens, at most {MAX_NAME_LENGTH} characters"
# The default kiosk's settings, by the environment variable each comes from.
_ENV_NAMES = {
    "place": "DIRECTORY_KIOSK_PLACE",
    "radius_mi": "DIRECTORY_KIOSK_RADIUS_MI",
    "language": "DIRECTORY_KIOSK_LANGUAGE",
    "public_base_url": "DIRECTORY_PUBLIC_BASE_URL",
}
_WEB_ADDRESS = re.compile(r"^https?://[^/\s?#]+(/\S*)?$")


@dataclass(frozen=True)
class Kiosk:
    """One kiosk's settings. `name` is "" for the kiosk at /kiosk."""

    name: str = ""
    place: str = ""  # "near here": a ZIP code or "City, ST"; "" for none
    radius_mi: float = DEFAULT_RADIUS_MI
    language: str = i18n.DEFAULT
    public_base_url: str = ""  # where its QR codes point; "" for the request's own site


@dataclass(frozen=True)
class Kiosks:
    default: Kiosk
    named: Mapping[str, Kiosk]

    def get(self, name: str) -> Kiosk | None:
        return self.named.get(name)


def valid_name(name: str) -> bool:
    return bool(_NAME.match(name))


def check_name(name: str) -> None:
    """A kiosk's name as a URL gives it: a 400 naming `kiosk` when it cannot be one."""
    if not valid_name(name):
        raise InputError(
            "kiosk",
            i18n.N_("must be lower-case letters, digits and hyphens, at most %(max)s characters"),
            max=MAX_NAME_LENGTH,
        )


def load(settings: Settings) -> Kiosks:
    """The kiosks `settings` describe, checked; ValueError naming the kiosk and field."""
    default = Kiosk(
        place=settings.kiosk_place,
        radius_mi=settings.kiosk_radius_mi,
        language=settings.kiosk_language,
        public_base_url=settings.public_base_url,
    )
    _check(default, _ENV_NAMES.__getitem__)
    named: dict[str, Kiosk] = {}
    if settings.kiosks_file is not None:
        for kiosk in read_file(settings.kiosks_file, settings.public_base_url):
            named[kiosk.name] = kiosk
    return Kiosks(default=default, named=named)


def read_file(path: Path, public_base_url: str = "") -> list[Kiosk]:
    """The kiosks of a TOML file (see the module's docstring), checked."""
    where = f"DIRECTORY_KIOSKS_FILE ({path})"
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise ValueError(f"{where}: cannot be read: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{where}: is not valid TOML: {error}") from None
    extra = sorted(set(data) - {"kiosks"})
    if extra:
        raise ValueError(f"{where}: unknown table {extra[0]!r}: kiosks are [kiosks.<name>] tables")
    tables = data.get("kiosks", {})
    if not isinstance(tables, dict):
        raise ValueError(f"{where}: 'kiosks' must be tables: [kiosks.<name>]")
    kiosks = []
    for name, table in tables.items():
        kiosks.append(_kiosk(name, table, where, public_base_url))
    return kiosks


def _kiosk(name: str, table: Any, where: str, public_base_url: str) -> Kiosk:
    def fail(problem: str) -> ValueError:
        return ValueError(f"{where}: kiosk {name!r}: {problem}")

    if not valid_name(name):
        raise fail(f"a kiosk's name must be {NAME_RULE}")
    if name in RESERVED_NAMES:
        taken = ", ".join(sorted(RESERVED_NAMES))
        raise fail(f"this name is taken by the kiosk at /kiosk's own pages ({taken})")
    if not isinstance(table, dict):
        raise fail("must be a table of settings: [kiosks.<name>]")
    for key in table:
        if key not in FIELDS:
            raise fail(f"unknown field {key!r} (the fields are {', '.join(FIELDS)})")
    place = table.get("place", "")
    if not isinstance(place, str):
        raise fail("place: must be text, a ZIP code or 'City, ST'")
    radius = table.get("radius_mi", DEFAULT_RADIUS_MI)
    if isinstance(radius, bool) or not isinstance(radius, int | float):
        raise fail("radius_mi: must be a number of miles")
    language = table.get("language", i18n.DEFAULT)
    if not isinstance(language, str):
        raise fail("language: must be text")
    # Its own site for QR codes, else the one DIRECTORY_PUBLIC_BASE_URL names.
    base_url = table.get("public_base_url", public_base_url)
    if "public_base_url" in table and not (
        isinstance(base_url, str) and _WEB_ADDRESS.match(base_url.strip())
    ):
        raise fail(
            f"public_base_url: {base_url!r} is not a web address, e.g. https://directory.example.org"
        )
    kiosk = Kiosk(
        name=name,
        place=place.strip(),
        radius_mi=float(radius),
        language=language.strip().lower(),
        public_base_url=base_url.strip().rstrip("/"),
    )
    _check(kiosk, lambda field: f"{where}: kiosk {name!r}: {field}")
    return kiosk


def _check(kiosk: Kiosk, label: Callable[[str], str]) -> None:
    """The rules every kiosk's settings follow: the search's own for its place and distance."""
    if kiosk.language not in i18n.LANGUAGES:
        offered = " or ".join(repr(code) for code in i18n.LANGUAGES)
        raise ValueError(f"{label('language')}: {kiosk.language!r} is not offered: {offered}")
    params = {"radius_mi": f"{kiosk.radius_mi:g}"}
    if kiosk.place:
        params["near"] = kiosk.place
    try:
        SearchQuery.from_params(ImmutableMultiDict(params))
    except InputError as error:
        field = {"near": "place"}.get(error.field, error.field)
        raise ValueError(f"{label(field)}: {error.problem}") from None
