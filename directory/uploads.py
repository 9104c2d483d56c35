"""What an admin may hand the importer: an uploaded file or a feed URL, checked before any of it
is read.

An upload is one JSON file, or a zip of JSON files, of HSDS CSV tables, or of a spreadsheet
(.csv, .xlsx) and its column map (.toml). A zip is refused when
it would unpack to more than `MAX_UNZIPPED_BYTES`, when a member is compressed more than
`MAX_RATIO` to one (a zip bomb), when it holds too many files, or names a path outside itself;
the sizes a zip declares are checked when it is uploaded (cheap: the central directory) and the
real ones again while it is unpacked (a zip can lie). A JSON document nested deeper than
`MAX_DEPTH` is refused before any record is read.

A feed URL must be http or https, carry no password, and name a public host: a local or private
address (the machine itself, the internal network, a cloud metadata service) is refused unless
the deployment allows it. The name is checked here when the form is sent; the worker checks the
addresses it actually connects to (indexers/safe_http.py), so a name that later resolves
somewhere private is caught too.
"""

from __future__ import annotations

import ipaddress
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import IO, Any
from urllib.parse import urlsplit

KEEP_UPLOADS_DAYS = 7  # an uploaded file waits this long for its dry run to be imported
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 100
MAX_MEMBERS = 200
MAX_DEPTH = 64
ZIP_MAGIC = b"PK\x03\x04"
READABLE = (".json", ".csv", ".xlsx", ".toml")  # .toml: a spreadsheet's column map
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


def uploads_dir(home: Path) -> Path:
    """Where uploads wait for the worker (the web app and the worker share `home`)."""
    return home / "uploads"


class UploadProblem(Exception):
    """An upload or feed that will not be read; the message says why in plain words."""


def safe_file_name(name: str, default: str = "upload") -> str:
    """A file name from what a browser sent: no folders, no odd characters, at most 80 long."""
    base = PurePosixPath(name.replace("\\", "/")).name
    cleaned = _SAFE_NAME.sub("-", base).strip("-.")
    return (cleaned or default)[-80:]


def sniff(head: bytes) -> str:
    """'zip', 'json' or '' for what the first bytes of a file look like."""
    if head.startswith(ZIP_MAGIC):
        return "zip"
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    return "json" if text[:1] in (b"{", b"[") else ""


def _members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The files of an archive the importer reads (folders and other files are left out)."""
    found = []
    for info in archive.infolist():
        if info.is_dir():
            continue
        parts = PurePosixPath(info.filename.replace("\\", "/")).parts
        if info.filename.startswith("/") or ".." in parts:
            raise UploadProblem(f"the zip names a path outside itself ({info.filename[:80]})")
        name = parts[-1] if parts else ""
        if name.startswith(".") or parts[0] == "__MACOSX":
            continue
        if name.lower().endswith(READABLE):
            found.append(info)
    return found


def check_zip(path: Path, max_unzipped: int = MAX_UNZIPPED_BYTES) -> None:
    """Refuse a zip whose declared contents are too many, too large or too compressed."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = _members(archive)
            _check_declared(members, max_unzipped)
    except zipfile.BadZipFile as err:
        raise UploadProblem(f"not a readable zip file ({err})") from None


def _check_declared(members: list[zipfile.ZipInfo], max_unzipped: int) -> None:
    if not members:
        raise UploadProblem("the zip holds no .json or .csv files, nor a spreadsheet")
    if len(members) > MAX_MEMBERS:
        raise UploadProblem(f"the zip holds {len(members)} files; the limit is {MAX_MEMBERS}")
    names = [PurePosixPath(m.filename).name.lower() for m in members]
    if len(set(names)) != len(names):
        raise UploadProblem("the zip holds two files of the same name in different folders")
    total = sum(m.file_size for m in members)
    if total > max_unzipped:
        raise UploadProblem(_too_big(total, max_unzipped))
    for member in members:
        if member.file_size > MAX_RATIO * max(member.compress_size, 1) and member.file_size > 2**20:
            raise UploadProblem(
                f"{PurePosixPath(member.filename).name} would unpack to "
                f"{member.file_size // max(member.compress_size, 1)} times its packed size "
                f"(at most {MAX_RATIO}); this looks like a zip bomb"
            )


def _too_big(size: int, limit: int) -> str:
    return f"the zip would unpack to {size / 2**20:.0f} MB; the limit is {limit / 2**20:.0f} MB"


def extract_zip(path: Path, folder: Path, max_unzipped: int = MAX_UNZIPPED_BYTES) -> Path:
    """Unpack the readable files of a zip into `folder` (flat, by file name), counting the real
    bytes as they come out; return `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    try:
        with zipfile.ZipFile(path) as archive:
            members = _members(archive)
            _check_declared(members, max_unzipped)
            for member in members:
                target = folder / safe_file_name(PurePosixPath(member.filename).name)
                with archive.open(member) as source, target.open("wb") as out:
                    written = _copy_counted(source, out, written, max_unzipped)
    except zipfile.BadZipFile as err:
        raise UploadProblem(f"not a readable zip file ({err})") from None
    return folder


def _copy_counted(source: IO[bytes], out: IO[bytes], written: int, limit: int) -> int:
    while chunk := source.read(1024 * 1024):
        written += len(chunk)
        if written > limit:
            raise UploadProblem(
                f"the zip unpacks to more than {limit / 2**20:.0f} MB (more than it declares)"
            )
        out.write(chunk)
    return written


def copy_limited(source: IO[bytes], target: Path, limit: int) -> int:
    """Copy an uploaded file to `target`, refusing (and removing it) past `limit` bytes."""
    try:
        with target.open("wb") as out:
            size = _copy_counted(source, out, 0, limit)
    except UploadProblem:
        target.unlink(missing_ok=True)
        raise UploadProblem(f"the file is over the {limit / 2**20:.0f} MB limit") from None
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return size


def nesting_depth(document: Any, limit: int = MAX_DEPTH) -> int:
    """How deeply lists and objects nest in a parsed JSON document (stops counting past
    `limit`, so a hostile document costs no more than a well-formed one)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def is_public_address(address: str) -> bool:
    """Whether an IP address is on the public internet (not loopback, private, link-local,
    carrier-grade NAT, multicast, reserved or unspecified)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _IPV4_COMPATIBLE or ip in _SITE_LOCAL:
            return False  # deprecated forms some stacks still route to local hosts
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is None and ip in _NAT64:
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None:
            ip = inner
    return ip.is_global and not ip.is_multicast


# IPv6 forms that carry an IPv4 address, or reach a local network: checked as what they reach.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_SITE_LOCAL = ipaddress.IPv6Network("fec0::/10")


def feed_url_problem(url: str, *, allow_private: bool = False) -> str | None:
    """What is wrong with a feed URL an admin typed, or None. (Names that resolve to a private
    address are caught by the worker when it connects.)"""
    if len(url) > 2000:
        return "is longer than 2000 characters"
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        _ = parts.port
    except ValueError:
        return "is not a usable URL"
    if parts.scheme.lower() not in ("http", "https"):
        return "must start with https:// or http://"
    if not host:
        return "has no host name"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password"
    if allow_private:
        return None
    local = host.lower().rstrip(".")
    if local in _LOCAL_NAMES or local.endswith(_LOCAL_SUFFIXES):
        return "names this machine or a local network; feeds must be on the public internet"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None  # a name: its addresses are checked when the worker connects
    if not is_public_address(host):
        return "is a private or local address; feeds must be on the public internet"
    return None
