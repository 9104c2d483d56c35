"""Generate the sample seed listings in seed_data/*.json (SAMPLE DATA: everything is fictional).

Writes one JSON file per metro (Philadelphia, Chicago, Denver, Seattle), each holding 175
listings in the `ListingIn` record format minus `source`, which the loader takes from the file.
Names, descriptions (English, and Spanish for listings offered in Spanish) and word lists come
from `vocabulary.toml` next to this script, worded the way providers word their own listings.
ZIP codes and their centroids are real (the `zipcodes` package); every organisation, street
address, phone number (555-01xx) and website (example.org) is invented.

The output is deterministic. Re-run from the project root with `python seed_data/generate.py`.
Every record is validated with `directory.models.ListingIn`; if any fails, the script writes
nothing and exits with status 1.
"""

from __future__ import annotations

import json
import random
import re
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import zipcodes
from pydantic import BaseModel, ValidationError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from directory.models import ListingIn

SEED = 20261123
SOURCE = "sample-seed"
NOTICE = (
    "SAMPLE DATA. Fictional organisations, phone numbers and websites for demonstration and "
    "testing only. Do not refer anyone to these listings."
)
OUT_DIR = Path(__file__).resolve().parent
Record = dict[str, Any]


@dataclass(frozen=True)
class Metro:
    key: str
    prefix: str
    city: str
    state: str
    timezone: str
    area_codes: tuple[str, ...]
    extra_languages: tuple[str, ...]


@dataclass(frozen=True)
class Program:
    """A kind of service: one `[[programs.<category>]]` table of vocabulary.toml."""

    subcategories: list[str]
    names: list[str]
    descriptions: list[str]
    cost: list[str]
    hours: str  # office | pantry | daily | 24x7 | none
    populations: list[str] = field(default_factory=list)
    maybe_populations: list[str] = field(default_factory=list)
    required: int = 0
    descriptions_es: list[str] = field(default_factory=list)
    peer_run: bool = False


@dataclass(frozen=True)
class Fellowship:
    name: str
    meetings: int
    styles: list[str]
    cost: str
    closed_for: str = ""
    name_es: str = ""
    about: str = ""


@dataclass(frozen=True)
class Vocabulary:
    words: dict[str, list[str]]
    fellowships: dict[str, Fellowship]
    programs: dict[str, list[Program]]
    local: dict[str, dict[str, str]]  # metro key → {word: the metro's own wording}


# fmt: off
METROS = (
    Metro("philadelphia", "phl", "Philadelphia", "PA", "America/New_York", ("215", "267", "445"),
          ("vi", "zh", "ru", "ht", "ar")),
    Metro("chicago", "chi", "Chicago", "IL", "America/Chicago", ("312", "773", "872"),
          ("zh", "ko", "ar", "ru")),
    Metro("denver", "den", "Denver", "CO", "America/Denver", ("303", "720"),
          ("vi", "ar", "ru", "fr")),
    Metro("seattle", "sea", "Seattle", "WA", "America/Los_Angeles", ("206",),
          ("vi", "zh", "ko", "ru")),
)
# Non-meeting listings per category per metro; the 52 meetings (~30%) are set per fellowship in
# vocabulary.toml. Of 175 listings, housing is ~22% and employment ~20%.
SERVICE_COUNTS = {"housing": 38, "employment": 35, "food": 12, "health": 10, "crisis": 6,
                  "legal": 6, "education": 6, "transportation": 5, "benefits": 5}
STYLE_TYPES = {"Big Book": "B", "Step Study": "ST", "Twelve and Twelve": "ST",
               "Speaker Meeting": "SP", "Basic Text Study": "LIT", "Step Working Group": "ST"}
AUDIENCES = [("W", "women", 0.1, "Women's "), ("M", "men", 0.08, "Men's "),
             ("LGBTQ", "lgbtq", 0.06, "Rainbow "), ("Y", "young_adults", 0.06, "Young People's ")]
MEETING_TIMES = ["06:30", "07:00", "12:00", "12:15", "17:30", "18:00", "19:00", "19:30", "20:00",
                 "21:00"]
# Meeting-name time of day: the first whose limit (minutes after midnight) the start is under.
MEETING_WHEN = [(600, "Early Bird"), (780, "Noon"), (1140, "Evening"), (1440, "Night")]
DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
ACCESS_ODDS = [("wheelchair", 0.6), ("transit_nearby", 0.5), ("parking", 0.3), ("asl", 0.08),
               ("interpreter", 0.15), ("childcare", 0.05)]
# fmt: on


