"""Generate the sample seed listings in seed_data/*.json (SAMPLE DATA: everything is fictional).

Writes one JSON file per metro (Philadelphia, Chicago, Denver, Seattle), each holding 175
listings in the `ListingIn` record format minus `source`, which the loader takes from the file.
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
from collections.abc import Callable
from dataclasses import dataclass
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
    """A kind of service: space-separated slugs, `|`-separated name endings and descriptions."""

    subcats: str
    nouns: str
    blurbs: str
    always: str = ""  # populations every listing of this kind serves
    maybe: str = ""  # populations some listings also focus on
    costs: str = "free"
    hours: str = "office"  # office | pantry | daily | 24x7 | none (intake hours at most)


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
# Listings per category per metro (175): ~30% meetings, 22% housing, 20% employment.
PLAN = {"support_group": 52, "housing": 38, "employment": 35, "food": 12, "health": 10,
        "crisis": 6, "legal": 6, "education": 6, "transportation": 5, "benefits": 5}

P = Program
PROGRAMS: dict[str, list[Program]] = {
    "housing": [
        P("sober_living recovery_residence", "Recovery Residence|Sober Living House|Recovery House",
          "Peer-supported sober living for adults in recovery from alcohol and drug use.|A recovery "
          "house with weekly house meetings, shared chores and a drug-free home; residents on MAT "
          "are welcome.", "people_in_recovery", "men women", "fee sliding_scale", "none"),
        P("oxford_house sober_living", "House", "Self-run, self-supporting sober home following the "
          "Oxford House model; residents share rent and vote on house decisions.",
          "people_in_recovery", "men women", "fee", "none"),
        P("transitional_housing", "Transitional Housing|Bridge Housing Program", "Transitional "
          "housing for up to 24 months with case management and recovery support.|Bridge housing "
          "for people leaving treatment, shelter or incarceration (re-entry).", "",
          "people_experiencing_homelessness justice_involved women families", "free sliding_scale"),
        P("rapid_rehousing rental_assistance", "Rapid Rehousing Program|Housing Navigation",
          "Rapid rehousing: help finding an apartment, security deposits and short-term rental "
          "assistance.", "people_experiencing_homelessness", "families young_adults"),
        P("emergency_shelter", "Night Shelter|Emergency Shelter", "Low-barrier emergency shelter "
          "with evening meals, showers and housing referrals.",
          "people_experiencing_homelessness", "men women lgbtq", "free", "daily"),
        P("veterans_housing transitional_housing", "Veterans Residence", "Transitional housing for "
          "homeless veterans, with VA benefits help and peer mentors.", "veterans",
          "people_experiencing_homelessness people_in_recovery"),
        P("permanent_supportive_housing housing_first", "Supportive Apartments", "Housing First "
          "apartments with on-site support staff for people with mental illness or substance use "
          "disorders.", "", "people_with_disabilities seniors", "sliding_scale"),
        P("youth_housing drop_in", "Youth Drop-In and Housing", "Drop-in center and host homes for "
          "youth and young adults aged 16-24 experiencing homelessness.", "youth young_adults",
          "lgbtq"),
    ],
    "employment": [
        P("job_training", "Job Training Program|Skills Academy", "Free job training in warehouse, "
          "food service and building trades, with OSHA and ServSafe certificates.", "",
          "people_in_recovery young_adults"),
        P("resume_help job_search", "Career Center|Job Club", "Resume help, mock interviews and job "
          "search coaching; computers available for online applications.", "", "seniors immigrants"),
        P("supported_employment ips", "Supported Employment|IPS Employment Team", "Individual "
          "Placement and Support (IPS) supported employment for people living with mental illness: "
          "rapid job search and ongoing support on the job.", "people_with_disabilities", "",
          "free medicaid"),
        P("vocational_rehab", "Vocational Rehab Services", "Vocational rehab counseling, job "
          "coaching and assistive technology for job seekers with disabilities.",
          "people_with_disabilities"),
        P("veterans_employment job_training", "Veterans Employment Program|Vets to Work",
          "Employment services for veterans: translating military skills, resume help and placement "
          "with veteran-friendly employers.|Job training and career coaching for veterans in "
          "recovery, run by veterans.", "veterans", "people_in_recovery"),
        P("reentry_employment job_training", "Re-entry Jobs Program|Second Chance Hiring", "Re-entry "
          "employment help for people with criminal records: job readiness, fair-chance employers "
          "and record-clearing referrals.", "justice_involved", "young_adults"),
        P("peer_specialist_training certification", "Peer Specialist Training", "Certified peer "
          "specialist training for people with lived experience of mental health or substance use "
          "recovery.", "people_in_recovery", "", "free fee"),
        P("transitional_jobs social_enterprise", "Work Crew|Transitional Jobs", "Paid transitional "
          "jobs on a social enterprise work crew, with daily pay and help moving to permanent "
          "work.", "", "people_experiencing_homelessness justice_involved"),
    ],
    "food": [
        P("food_pantry", "Food Pantry|Community Pantry", "Food pantry with groceries, fresh produce "
          "and hygiene items; no ID required.", "", "families seniors", "free", "pantry"),
        P("community_meals", "Community Kitchen|Free Meals", "Free hot meals served daily, no "
          "questions asked.", "", "people_experiencing_homelessness", "free", "daily"),
        P("mobile_pantry produce", "Mobile Market", "Mobile food pantry and produce distribution at "
          "rotating neighborhood stops.", "", "families seniors", "free", "pantry"),
    ],
    "health": [
        P("mat_clinic opioid_treatment", "MAT Clinic|Recovery Clinic", "Medication for opioid use "
          "disorder (MAT): buprenorphine, methadone and naltrexone, with same-week starts.",
          "people_in_recovery", "", "medicaid insurance sliding_scale"),
        P("naloxone harm_reduction syringe_services", "Harm Reduction Center", "Free naloxone "
          "(Narcan), fentanyl test strips, syringe services and overdose prevention training.", "",
          "people_experiencing_homelessness"),
        P("outpatient_treatment iop", "Outpatient Program", "Outpatient and intensive outpatient "
          "(IOP) substance use treatment with evening groups.", "people_in_recovery", "",
          "medicaid insurance"),
        P("mental_health counseling", "Counseling Center", "Walk-in mental health counseling, "
          "psychiatry and medication management.", "", "youth seniors lgbtq",
          "medicaid medicare sliding_scale"),
        P("primary_care fqhc", "Community Health Center", "Primary care, dental and behavioral "
          "health for all, regardless of insurance.", "", "immigrants families",
          "medicaid medicare sliding_scale"),
        P("withdrawal_management detox", "Withdrawal Management Unit", "Medically monitored "
          "withdrawal management (detox) with linkage to treatment.", "people_in_recovery", "",
          "medicaid insurance", "24x7"),
    ],
    "crisis": [
        P("crisis_line suicide_prevention", "Crisis Line|24/7 Helpline", "Call or text any time, "
          "day or night, for free confidential crisis support, like 988, answered by trained "
          "counselors.", "", "", "free", "24x7"),
        P("warm_line peer_support", "Warm Line", "Peer-run warm line: talk with someone who has "
          "been there when you are struggling but not in crisis.", "", "people_in_recovery", "free",
          "daily"),
        P("mobile_crisis", "Mobile Crisis Team", "Mobile crisis team that comes to you for mental "
          "health or substance use crises.", "", "", "free", "24x7"),
        P("crisis_stabilization walk_in", "Crisis Stabilization Center", "Walk-in crisis "
          "stabilization center, open around the clock, no referral needed.", "", "",
          "free medicaid", "24x7"),
    ],
    "legal": [
        P("expungement record_clearing", "Record Clearing Clinic", "Free help with expungement, "
          "record sealing and court fines for people with criminal records.", "justice_involved"),
        P("tenant_rights eviction_defense", "Tenant Law Project", "Eviction defense and tenant "
          "rights advice for low-income renters.", "", "families seniors"),
        P("benefits_appeals disability_law", "Disability Law Clinic", "Legal help appealing SSI, "
          "SSDI and Medicaid denials.", "people_with_disabilities"),
        P("veterans_legal discharge_upgrades", "Veterans Legal Clinic", "Legal help for veterans "
          "with discharge upgrades, VA claims and old warrants.", "veterans"),
    ],
    "education": [
        P("ged adult_education", "Adult Learning Center", "GED classes and adult basic education, "
          "day and evening sessions.", "", "young_adults immigrants"),
        P("esl", "English Classes", "Free English (ESL) classes for adult learners.", "immigrants"),
        P("digital_literacy", "Digital Skills Lab", "Computer basics, email and online job "
          "applications taught one-on-one.", "", "seniors"),
        P("collegiate_recovery", "Recovery Scholars Program", "Collegiate recovery program with "
          "sober housing referrals, tutoring and peer coaching for students in recovery.",
          "people_in_recovery young_adults"),
    ],
    "transportation": [
        P("medical_transport medicaid_transport", "Ride Line", "Free rides to medical, MAT and "
          "treatment appointments for Medicaid members.", "", "seniors people_with_disabilities",
          "medicaid"),
        P("transit_passes reduced_fare", "Transit Pass Program", "Reduced-fare transit passes and "
          "bus tokens for job seekers and people in recovery.", "", "people_in_recovery"),
        P("rides_to_treatment volunteer_drivers", "Recovery Rides", "Volunteer drivers, many in "
          "recovery themselves, offer rides to treatment and recovery meetings.",
          "people_in_recovery"),
    ],
    "benefits": [
        P("snap_enrollment benefits_navigation", "Benefits Access Center", "Help applying for SNAP "
          "(food stamps), cash assistance, LIHEAP and other benefits.", "",
          "families seniors immigrants"),
        P("ssi_ssdi soar", "SOAR Disability Benefits", "SOAR case workers help people experiencing "
          "homelessness apply for SSI and SSDI.",
          "people_experiencing_homelessness people_with_disabilities"),
        P("medicaid_enrollment health_insurance", "Health Coverage Navigators", "Free help "
          "enrolling in Medicaid and marketplace health insurance.", "", "immigrants families"),
        P("id_documents vital_records", "ID Project", "Help getting birth certificates, state IDs "
          "and Social Security cards, fees waived.", "",
          "justice_involved people_experiencing_homelessness"),
    ],
}
# Programs every metro must have, by index: 3 sober living, 3 veterans employment, 2 food
# pantries and a 24/7 crisis line.
REQUIRED = {"housing": [0, 0, 0], "employment": [4, 4, 4], "food": [0, 0], "crisis": [0]}

FELLOWSHIPS: dict[str, tuple[str, int, str, str]] = {
    # slug: (full name, meetings per metro, `|`-separated meeting name styles, cost)
    "aa": ("Alcoholics Anonymous", 20, "Big Book|Step Study|Discussion|Serenity Group|Keep It "
           "Simple|Happy Destiny|Came to Believe|Twelve and Twelve|Speaker Meeting", "donation"),
    "na": ("Narcotics Anonymous", 12, "Just for Today|Clean and Serene|Basic Text Study|Living "
           "Clean|Miracles Happen|Step Working Group", "donation"),
    "smart_recovery": ("SMART Recovery", 6, "SMART Recovery|SMART Tools", "free"),
    "al_anon": ("Al-Anon Family Groups", 6, "Al-Anon Family Group|Courage to Change Al-Anon|Hope "
                "for Today Al-Anon", "donation"),
    "dual_recovery": ("Dual Recovery Anonymous", 4, "Dual Recovery|Double Trouble", "donation"),
    "celebrate_recovery": ("Celebrate Recovery", 4, "Celebrate Recovery", "free"),
}
CLOSED_FOR = {"aa": "for anyone with a desire to stop drinking",
              "na": "for anyone with a desire to stop using",
              "al_anon": "for families and friends of alcoholics"}
STYLE_TYPES = {"Big Book": "B", "Step Study": "ST", "Twelve and Twelve": "ST",
               "Speaker Meeting": "SP", "Basic Text Study": "LIT", "Step Working Group": "ST"}
NAME_TAGS = {"W": "Women's ", "M": "Men's ", "LGBTQ": "Rainbow ", "Y": "Young People's "}
MEETING_TIMES = ["06:30", "07:00", "12:00", "12:15", "17:30", "18:00", "19:00", "19:30", "20:00",
                 "21:00"]
DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
SPANISH_GROUPS = ["Nueva Vida", "Esperanza", "Renacer", "Serenidad", "Un Día a la Vez"]
MEETING_NOTES = ["Newcomers welcome.", "Coffee provided.", "Literature available.",
                 "Meets in the church basement, side entrance.",
                 "Enter through the rear door by the parking lot."]
SERVICE_NOTES = ["Walk-ins welcome during office hours.", "Call ahead to check eligibility.",
                 "Intake by phone or in person."]

FIRST = ["Harbor", "Cedar", "North", "Stone", "Willow", "Bright", "Open", "River", "Summit",
         "Maple", "Beacon", "Keystone", "Lantern", "Anchor", "Oak", "Pine", "Morning", "Haven",
         "Liberty", "Unity", "Phoenix", "Crossroads", "Hope", "True", "Clear", "Silver", "Blue",
         "Golden", "Common", "Second", "New", "Fresh", "Kind", "Steady", "Evergreen"]
SECOND = ["Light", "Path", "Bridge", "Gate", "Way", "Point", "Ridge", "Field", "Roots", "Spring",
          "Grove", "Landing", "Horizon", "Step", "Wind", "Harbor", "Circle", "Table", "Commons",
          "Door", "Compass", "Meadow", "Well"]
ORG_SUFFIXES = ["Recovery Network", "Community Services", "Collective", "Alliance", "Foundation",
                "Partners", "Coalition", "Center", "Project", "Cooperative", "Outreach",
                "Ministries"]
STREETS = ["Alder", "Birchwood", "Chestnut", "Dogwood", "Elmhurst", "Fairmont", "Glenwood",
           "Hawthorne", "Ivy", "Juniper", "Kingsley", "Linden", "Magnolia", "Northfield", "Orchard",
           "Prospect", "Quarry", "Rosewood", "Sycamore", "Tamarack", "Union", "Vinewood",
           "Westbrook", "Yarrow", "Ashby", "Clover", "Dunmore", "Easton", "Fulton", "Garnet"]
STREET_TYPES = ["St", "Ave", "Blvd", "Rd", "Ln", "Way", "Pl", "Dr"]
PLACES = ["Riverside", "Northside", "Eastgate", "Parkview", "Hilltop", "Southside", "Lakeview",
          "Midtown", "Old Mill", "Westend", "Brookside", "Oak Hill", "Union Square", "Station",
          "Fairview", "Greenway", "Crosstown", "Harborview", "Elm Park", "Canal Street"]
ACCESS_ODDS = [("wheelchair", 0.6), ("transit_nearby", 0.5), ("parking", 0.3), ("asl", 0.08),
               ("interpreter", 0.15), ("childcare", 0.05)]
# fmt: on


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
        days = sorted(rng.sample(range(1, 7), rng.randint(1, 3)))
        slots = [("10:00", "13:00"), ("16:00", "19:00"), ("09:00", "12:00")]
        return [{"day": d, "opens": o, "closes": c} for d in days for o, c in [rng.choice(slots)]]
    opens, closes = rng.choice([("09:00", "17:00"), ("08:30", "16:30"), ("10:00", "18:00")])
    late = rng.choice([None, None, 2, 4])  # open until 19:00 on Tuesday or Thursday
    hours = [
        {"day": d, "opens": opens, "closes": "19:00" if d == late else closes} for d in range(1, 6)
    ]
    if rng.random() < 0.25:
        hours.append({"day": 6, "opens": "10:00", "closes": "14:00"})
    return hours


class Builder:
    """Builds one metro's listings; `used_names` is shared so names stay unique across files."""

    def __init__(self, rng: random.Random, metro: Metro, used_names: set[str]) -> None:
        self.rng, self.metro, self.used = rng, metro, used_names
        self.zips = load_zips(metro)

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
        street = f"{rng.randint(100, 9899)} {rng.choice(STREETS)} {rng.choice(STREET_TYPES)}"
        if rng.random() < 0.2:
            street += f", Suite {rng.randint(1, 4)}0{rng.randint(1, 9)}"
        roll = rng.random()
        extra = rng.choice(self.metro.extra_languages)
        languages = ["en", "es"] if roll < 0.25 else ["en", extra] if roll < 0.31 else ["en"]
        record: Record = {
            "source_id": f"{self.metro.prefix}-{category.replace('_', '-')}-{number:04d}",
            "category": category,
            "address": {"street": street, "city": self.metro.city, "state": self.metro.state,
                        "postal_code": zip_row["zip_code"]},
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

    def service(self, category: str, number: int, program: Program, keep_open: bool) -> Record:
        """A non-meeting listing: an organisation's program with opening hours and contacts."""
        rng = self.rng
        record = self.common(category, number, keep_open)
        noun = rng.choice(program.nouns.split("|"))
        name = self.unique_name(lambda: f"{rng.choice(FIRST)} {rng.choice(SECOND)} {noun}")
        organization = f"{' '.join(name.split()[:2])} {rng.choice(ORG_SUFFIXES)}"
        maybe, costs = program.maybe.split(), program.costs.split()
        populations = program.always.split() + rng.sample(maybe, rng.randint(0, min(2, len(maybe))))
        sentences = [rng.choice(program.blurbs.split("|"))]
        if "veterans" in populations and "veteran" not in sentences[0]:
            sentences.append("Veterans and their families are given priority.")
        if "es" in record["languages"]:
            sentences.append("Se habla español.")
        elif program.hours == "office" and rng.random() < 0.4:
            sentences.append(rng.choice(SERVICE_NOTES))
        slug = slugify(organization)
        record |= {
            "name": name,
            "organization": organization,
            "description": " ".join(sentences),
            "subcategories": program.subcats.split(),
            "populations": list(dict.fromkeys(populations)),
            "cost": rng.sample(costs, rng.randint(1, len(costs))),
            "peer_run": program.subcats.startswith("warm_line") or rng.random() < 0.22,
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

    def meeting(self, number: int, fellowship: str, mention: bool, keep_open: bool) -> Record:
        """A weekly support-group meeting; `mention` puts the fellowship's full name in it."""
        rng = self.rng
        full, _, styles, cost = FELLOWSHIPS[fellowship]
        record = self.common("support_group", number, keep_open)
        start = rng.choice(MEETING_TIMES)
        minutes = int(start[:2]) * 60 + int(start[3:])
        end = clock(minutes + rng.choice([60, 60, 90]))
        days = sorted(rng.sample(range(7), rng.choice([1, 1, 1, 1, 2, 3])))
        when = (
            "Early Bird" if minutes < 600 else "Noon" if minutes < 780
            else "Evening" if minutes < 1140 else "Night"
        )
        style = rng.choice(styles.split("|"))
        spanish = fellowship in ("aa", "na") and rng.random() < 0.1
        closed = fellowship in CLOSED_FOR and rng.random() < 0.5
        types = ["C" if closed else "O", STYLE_TYPES.get(style, "D")]
        populations = ["families" if fellowship == "al_anon" else "people_in_recovery"]
        for code, population, odds in [("W", "women", 0.1), ("M", "men", 0.08),
                                       ("LGBTQ", "lgbtq", 0.06), ("Y", "young_adults", 0.06)]:
            if rng.random() < odds and not (code == "M" and "W" in types):
                types.append(code)
                populations.append(population)
        tag = next((NAME_TAGS[t] for t in types[2:]), "")
        day = f"{DAYS[days[0]]} " if len(days) == 1 else ""

        def make_name() -> str:
            if spanish:
                return f"Grupo {rng.choice(SPANISH_GROUPS)} {rng.choice(PLACES)}"
            return f"{rng.choice(PLACES)} {day}{when} {tag}{style}"

        name = self.unique_name(make_name)
        if mention and full not in name and rng.random() < 0.5:
            name = self.unique_name(lambda: f"{name} ({full})")
        kind = f"closed ({CLOSED_FOR[fellowship]})" if closed else "open (anyone may attend)"
        what = f"{full} meeting" if mention or full in name else "Weekly recovery meeting"
        sentences = [f"{what}, {kind}.", rng.choice(MEETING_NOTES)]
        if spanish:
            types.append("S")
            sentences.insert(1, "Reunión en español.")
        record["languages"] = ["es"] if spanish else rng.choice([["en"]] * 6 + [["en", "es"]])
        if rng.random() < 0.15:
            types.append("BE")
        if "wheelchair" in record["accessibility"]:
            types.append("X")
        roll = rng.random()
        if roll < 0.18:
            online = roll < 0.08
            record["attendance"] = "online" if online else "hybrid"
            record["conference_url"] = (
                f"https://meet.example.org/{self.metro.prefix}-{slugify(name)[:40]}-{number}"
            )
            if rng.random() < 0.3:
                record["conference_phone"] = f"{self.phone()},,{rng.randint(100000, 999999)}#"
            types += ["ONL"] if online else []
            sentences.append("Join online or by phone." if online else "Meets in person and online.")
        if fellowship in ("aa", "na"):
            body = "Intergroup" if fellowship == "aa" else "Area Service Committee"
            record["organization"] = f"{rng.choice(PLACES)} {body}"
        if rng.random() < 0.4:
            record["phone"] = self.phone()
        record |= {
            "name": name,
            "description": " ".join(sentences),
            "subcategories": [fellowship],
            "hours": [{"day": d, "opens": start, "closes": end} for d in days],
            "timezone": self.metro.timezone,
            "meeting_types": list(dict.fromkeys(types)),
            "populations": list(dict.fromkeys(populations)),
            "cost": [cost],
            "peer_run": rng.random() < 0.5,
        }
        return record

    def build(self) -> list[Record]:
        records: list[Record] = []
        fellowships = [slug for slug, spec in FELLOWSHIPS.items() for _ in range(spec[1])]
        self.rng.shuffle(fellowships)
        seen: dict[str, int] = {}
        for number, fellowship in enumerate(fellowships, start=1):
            seen[fellowship] = seen.get(fellowship, 0) + 1
            required = fellowship in ("aa", "na") and seen[fellowship] <= 4
            mention = required or self.rng.random() < 0.4
            records.append(self.meeting(number, fellowship, mention, required))
        for category, count in PLAN.items():
            if category == "support_group":
                continue
            programs, required_programs = PROGRAMS[category], REQUIRED.get(category, [])
            for number in range(1, count + 1):
                required = number <= len(required_programs)
                program = (
                    programs[required_programs[number - 1]] if required else self.rng.choice(programs)
                )
                records.append(self.service(category, number, program, required))
        return [complete(record) for record in records]


def complete(record: Record) -> Record:
    """Every ListingIn field but `source`, in model order, with defaults; no `geo` if unset."""
    out: Record = {}
    for field, info in ListingIn.model_fields.items():
        if field in record:
            out[field] = record[field]
        elif field not in ("source", "geo"):
            default = info.get_default(call_default_factory=True)
            is_model = isinstance(default, BaseModel)
            out[field] = default.model_dump(mode="json") if is_model else default
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
    rng = random.Random(SEED)
    used_names: set[str] = set()
    documents: dict[Path, dict[str, Any]] = {}
    errors: list[str] = []
    for metro in METROS:
        records = Builder(rng, metro, used_names).build()
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
