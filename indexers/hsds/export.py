"""`peerdir export --format hsds DIR`: every stored listing as HSDS 3.0, in both forms.

DIR receives the tabular datapackage (datapackage.json and one CSV per HSDS table, every
column of each table in the schema's order) and services.json, a `Page` of fully nested
services. `peerdir index DIR` (or DIR/services.json) reads either back into the same listings.
Listings are streamed from the store in batches; shared rows (organizations, taxonomy terms)
are written once.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from directory.hsds import objects
from directory.listings import ListingStore
from directory.models import ListingIn
from indexers.hsds import spec


@dataclass
class ExportReport:
    listings: int = 0
    rows: int = 0


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    return value


def datapackage() -> dict[str, Any]:
    resources = []
    for table, model in spec.TABLES.items():
        numbers = spec.number_fields(model)
        fields = [
            {"name": column, "type": "number" if column in numbers else "string"}
            for column in spec.scalar_fields(model)
        ]
        resources.append(
            {
                "name": table.removesuffix(".csv"),
                "path": table,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {"primaryKey": "id", "fields": fields},
            }
        )
    return {
        "name": "peer-resource-directory",
        "title": "Peer Resource Directory listings",
        "profile": "tabular-data-package",
        "version": "3.0.0",
        "description": "Listings of the Peer Resource Directory as Open Referral HSDS 3.0.",
        "resources": resources,
    }


def export_hsds(store: ListingStore, folder: Path) -> ExportReport:
    folder.mkdir(parents=True, exist_ok=True)
    report = ExportReport()
    handles: dict[str, IO[str]] = {}
    writers: dict[str, csv.DictWriter[str]] = {}
    written: set[tuple[str, str]] = set()
    try:
        for table, model in spec.TABLES.items():
            handle = (folder / table).open("w", newline="", encoding="utf-8")
            handles[table] = handle
            writers[table] = csv.DictWriter(
                handle, spec.scalar_fields(model), extrasaction="ignore", lineterminator="\n"
            )
            writers[table].writeheader()
        with (folder / "services.json").open("wb") as out:
            out.write(b'{"contents": [')
            for batch in store.rows():
                for row in batch:
                    record = ListingIn.model_validate(row.record)
                    nested = objects.service(row.id, record, row.updated_at)
                    out.write((b",\n" if report.listings else b"\n") + orjson.dumps(nested))
                    report.listings += 1
                    for table, rows in objects.tables([nested]).items():
                        for item in rows:
                            if (table, item["id"]) in written:
                                continue
                            written.add((table, item["id"]))
                            writers[table].writerow({k: _cell(v) for k, v in item.items()})
                            report.rows += 1
            n = report.listings
            page = {
                "total_items": n,
                "total_pages": 1,
                "page_number": 1,
                "size": n,
                "first_page": True,
                "last_page": True,
                "empty": n == 0,
            }
            out.write(b"\n], " + orjson.dumps(page)[1:])
    finally:
        for opened in handles.values():
            opened.close()
    (folder / "datapackage.json").write_bytes(
        orjson.dumps(datapackage(), option=orjson.OPT_INDENT_2)
    )
    return report