def load_vocabulary(path: Path) -> Vocabulary:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return Vocabulary(
        words=data["words"],
        fellowships={slug: Fellowship(**spec) for slug, spec in data["fellowships"].items()},
        programs={c: [Program(**spec) for spec in specs] for c, specs in data["programs"].items()},
        local=data["local"],
    )


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def load_zips(metro: Metro) -> list[dict[str, Any]]:
    """The metro's standard (street-delivery) ZIPs that have a centroid, in ZIP order."""
    rows: list[dict[str, Any]] = zipcodes.filter_by(  # type: ignore[no-untyped-call]
        state=metro.state, city=metro.city
    )
    usable = [z for z in rows if z["zip_code_type"] == "STANDARD" and z["lat"] and z["long"]]
    return sorted(usable, key=lambda z: str(z["zip_code"]))


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def weekly_hours(rng: random.Random, kind: str) -> list[dict[str, Any]]:
    """Opening hours of one kind (see `Program.hours`); day 0 is Sunday."""
    if kind == "24x7":
        return [{"day": d, "opens": "00:00", "closes": "24:00"} for d in range(7)]
    if kind == "daily":
        opens, closes = rng.choice([("08:00", "22:00"), ("17:00", "23:00"), ("07:00", "19:00")])
        return [{"day": d, "opens": opens, "closes": closes} for d in range(7)]
    if kind == "pantry":
        pantry_hours = []
        for day in sorted(rng.sample(range(1, 7), rng.randint(1, 3))):
            opens, closes = rng.choice([("10:00", "13:00"), ("16:00", "19:00"), ("09:00", "12:00")])
            pantry_hours.append({"day": day, "opens": opens, "closes": closes})
        return pantry_hours
    opens, closes = rng.choice([("09:00", "17:00"), ("08:30", "16:30"), ("10:00", "18:00")])
    late = rng.choice([None, None, 2, 4])  # open until 19:00 on Tuesday or Thursday
    hours = [
        {"day": d, "opens": opens, "closes": "19:00" if d == late else closes} for d in range(1, 6)
    ]
    if rng.random() < 0.25:
        hours.append({"day": 6, "opens": "10:00", "closes": "14:00"})
    return hours


def stream(metro: Metro, part: str) -> random.Random:
    """The random numbers for one part of one metro ("meetings" or "services"): each part
    draws from its own stream, so rewording a service moves no meeting and no other metro."""
    return random.Random(f"{SEED}:{metro.key}:{part}")


