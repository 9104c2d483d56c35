"""A backup's manifest: what was saved, from which database and schema revision, how many rows
each table held, and each file's SHA-256, so a restore can prove it got back what was saved.

No database access here: reading, checking and writing `manifest.json`, and the checksums.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
FORMAT = "peerdir-backup"
FORMAT_VERSION = 1
KINDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
# The one data file of each kind of backup.
DATA_FILES = {"sqlite": "directory.db", "postgresql": "database.dump"}
MAX_MANIFEST_BYTES = 1024 * 1024
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class BackupError(Exception):
    """A backup or restore refused or failed. The message says why and what to do; whatever
    was there before (the database, the backup, the destination folder) is as it was."""


@dataclass(frozen=True)
class Snapshot:
    """What a saved or restored database holds: its Alembic revision and each table's rows."""

    revision: str | None
    tables: dict[str, int]


@dataclass(frozen=True)
class FileSum:
    sha256: str
    bytes: int


@dataclass(frozen=True)
class Manifest:
    created_at: datetime
    database: str  # a key of KINDS
    revision: str  # the Alembic revision the saved database was at
    project_version: str
    tables: dict[str, int]  # every table saved, with its rows
    files: dict[str, FileSum]
    schema: str | None = None  # PostgreSQL: the schema that was dumped

    @property
    def data_file(self) -> str:
        return DATA_FILES[self.database]

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": self.created_at.astimezone(UTC).isoformat(),
            "database": self.database,
            "alembic_revision": self.revision,
            "project_version": self.project_version,
            "tables": dict(sorted(self.tables.items())),
            "files": {
                name: {"sha256": s.sha256, "bytes": s.bytes} for name, s in self.files.items()
            },
        }
        if self.schema is not None:
            data["schema"] = self.schema
        return data

    def write(self, folder: Path) -> None:
        path = folder / MANIFEST
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")
        path.chmod(0o600)


def read(folder: Path) -> Manifest:
    """The manifest of the backup in `folder`, checked field by field."""
    if not folder.is_dir():
        raise BackupError(f"{folder}: no such folder; give the folder `peerdir backup` wrote")
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(
            f"{path}: missing; {folder} is not a backup written by `peerdir backup` "
            "(or it is incomplete)"
        )
    if path.stat().st_size > MAX_MANIFEST_BYTES:
        raise BackupError(f"{path}: too large to be a manifest ({path.stat().st_size} bytes)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise BackupError(f"{path}: not text (the manifest is damaged)") from None
    except json.JSONDecodeError as err:
        raise BackupError(
            f"{path}: not valid JSON (line {err.lineno}, column {err.colno}: {err.msg}); "
            "the manifest is damaged"
        ) from None
    return parse(data, path)


def parse(data: object, path: Path) -> Manifest:
    def problem(field: str, what: str) -> BackupError:
        return BackupError(f"{path}: {field}: {what}")

    if not isinstance(data, dict):
        raise BackupError(f"{path}: must be a JSON object")
    if data.get("format") != FORMAT:
        raise problem("format", f"must be {FORMAT!r} (not a manifest of `peerdir backup`)")
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise problem("format_version", "must be a whole number")
    if version > FORMAT_VERSION:
        raise problem(
            "format_version",
            f"{version} is newer than this version of peerdir reads ({FORMAT_VERSION}); "
            "restore with the version that wrote the backup",
        )
    database = data.get("database")
    if database not in KINDS:
        raise problem("database", f"must be one of {', '.join(KINDS)}")
    try:
        created_at = datetime.fromisoformat(_text(data, "created_at", problem))
    except ValueError:
        raise problem("created_at", "must be an ISO 8601 date and time") from None
    schema = data.get("schema")
    if database == "postgresql" and not (isinstance(schema, str) and schema):
        raise problem("schema", "must name the schema dumped")
    manifest = Manifest(
        created_at=created_at,
        database=database,
        revision=_text(data, "alembic_revision", problem),
        project_version=_text(data, "project_version", problem),
        tables=_tables(data.get("tables"), problem),
        files=_files(data.get("files"), problem),
        schema=schema if database == "postgresql" else None,
    )
    if manifest.data_file not in manifest.files:
        raise problem("files", f"must list {manifest.data_file}, the database itself")
    return manifest


def _text(data: dict[str, Any], field: str, problem: Any) -> str:
    value = data.get(field)
    if not isinstance(value, str) or not value.strip():
        raise problem(field, "must be a non-empty string")
    return value


def _tables(value: object, problem: Any) -> dict[str, int]:
    if not isinstance(value, dict) or not value:
        raise problem("tables", "must map each table to its row count")
    for name, rows in value.items():
        if not isinstance(rows, int) or isinstance(rows, bool) or rows < 0:
            raise problem(f"tables.{name}", "must be a row count (a whole number, 0 or more)")
    return dict(value)


def _files(value: object, problem: Any) -> dict[str, FileSum]:
    if not isinstance(value, dict) or not value:
        raise problem("files", "must map each file of the backup to its checksum")
    files = {}
    for name, entry in value.items():
        if not _FILE_NAME.match(name):
            raise problem("files", f"{name!r} is not the name of a file in the backup folder")
        if not isinstance(entry, dict):
            raise problem(f"files.{name}", "must hold sha256 and bytes")
        digest, size = entry.get("sha256"), entry.get("bytes")
        if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise problem(f"files.{name}.sha256", "must be 64 lowercase hex digits")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise problem(f"files.{name}.bytes", "must be a whole number of bytes")
        files[name] = FileSum(digest, size)
    return files


def checksum(path: Path) -> FileSum:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    return FileSum(digest.hexdigest(), size)


def verify_files(folder: Path, manifest: Manifest) -> None:
    """Every file the manifest lists is there, whole and unchanged."""
    for name, expected in manifest.files.items():
        path = folder / name
        if not path.is_file():
            raise BackupError(f"{path}: missing; the backup is incomplete")
        found = checksum(path)
        if found != expected:
            raise BackupError(
                f"{path}: checksum mismatch (sha256 {found.sha256[:12]}…, {found.bytes} bytes; "
                f"the manifest says {expected.sha256[:12]}…, {expected.bytes} bytes): the "
                "backup is damaged or was changed; restore another copy"
            )


def count_problem(expected: dict[str, int], found: dict[str, int]) -> str | None:
    """How the tables `found` differ from the manifest's, or None when they agree."""
    missing = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if extra:
            parts.append(f"not in the manifest: {', '.join(extra)}")
        return "the tables differ from the manifest's (" + "; ".join(parts) + ")"
    differ = [
        f"{name}: {found[name]} rows, the manifest says {rows}"
        for name, rows in sorted(expected.items())
        if found[name] != rows
    ]
    if differ:
        return "the row counts differ from the manifest's (" + "; ".join(differ) + ")"
    return None


def project_version() -> str:
    try:
        return metadata.version("peer-resource-directory")
    except metadata.PackageNotFoundError:
        return "unknown"
