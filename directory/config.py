"""Settings: one frozen object, read from the environment once.

Everything has an embedded default (SQLite file and a local Meilisearch under the state
directory), so nothing needs to be set to run. Tests build `Settings` directly.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HOME = PROJECT_ROOT / ".peerdir"
DEFAULT_MEILI_PORT = 7700


@dataclass(frozen=True)
class HashCost:
    """argon2id parameters for password hashes (RFC 9106's second recommendation, by default)."""

    time_cost: int = 3
    memory_kib: int = 65536
    parallelism: int = 4


@dataclass(frozen=True)
class Settings:
    home: Path = DEFAULT_HOME
    database_url: str = ""
    meili_url: str = f"http://127.0.0.1:{DEFAULT_MEILI_PORT}"
    meili_index: str = "listings"
    meili_master_key: str | None = field(default=None, repr=False)
    meili_search_key: str | None = field(default=None, repr=False)
    # A key that may only add documents to the index: the web layer's admin saves.
    meili_write_key: str | None = field(default=None, repr=False)
    # How long an admin's save waits for the index to take its document; a busy index (an
    # import running) is then said to be busy instead of holding the page.
    index_wait_s: float = 5.0
    meili_external: bool = False
    templates_dir: Path = PROJECT_ROOT / "templates"
    meili_timeout_s: float = 5.0
    debug: bool = False
    # Workspace sessions: ended after 30 idle minutes (a shared workstation) or 12 hours.
    session_idle: timedelta = timedelta(minutes=30)
    session_absolute: timedelta = timedelta(hours=12)
    password_cost: HashCost = field(default_factory=HashCost)
    # The workspace's local time: follow-up dates ("due today") and times shown to staff.
    timezone: str = field(default_factory=lambda: local_zone())
    # Reverse proxies whose X-Forwarded-For/-Proto are believed (uvicorn's forwarded_allow_ips,
    # e.g. "127.0.0.1" or "*"): behind a TLS proxy, cookies are then Secure, writes' Origin
    # matches, and sign-in throttling counts the visitor's address, not the proxy's.
    forwarded_allow_ips: str = ""
    # Where QR codes on printed sheets point (the public site); default: the request's own.
    public_base_url: str = ""
    # The public kiosk at /kiosk: its place ("near here": a ZIP code or "City, ST"), how far
    # its searches reach and the language it answers in first; more kiosks at /kiosk/<name>
    # from a TOML file (directory/kiosks.py checks them all when the app is made).
    kiosk_place: str = ""
    kiosk_radius_mi: float = 10.0
    kiosk_language: str = "en"
    kiosks_file: Path | None = None
    # A listing not verified for this long is overdue (211 centres check each at least yearly).
    verify_interval_months: int = 12
    # Imports from the admin area: the largest upload or feed; how long a feed's server may stay
    # silent; whether a feed may be on a private or local address (see indexers/safe_http.py).
    upload_max_bytes: int = 50 * 1024 * 1024
    feed_timeout_s: float = 30.0
    allow_private_feeds: bool = False
    # A running job whose worker has given no sign of life for this long is marked failed.
    job_stale_minutes: int = 5
    # An import with no dry run behind it (the daily feed schedule) may make inactive at most
    # this share of its source's listings in service; above it, none (a feed gone half empty).
    retire_limit_percent: int = 10
    # How often the worker compares the search index with the store and sends what it lacks
    # (a save made while Meilisearch was down); 0: never (`peerdir check --fix` by hand).
    index_check_s: int = 45
    # The search page's map. With no tile URL (the default), an offline map of US state and
    # county outlines from files the app serves itself; with a URL template such as
    # https://tile.example.org/{z}/{x}/{y}.png, that server's tiles, credited by the attribution
    # (HTML, e.g. a link to the provider's terms), and pages may then load images from it.
    map_tile_url: str = ""
    map_attribution: str = ""

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ValueError, ZoneInfoNotFoundError):
            raise ValueError(
                f"DIRECTORY_TIMEZONE: {self.timezone!r} is not an IANA timezone "
                "(e.g. America/Chicago)"
            ) from None
        if not 1 <= self.verify_interval_months <= 120:
            raise ValueError("DIRECTORY_VERIFY_INTERVAL_MONTHS: a whole number from 1 to 120")
        if not 0 < self.upload_max_bytes <= 2**31:
            raise ValueError("DIRECTORY_UPLOAD_MAX_MB: a whole number from 1 to 2048")
        if not 0 < self.feed_timeout_s <= 600:
            raise ValueError("DIRECTORY_FEED_TIMEOUT_S: a whole number from 1 to 600")
        if not 1 <= self.job_stale_minutes <= 24 * 60:
            raise ValueError("DIRECTORY_JOB_STALE_MINUTES: a whole number from 1 to 1440")
        if not 0 <= self.retire_limit_percent <= 100:
            raise ValueError("DIRECTORY_RETIRE_LIMIT_PERCENT: a whole number from 0 to 100")
        if not 0 <= self.index_check_s <= 3600:
            raise ValueError("DIRECTORY_INDEX_CHECK_S: a whole number from 0 to 3600")
        if self.map_tile_url:
            tile_source(self.map_tile_url)
            if not self.map_attribution:
                raise ValueError(
                    "DIRECTORY_MAP_ATTRIBUTION: required with DIRECTORY_MAP_TILE_URL "
                    "(tile providers ask to be credited on the map)"
                )
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{self.home / 'directory.db'}")

    @property
    def map_tile_source(self) -> str | None:
        """Where the map's tiles come from, as the content policy names it; none offline."""
        return tile_source(self.map_tile_url) if self.map_tile_url else None

    @property
    def meili_dir(self) -> Path:
        return self.home / "meili"

    @property
    def master_key_file(self) -> Path:
        return self.meili_dir / "master.key"

    @property
    def search_key_file(self) -> Path:
        return self.meili_dir / "search.key"

    def with_keys(self) -> Settings:
        """Fill missing Meilisearch keys from the local key files, when those exist."""
        master = self.meili_master_key or _read_secret(self.master_key_file)
        search = self.meili_search_key or _read_secret(self.search_key_file)
        return replace(self, meili_master_key=master, meili_search_key=search)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        home = Path(env.get("DIRECTORY_HOME", DEFAULT_HOME)).resolve()
        meili_url = env.get("MEILI_URL", "")
        return cls(
            home=home,
            database_url=env.get("DATABASE_URL", ""),
            meili_url=meili_url or f"http://127.0.0.1:{DEFAULT_MEILI_PORT}",
            meili_external=bool(meili_url),
            meili_index=env.get("DIRECTORY_MEILI_INDEX", "listings"),
            meili_master_key=env.get("MEILI_MASTER_KEY") or None,
            meili_search_key=env.get("DIRECTORY_MEILI_SEARCH_KEY") or None,
            meili_write_key=env.get("DIRECTORY_MEILI_WRITE_KEY") or None,
            debug=env.get("DIRECTORY_DEBUG", "") == "1",
            public_base_url=env.get("DIRECTORY_PUBLIC_BASE_URL", "").rstrip("/"),
            kiosk_place=env.get("DIRECTORY_KIOSK_PLACE", "").strip(),
            kiosk_radius_mi=_number(env, "DIRECTORY_KIOSK_RADIUS_MI", 10.0),
            kiosk_language=env.get("DIRECTORY_KIOSK_LANGUAGE", "").strip().lower() or "en",
            kiosks_file=(
                Path(env["DIRECTORY_KIOSKS_FILE"]) if env.get("DIRECTORY_KIOSKS_FILE") else None
            ),
            timezone=env.get("DIRECTORY_TIMEZONE", "") or local_zone(),
            forwarded_allow_ips=env.get("DIRECTORY_FORWARDED_ALLOW_IPS", "").strip(),
            verify_interval_months=_whole_number(env, "DIRECTORY_VERIFY_INTERVAL_MONTHS", 12),
            upload_max_bytes=_whole_number(env, "DIRECTORY_UPLOAD_MAX_MB", 50) * 1024 * 1024,
            feed_timeout_s=float(_whole_number(env, "DIRECTORY_FEED_TIMEOUT_S", 30)),
            allow_private_feeds=env.get("DIRECTORY_ALLOW_PRIVATE_FEEDS", "") == "1",
            job_stale_minutes=_whole_number(env, "DIRECTORY_JOB_STALE_MINUTES", 5),
            retire_limit_percent=_whole_number(env, "DIRECTORY_RETIRE_LIMIT_PERCENT", 10),
            index_check_s=_whole_number(env, "DIRECTORY_INDEX_CHECK_S", 45),
            map_tile_url=env.get("DIRECTORY_MAP_TILE_URL", "").strip(),
            map_attribution=env.get("DIRECTORY_MAP_ATTRIBUTION", "").strip(),
        ).with_keys()