class Builder:
    """Builds one metro's listings; `used_names` is shared so names stay unique across files."""

    def __init__(self, vocab: Vocabulary, metro: Metro, used_names: set[str]) -> None:
        self.vocab, self.metro, self.used = vocab, metro, used_names
        self.rng = stream(metro, "meetings")
        self.zips = load_zips(metro)

    def pick(self, words: str) -> str:
        return self.rng.choice(self.vocab.words[words])

    def localize(self, text: str) -> str:
        """`{medicaid}` and the like in `text` as this metro's providers write them."""
        local = self.vocab.local[self.metro.key]
        return re.sub(r"\{(\w+)\}", lambda match: local[match[1]], text)

    def unique_name(self, make: Callable[[], str]) -> str:
        for _ in range(50):
            name = make()
            if name not in self.used:
                break
        else:
            name = f"{name} ({self.metro.city})"
        self.used.add(name)
        return name

    def phone(self) -> str:
        return f"({self.rng.choice(self.metro.area_codes)}) 555-01{self.rng.randint(0, 99):02d}"

    def common(self, category: str, number: int, keep_open: bool) -> Record:
        """What every listing has: id, address and position, languages, access, status, date."""
        rng, zip_row = self.rng, self.rng.choice(self.zips)
        street = f"{rng.randint(100, 9899)} {self.pick('streets')} {self.pick('street_types')}"
        if rng.random() < 0.2:
            street += f", Suite {rng.randint(1, 4)}0{rng.randint(1, 9)}"
        roll, extra = rng.random(), rng.choice(self.metro.extra_languages)
        # With the first of each program offered in Spanish (see `build`), about 30% in all are.
        languages = ["en", "es"] if roll < 0.1 else ["en", extra] if roll < 0.16 else ["en"]
        address = {"street": street, "city": self.metro.city, "state": self.metro.state}
        record: Record = {
            "source_id": f"{self.metro.prefix}-{category.replace('_', '-')}-{number:04d}",
            "category": category,
            "address": address | {"postal_code": zip_row["zip_code"]},
            "service_area": rng.choice([str(zip_row["county"]), f"City of {self.metro.city}"]),
            "languages": languages,
            "accessibility": [a for a, odds in ACCESS_ODDS if rng.random() < odds],
            "status": "active" if keep_open or rng.random() >= 0.03 else "temporarily_closed",
            "last_verified_at": (date(2024, 11, 1) + timedelta(rng.randint(0, 730))).isoformat(),
        }
        if rng.random() >= 0.05:  # the rest are left for the indexer to place by ZIP centroid
            record["geo"] = {
                "lat": round(float(zip_row["lat"]) + rng.uniform(-0.008, 0.008), 5),
                "lng": round(float(zip_row["long"]) + rng.uniform(-0.008, 0.008), 5),
            }
        return record

    def service(
        self, category: str, number: int, program: Program, keep_open: bool, spanish: bool
    ) -> Record:
        """A non-meeting listing: an organisation's program with contacts and opening hours;
        `spanish`: offered in Spanish whatever the draw."""
        rng = self.rng
        record = self.common(category, number, keep_open)
        if spanish:
            record["languages"] = ["en", "es"]
        ending = rng.choice(program.names)
        name = self.unique_name(lambda: f"{self.pick('first')} {self.pick('second')} {ending}")
        organization = f"{' '.join(name.split()[:2])} {self.pick('org_suffixes')}"
        maybe = program.maybe_populations
        populations = program.populations + rng.sample(maybe, rng.randint(0, min(2, len(maybe))))
        sentences = [self.localize(rng.choice(program.descriptions))]
        if "veterans" in populations and "veteran" not in sentences[0]:
            sentences.append("Veterans and their families are given priority.")
        if "es" in record["languages"]:
            sentences.append("Se habla español.")
            if program.descriptions_es:
                sentences.append(self.localize(rng.choice(program.descriptions_es)))
        elif program.hours == "office" and rng.random() < 0.4:
            sentences.append(self.pick("service_notes"))
        slug = slugify(organization)
        record |= {
            "name": name,
            "organization": organization,
            "description": " ".join(sentences),
            "subcategories": program.subcategories,
            "populations": list(dict.fromkeys(populations)),
            "cost": rng.sample(program.cost, rng.randint(1, len(program.cost))),
            "peer_run": program.peer_run or rng.random() < 0.22,
            "phone": self.phone(),
            "website": rng.choice(
                [f"https://{slug}.example.org", f"https://example.org/{self.metro.key}/{slug}"]
            ),
        }
        if rng.random() < 0.4:
            record["email"] = f"info@{slug}.example.org"
        if program.hours != "none" or rng.random() < 0.5:
            kind = "office" if program.hours == "none" else program.hours
            record |= {"hours": weekly_hours(rng, kind), "timezone": self.metro.timezone}
        return record

    def meeting(self, number: int, slug: str, mention: bool, keep_open: bool) -> Record:
        """A weekly support-group meeting; `mention` puts the fellowship's full name in it."""
        rng, fellowship = self.rng, self.vocab.fellowships[slug]
        record = self.common("support_group", number, keep_open)
        start = rng.choice(MEETING_TIMES)
        minutes = int(start[:2]) * 60 + int(start[3:])
        end = clock(minutes + rng.choice([60, 60, 90]))
        days = sorted(rng.sample(range(7), rng.choice([1, 1, 1, 1, 2, 3])))
        when = next(w for limit, w in MEETING_WHEN if minutes < limit)
        style = rng.choice(fellowship.styles)
        spanish = slug in ("aa", "na") and rng.random() < 0.1
        closed = bool(fellowship.closed_for) and rng.random() < 0.5
        types = ["C" if closed else "O", STYLE_TYPES.get(style, "D")]
        populations = ["families" if slug == "al_anon" else "people_in_recovery"]
        tag = ""
        for code, population, odds, label in AUDIENCES:
            if rng.random() < odds and not (code == "M" and "W" in types):
                types.append(code)
                populations.append(population)
                tag = tag or label
        day = f"{DAYS[days[0]]} " if len(days) == 1 else ""

        def make_name() -> str:
            if spanish:
                return f"Grupo {self.pick('spanish_groups')} {self.pick('places')}"
            return f"{self.pick('places')} {day}{when} {tag}{style}"

        name = self.unique_name(make_name)
        full = fellowship.name
        if mention and full not in name and rng.random() < 0.5:
            name = self.unique_name(lambda: f"{name} ({full})")
        kind = f"closed ({fellowship.closed_for})" if closed else "open (anyone may attend)"
        what = f"{full} meeting" if mention or full in name else "Weekly recovery meeting"
        if spanish:
            what = f"Spanish-speaking {full} meeting"
        sentences = [f"{what}, {kind}.", fellowship.about, self.pick("meeting_notes")]
        if spanish:
            types.append("S")
            opened = "cerrada" if closed else "abierta"
            sentences[1] = f"Reunión {opened} de {fellowship.name_es}, en español."
        record["languages"] = ["es"] if spanish else rng.choice([["en"]] * 6 + [["en", "es"]])
        if len(record["languages"]) == 2:
            sentences.insert(2, "Reunión bilingüe, en inglés y en español.")
        if rng.random() < 0.15:
            types.append("BE")
        if "wheelchair" in record["accessibility"]:
            types.append("X")
        roll = rng.random()
        if roll < 0.18:  # 8% online only, 10% hybrid; both keep the group's address
            online = roll < 0.08
            record["attendance"] = "online" if online else "hybrid"
            record["conference_url"] = (
                f"https://meet.example.org/{self.metro.prefix}-{slugify(name)[:40]}-{number}"
            )
            if rng.random() < 0.3:
                record["conference_phone"] = f"{self.phone()},,{rng.randint(100000, 999999)}#"
            types += ["ONL"] if online else []
            sentences.append("Join online or by phone." if online else "Also meets online.")
        if slug in ("aa", "na"):
            body = "Intergroup" if slug == "aa" else "Area Service Committee"
            record["organization"] = f"{self.pick('places')} {body}"
        if rng.random() < 0.4:
            record["phone"] = self.phone()
        return record | {
            "name": name,
            "description": " ".join(s for s in sentences if s),
            "subcategories": [slug],
            "fellowship": fellowship.name,
            "hours": [{"day": d, "opens": start, "closes": end} for d in days],
            "timezone": self.metro.timezone,
            "meeting_types": list(dict.fromkeys(types)),
            "populations": list(dict.fromkeys(populations)),
            "cost": [fellowship.cost],
            "peer_run": rng.random() < 0.5,
        }

    def build(self) -> list[Record]:
        """The metro's meetings, then each category's programs: first every program once (or
        its `required` times), the first of each offered in Spanish where the program has
        Spanish wording (each city has bilingual providers of every kind), then at random."""
        records: list[Record] = []
        slugs = [s for s, f in self.vocab.fellowships.items() for _ in range(f.meetings)]
        self.rng.shuffle(slugs)
        for number, slug in enumerate(slugs, start=1):
            # The first four AA and NA meetings always name their fellowship in full.
            required = slug in ("aa", "na") and slugs[:number].count(slug) <= 4
            mention = required or self.rng.random() < 0.4
            records.append(self.meeting(number, slug, mention, required))
        self.rng = stream(self.metro, "services")
        for category, count in SERVICE_COUNTS.items():
            programs = self.vocab.programs[category]
            queue = [p for p in programs for _ in range(max(1, p.required))]
            if len(queue) > count:
                raise ValueError(f"{category}: {len(queue)} required listings, room for {count}")
            in_spanish = {queue.index(p) for p in programs if p.descriptions_es}
            for number in range(1, count + 1):
                required = number <= len(queue)
                program = queue[number - 1] if required else self.rng.choice(programs)
                spanish = number - 1 in in_spanish
                records.append(self.service(category, number, program, required, spanish))
        return [complete(record) for record in records]


