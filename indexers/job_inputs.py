"""A job's input, made ready to read: the stored upload (a zip unpacked, with its real sizes
counted) or the feed fetched with timeouts, a size limit and the public-address check; and
every JSON file checked for hostile nesting before the readers see it.

Files are placed in the job's own temporary folder under the names the admin knows (the
uploaded file's name, or one made from the feed's URL), so the report names them so too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import orjson

from directory.config import Settings
from directory.jobs import Job
from directory.uploads import (
    MAX_DEPTH,
    UploadProblem,
    extract_zip,
    nesting_depth,
    safe_file_name,
    sniff,
    uploads_dir,
)
from indexers.bmlt_fetch import ServiceBodiesNeeded, fetch_bmlt, is_bmlt_url
from indexers.fetch import fetch
from indexers.safe_http import BlockedAddress, PublicOnlyTransport
from indexers.sources import SourceError

_STORED = re.compile(r"^[A-Za-z0-9_-]{8,40}\.(json|zip)$")


class JobFailed(Exception):
    """The job cannot go on; the message is shown to the admin as it is."""


def prepare(job: Job, settings: Settings, folder: Path) -> Path:
    """The path to read for `job` (a file, or a folder of files) inside `folder`."""
    if job.upload_path is not None:
        source = _stored_upload(job, settings)
        name = safe_file_name(job.origin, "upload")
    else:
        source = _fetched(job, settings, folder / "download")
        name = source.name
    with source.open("rb") as handle:
        kind = sniff(handle.read(4096))
    if kind == "zip":
        target = folder / (Path(name).stem or "upload")
        try:
            extract_zip(source, target)
        except UploadProblem as err:
            raise JobFailed(f"{name}: {err}. Nothing was imported.") from None
    else:
        target = folder / (name if name.lower().endswith(".json") else f"{name}.json")
        try:
            target.symlink_to(source)
        except OSError:
            target.write_bytes(source.read_bytes())
    check_nesting(target)
    return target


def _stored_upload(job: Job, settings: Settings) -> Path:
    stored = job.upload_path or ""
    path = uploads_dir(settings.home) / stored
    if not _STORED.match(stored) or not path.is_file():
        raise JobFailed(
            f"The uploaded file {job.origin} is no longer kept; upload it again. "
            "Nothing was imported."
        )
    return path


def _fetched(job: Job, settings: Settings, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    timeout = settings.feed_timeout_s
    limits: dict[str, Any] = {
        "max_bytes": settings.upload_max_bytes,
        "deadline_s": max(60.0, timeout * 4),
        "timeout": httpx.Timeout(timeout, connect=min(10.0, timeout)),
    }
    try:
        bmlt = job.format == "bmlt" or (job.format == "auto" and is_bmlt_url(job.origin))
        if bmlt:  # meetings and formats, one file
            transport = None if settings.allow_private_feeds else PublicOnlyTransport
            return fetch_bmlt(job.origin, folder, transport=transport, **limits)
        return fetch(
            job.origin,
            folder,
            transport=None if settings.allow_private_feeds else PublicOnlyTransport(),
            **limits,
        )
    except ServiceBodiesNeeded as err:
        raise JobFailed(
            f"{err.path}: name the service bodies whose meetings to import: paste a "
            f"GetSearchResults URL such as {err.search_example}, with ID one of the server's "
            f"service body numbers{err.bodies}. Nothing was imported."
        ) from None
    except SourceError as err:
        raise JobFailed(f"{err}. Nothing was imported.") from None
    except BlockedAddress as err:
        raise JobFailed(f"{job.origin}: {err}. Nothing was imported.") from None


def check_nesting(path: Path) -> None:
    """Refuse a JSON file nested more than MAX_DEPTH deep (the readers and models recurse).
    A file that is not JSON at all is left for the reader to report."""
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    for file in files:
        try:
            document = orjson.loads(file.read_bytes())
        except orjson.JSONDecodeError as err:
            if "recursion" in str(err).lower() or "depth" in str(err).lower():
                raise JobFailed(_too_deep(file)) from None
            continue
        if nesting_depth(document, MAX_DEPTH) > MAX_DEPTH:
            raise JobFailed(_too_deep(file))
        del document


def _too_deep(file: Path) -> str:
    return (
        f"{file.name}: the JSON is nested more than {MAX_DEPTH} levels deep, which no listings "
        "file needs. Nothing was imported."
    )