def local_zone() -> str:
    """The machine's IANA timezone (TZ, else /etc/localtime's target), else UTC: staff work in
    the local time of the place that runs the service unless DIRECTORY_TIMEZONE says."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        target = str(Path("/etc/localtime").resolve())
    except OSError:
        target = ""
    if "zoneinfo/" in target:
        candidates.append(target.split("zoneinfo/", 1)[1])
    for name in candidates:
        if (name and "/" in name) or name == "UTC":
            try:
                ZoneInfo(name)
            except (ValueError, ZoneInfoNotFoundError):
                continue
            return name
    return "UTC"


# A tile server's host: names and a port; `{s}` (the provider's a/b/c subdomains) only in front.
_TILE_HOST = re.compile(r"^(\{s\}\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:\d{1,5})?$")
_TILE_UNSAFE = re.compile(r"[\s;,'\"<>\\]")


def tile_source(url: str) -> str:
    """The content policy's source for a tile URL template (scheme and host, `{s}` as a
    wildcard), or ValueError when the template is not one a browser can load tiles from."""
    scheme, sep, rest = url.partition("://")
    host = rest.split("/", 1)[0].split("?", 1)[0].lower()
    if scheme not in ("https", "http") or not sep:
        problem = "must start with https:// (or http://)"
    elif _TILE_UNSAFE.search(url):
        problem = "has a space, quote, comma, semicolon or angle bracket"
    elif not _TILE_HOST.match(host):
        problem = f"{host!r} is not a host name ({{s}} may only stand first)"
    elif not all(part in url for part in ("{z}", "{x}", "{y}")):
        problem = "must have {z}, {x} and {y} in it"
    else:
        return f"{scheme}://{host.replace('{s}', '*')}"
    raise ValueError(
        f"DIRECTORY_MAP_TILE_URL: {problem}, e.g. https://tile.example.org/{{z}}/{{x}}/{{y}}.png"
    )


def _whole_number(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name}: {raw!r} is not a whole number") from None


def _number(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name}: {raw!r} is not a number") from None


def _read_secret(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except FileNotFoundError:
        return None
