"""Import job helpers for tests: listings files, stored uploads, queued jobs, and the worker
driven one job at a time against the test's database and Meilisearch index."""

from __future__ import annotations

import io
import json
import secrets
import zipfile
from pathlib import Path
from typing import Any

from directory.config import Settings
from directory.db import make_engine
from directory.jobs import Job, JobKind, JobRequest, JobStore
from directory.uploads import uploads_dir
from indexers.worker import Worker
from tests.factories import listing_data


def native(records: list[dict[str, Any]], source: str = "test") -> bytes:
    """A listings file in our own format."""
    return json.dumps(
        {
            "source": source,
            "listings": [{k: v for k, v in r.items() if k != "source"} for r in records],
        }
    ).encode()


def records(*ids: str, **fields: Any) -> list[dict[str, Any]]:
    return [listing_data(source_id=i, name=f"Listing {i}", **fields) for i in ids]


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def stored_upload(settings: Settings, content: bytes, kind: str = "json") -> str:
    """An upload as the web app keeps it; returns its stored name."""
    folder = uploads_dir(settings.home)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_urlsafe(12)}.{kind}"
    (folder / name).write_bytes(content)
    return name


def queue(
    settings: Settings,
    kind: JobKind,
    content: bytes | None = None,
    *,
    origin: str = "batch.json",
    source: str = "test",
    full: bool = False,
    dry_run_of: str | None = None,
    upload_path: str | None = None,
    format: str = "auto",
) -> Job:
    if content is not None:
        upload_path = stored_upload(settings, content, "zip" if origin.endswith(".zip") else "json")
    request = JobRequest(
        kind,
        source=source if kind is not JobKind.REBUILD else None,
        origin=origin,
        upload_path=upload_path,
        full=full,
        dry_run_of=dry_run_of,
        format=format,
    )
    engine = make_engine(settings.database_url)
    try:
        return JobStore(engine).enqueue(request, actor=None)
    finally:
        engine.dispose()


def apply(settings: Settings, dry_run: Job) -> Job:
    """Queue the import of a dry run, as the "Import" button does."""
    return queue(
        settings,
        JobKind.IMPORT,
        origin=dry_run.origin,
        source=dry_run.source or "",
        full=dry_run.full,
        dry_run_of=dry_run.id,
        format=dry_run.format,
        upload_path=dry_run.upload_path,
    )


def run_one(settings: Settings, **kw: Any) -> Job:
    """Let a worker run the next queued job; return it as it ended."""
    worker = Worker(settings, **kw)
    try:
        job = worker.run_one()
    finally:
        worker.close()
    assert job is not None, "no job was queued"
    return job


def counts(job: Job) -> dict[str, int]:
    report = job.report or {}
    keys = ("read", "added", "updated", "unchanged", "retired", "rejected", "conflicts")
    return {key: report[key] for key in keys}


def uploads(settings: Settings) -> list[Path]:
    folder = uploads_dir(settings.home)
    return sorted(folder.iterdir()) if folder.is_dir() else []