def complete(record: Record) -> Record:
    """Every ListingIn field but `source`, in model order, with defaults; no `geo` if unset."""
    out: Record = {}
    for name, info in ListingIn.model_fields.items():
        if name in record:
            out[name] = record[name]
        elif name not in ("source", "geo"):
            default = info.get_default(call_default_factory=True)
            is_model = isinstance(default, BaseModel)
            out[name] = default.model_dump(mode="json") if is_model else default
    return out


def validate(records: list[Record]) -> list[str]:
    errors: list[str] = []
    for record in records:
        try:
            ListingIn.model_validate({**record, "source": SOURCE})
        except ValidationError as exc:
            errors.append(f"{record['source_id']}: {exc}")
    return errors


def main() -> int:
    used_names: set[str] = set()
    documents: dict[Path, dict[str, Any]] = {}
    errors: list[str] = []
    vocab = load_vocabulary(OUT_DIR / "vocabulary.toml")
    for metro in METROS:
        records = Builder(vocab, metro, used_names).build()
        errors += validate(records)
        documents[OUT_DIR / f"{metro.key}.json"] = {
            "source": SOURCE,
            "sample_data": True,
            "notice": NOTICE,
            "region": f"{metro.city}, {metro.state}",
            "listings": records,
        }
    ids = [r["source_id"] for doc in documents.values() for r in doc["listings"]]
    if len(ids) != len(set(ids)):
        errors.append("duplicate source_id values")
    if errors:
        print("\n".join(errors), file=sys.stderr)
        print(f"{len(errors)} problem(s); nothing written", file=sys.stderr)
        return 1
    for path, doc in documents.items():
        with path.open("w", encoding="utf-8") as handle:
            json.dump(doc, handle, indent=1, ensure_ascii=False)
            handle.write("\n")
        counts: dict[str, int] = {}
        for record in doc["listings"]:
            counts[record["category"]] = counts.get(record["category"], 0) + 1
        print(f"{path.name}: {len(doc['listings'])} listings")
        print("  " + ", ".join(f"{category} {n}" for category, n in counts.items()))
    print(f"total: {len(ids)} listings, every one validated with ListingIn")
    return 0


if __name__ == "__main__":
    sys.exit(main())
