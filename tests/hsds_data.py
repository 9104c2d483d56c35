"""Small HSDS 3.0 fixtures written for these tests: one service at two locations, as nested
JSON and as the same data in CSV tables, plus where the official files are."""

from __future__ import annotations

import copy
import csv
import json
import os
from pathlib import Path
from typing import Any

import pytest

OFFICIAL = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "hsds-3.0"
MISSING = f"the official HSDS 3.0 files are not at {OFFICIAL} (../shared/data/hsds-3.0)"
# Skipped without the official files, but not under CI, which must run every test (it fails).
needs_official = pytest.mark.skipif(
    not OFFICIAL.is_dir() and not os.environ.get("CI"), reason=MISSING
)


def require_official() -> None:
    """Skip the test when the official files are missing; under CI, which must run every
    test, fail it instead."""
    if OFFICIAL.is_dir():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{MISSING}; CI must run this test")
    pytest.skip(MISSING)


ORG = "0b1e5f0a-0000-4000-8000-000000000001"
SERVICE = "0b1e5f0a-0000-4000-8000-000000000002"
SAL_A = "0b1e5f0a-0000-4000-8000-000000000003"
SAL_B = "0b1e5f0a-0000-4000-8000-000000000004"
LOC_A = "0b1e5f0a-0000-4000-8000-000000000005"
LOC_B = "0b1e5f0a-0000-4000-8000-000000000006"
TERM_FOOD = "0b1e5f0a-0000-4000-8000-000000000007"
TERM_VETS = "0b1e5f0a-0000-4000-8000-000000000008"
TERM_ODD = "0b1e5f0a-0000-4000-8000-000000000009"


def ident(n: int) -> str:
    return f"0b1e5f0a-0000-4000-8000-{n:012d}"


def service() -> dict[str, Any]:
    """A food pantry with two places; the terms map to food and veterans, one is unmapped."""
    return copy.deepcopy(
        {
            "id": SERVICE,
            "name": "Harbor Food Pantry",
            "description": "Groceries once a week.",
            "eligibility_description": "Residents of Philadelphia.",
            "url": "https://harbor.example.org/pantry",
            "email": "pantry@harbor.example.org",
            "status": "active",
            "assured_date": "2025-06-01",
            "organization": {
                "id": ORG,
                "name": "Harbor Community Services",
                "description": "A neighbourhood charity.",
            },
            "phones": [{"id": ident(20), "number": "215-555-0100"}],
            "languages": [
                {"id": ident(21), "code": "en", "name": "English"},
                {"id": ident(22), "name": "Spanish"},
            ],
            "service_areas": [{"id": ident(23), "name": "Philadelphia County"}],
            "cost_options": [{"id": ident(24), "amount": 0, "option": "Everyone"}],
            "attributes": [
                {
                    "id": ident(25),
                    "taxonomy_term": {
                        "id": TERM_FOOD,
                        "code": "BD-1800.2000",
                        "name": "Food Pantries",
                        "description": "Food pantries",
                        "taxonomy": "AIRS",
                    },
                },
                {
                    "id": ident(26),
                    "taxonomy_term": {
                        "id": TERM_VETS,
                        "name": "Veterans",
                        "description": "Veterans",
                        "taxonomy": "Open Eligibility",
                    },
                },
                {
                    "id": ident(27),
                    "taxonomy_term": {
                        "id": TERM_ODD,
                        "code": "XYZ",
                        "name": "Something else",
                        "description": "Not in the map",
                        "taxonomy": "local",
                    },
                },
            ],
            "service_at_locations": [
                {
                    "id": SAL_A,
                    "schedules": [
                        {
                            "id": ident(30),
                            "freq": "WEEKLY",
                            "byday": "MO,WE",
                            "opens_at": "09:00:00",
                            "closes_at": "12:30:00",
                        },
                        {
                            "id": ident(31),
                            "freq": "WEEKLY",
                            "byday": "SA",
                            "opens_at": "10:00",
                            "closes_at": "14:00",
                        },
                    ],
                    "location": {
                        "id": LOC_A,
                        "location_type": "physical",
                        "name": "St. Mark's Hall",
                        "latitude": 39.9557,
                        "longitude": -75.182,
                        "addresses": [
                            {
                                "id": ident(32),
                                "address_1": "100 Market St",
                                "city": "Philadelphia",
                                "state_province": "PA",
                                "postal_code": "19104",
                                "country": "US",
                                "address_type": "physical",
                            }
                        ],
                        "accessibility": [
                            {"id": ident(33), "description": "Wheelchair ramp at the side door"}
                        ],
                    },
                },
                {
                    "id": SAL_B,
                    "location": {
                        "id": LOC_B,
                        "location_type": "physical",
                        "name": "North Branch",
                        "addresses": [
                            {
                                "id": ident(34),
                                "address_1": "5 Broad St",
                                "city": "Philadelphia",
                                "state_province": "PA",
                                "postal_code": "19122",
                                "country": "US",
                                "address_type": "physical",
                            }
                        ],
                    },
                },
            ],
        }
    )


def tables() -> dict[str, list[dict[str, Any]]]:
    """The same data as `service()`, as HSDS tables."""
    s = service()
    a, b = s["service_at_locations"]
    rows: dict[str, list[dict[str, Any]]] = {
        "organizations.csv": [s["organization"]],
        "services.csv": [
            {k: v for k, v in s.items() if not isinstance(v, list | dict)}
            | {"organization_id": ORG}
        ],
        "service_at_location.csv": [
            {"id": SAL_A, "service_id": SERVICE, "location_id": LOC_A},
            {"id": SAL_B, "service_id": SERVICE, "location_id": LOC_B},
        ],
        "locations.csv": [
            {k: v for k, v in place["location"].items() if not isinstance(v, list)}
            for place in (a, b)
        ],
        "addresses.csv": [
            {**place["location"]["addresses"][0], "location_id": place["location"]["id"]}
            for place in (a, b)
        ],
        "accessibility.csv": [{**a["location"]["accessibility"][0], "location_id": LOC_A}],
        "phones.csv": [{**s["phones"][0], "service_id": SERVICE}],
        "languages.csv": [{**lang, "service_id": SERVICE} for lang in s["languages"]],
        "service_areas.csv": [{**s["service_areas"][0], "service_id": SERVICE}],
        "cost_options.csv": [{**s["cost_options"][0], "service_id": SERVICE}],
        "schedules.csv": [{**sched, "service_at_location_id": SAL_A} for sched in a["schedules"]],
        "taxonomy_terms.csv": [attr["taxonomy_term"] for attr in s["attributes"]],
        "attributes.csv": [
            {
                "id": attr["id"],
                "link_id": SERVICE,
                "link_entity": "service",
                "taxonomy_term_id": attr["taxonomy_term"]["id"],
            }
            for attr in s["attributes"]
        ],
    }
    return rows


def write_tables(folder: Path, data: dict[str, list[dict[str, Any]]] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in (data or tables()).items():
        columns = list(dict.fromkeys(k for row in rows for k in row))
        with (folder / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, columns)
            writer.writeheader()
            writer.writerows(rows)
    (folder / "datapackage.json").write_text(json.dumps({"name": "test", "resources": []}))
    return folder


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document))
    return path
