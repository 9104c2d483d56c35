"""Synthetic listings for the benchmark: deterministic, valid `ListingIn` records.

Categories, populations, costs and the rest are drawn from the real vocabularies; names and
descriptions from small word lists; ZIP codes and their coordinates are real (the `zipcodes`
package), drawn uniformly from the standard ZIPs of the contiguous US, so density follows
population roughly. About 20% of records have no coordinates and are placed from their ZIP by
the pipeline; some have hours (with the ZIP's timezone), web links, or online attendance.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

import zipcodes

from directory.meeting_types import MEETING_TYPES
from directory.models import US_STATES, Accessibility, Category, Cost, Population


def words(text: str) -> list[str]:
    return text.split()


CONTIGUOUS = set(US_STATES) - {"AK", "HI", "PR", "GU", "VI", "AS", "MP"}
TOPICS = {
    Category.HOUSING: ["Housing", "Shelter", "Sober Living", "Recovery Residence", "Rent Help"],
    Category.EMPLOYMENT: ["Jobs", "Employment", "Career", "Work Readiness", "Job Training"],
    Category.SUPPORT_GROUP: ["Peer Support", "Recovery Meeting", "Family Group", "AA", "NA"],
    Category.FOOD: ["Food Pantry", "Food Bank", "Community Meals", "Groceries"],
    Category.HEALTH: ["Clinic", "Health Center", "Counseling", "MAT", "Dental Care"],
    Category.LEGAL: ["Legal Aid", "Expungement", "Tenant Rights", "Reentry Law"],
    Category.CRISIS: ["Crisis Line", "Warmline", "Crisis Center", "Mobile Crisis"],
    Category.EDUCATION: ["GED Classes", "Adult Learning", "Literacy", "Tutoring"],
    Category.TRANSPORTATION: ["Rides", "Transit Passes", "Medical Transport"],
    Category.BENEFITS: ["Benefits Help", "SNAP Enrollment", "Medicaid Enrollment"],
}
ADJECTIVES = words(
    "New Hope Bridge Harbor Open Door Pathways Beacon Second Chance Unity Cedar Maple Riverside "
    "Summit Lighthouse Compass Haven"
)
ORGS = words("Alliance Network Coalition Center Project Collective Services Partners Council")
PROSE = words(
    "peer support recovery housing employment help families veterans youth walk-in free "
    "appointment services community safe friendly counseling referrals case management "
    "bilingual staff weekly group meeting transportation benefits food legal clinic "
    "training resume jobs shelter rent assistance outreach"
)
STREETS = words("Main Oak Pine Maple Cedar Elm Washington Lake Hill Park Market Church")
LANGUAGES = ["en", "es", "zh", "vi", "ko", "ar", "fr", "ru", "tl", "ht"]


def continental_zips() -> list[dict[str, Any]]:
    list_all: Callable[[], list[dict[str, Any]]] = zipcodes.list_all
    return [
        z
        for z in list_all()
        if z["zip_code_type"] == "STANDARD" and z["state"] in CONTIGUOUS and z.get("lat")
    ]


def make_record(
    rng: random.Random, number: int, zip_info: dict[str, Any], zones: set[str]
) -> dict[str, Any]:
    category = rng.choice(list(Category))
    topic = rng.choice(TOPICS[category])
    words = rng.choices(PROSE, k=rng.randint(10, 40))
    record: dict[str, Any] = {
        "source_id": f"bench-{number:07d}",
        "category": category.value,
        "subcategories": [topic.lower().replace(" ", "_")],
        "name": f"{rng.choice(ADJECTIVES)} {topic} {rng.choice(ORGS)}",
        "organization": f"{rng.choice(ADJECTIVES)} {rng.choice(ORGS)}",
        "description": f"{topic} for {zip_info['city']}: {' '.join(words)}.",
        "address": {
            "street": f"{rng.randint(1, 9999)} {rng.choice(STREETS)} St",
            "city": zip_info["city"],
            "state": zip_info["state"],
            "postal_code": zip_info["zip_code"],
        },
        "phone": f"({rng.randint(201, 989)}) 555-01{rng.randint(0, 99):02d}",
        "languages": ["en", *rng.sample(LANGUAGES[1:], rng.randint(0, 2))],
        "populations": rng.sample([p.value for p in Population], rng.randint(0, 3)),
        "cost": rng.sample([c.value for c in Cost], rng.randint(1, 2)),
        "accessibility": rng.sample([a.value for a in Accessibility], rng.randint(0, 2)),
        "peer_run": rng.random() < 0.3,
        "last_verified_at": (date(2025, 1, 1) + timedelta(days=rng.randint(0, 300))).isoformat(),
    }
    if rng.random() < 0.8:  # the rest are placed from their ZIP by the pipeline
        record["geo"] = {
            "lat": round(float(zip_info["lat"]) + rng.uniform(-0.02, 0.02), 5),
            "lng": round(float(zip_info["long"]) + rng.uniform(-0.02, 0.02), 5),
        }
    if rng.random() < 0.3:
        record["website"] = f"https://example.org/{number}"
        record["email"] = f"info{number}@example.org"
    if zip_info.get("timezone") in zones and rng.random() < 0.6:
        record["timezone"] = zip_info["timezone"]
        record["hours"] = [
            {"day": d, "opens": "09:00", "closes": rng.choice(["12:00", "17:00"])}
            for d in sorted(rng.sample(range(7), rng.randint(1, 5)))
        ]
    if category is Category.SUPPORT_GROUP:
        record["meeting_types"] = rng.sample(sorted(MEETING_TYPES), rng.randint(1, 4))
    if rng.random() < 0.1:
        record["attendance"] = rng.choice(["online", "hybrid"])
        record["conference_url"] = f"https://meet.example.org/{number}"
    return record


# Listings a file: an import reads files of up to 200 MB (indexers.sources.MAX_FILE_BYTES), and
# 100,000 of these listings take about 90 MB.
PER_FILE = 100_000


def write_listings(path: Path, n: int, seed: int) -> list[Path]:
    """`n` listings of one source in `path`, or, past PER_FILE, in files beside it numbered
    path-1, path-2, ... (one import reads them together). The same seed gives the same listings
    however they are split. Returns the files."""
    rng = random.Random(seed)
    zips, zones = continental_zips(), available_timezones()
    paths = []
    for number, start in enumerate(range(0, n, PER_FILE), start=1):
        part = path if n <= PER_FILE else path.with_stem(f"{path.stem}-{number}")
        end = min(n, start + PER_FILE)
        listings = [make_record(rng, i, rng.choice(zips), zones) for i in range(start, end)]
        with part.open("w") as handle:
            json.dump({"source": "bench", "listings": listings}, handle)
        paths.append(part)
    return paths
