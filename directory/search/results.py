"""Search results as the web layer shows them.

Highlighted text from Meilisearch is not HTML-escaped (DESIGN.md), so the query asks for private
marker characters, the text is escaped here, and only then are the markers turned into <mark>.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from markupsafe import Markup, escape

from directory import schedule
from directory.geo import distance_mi
from directory.models import Attendance, Category, Status, is_sample_source
from directory.opening import Opening, listing_opening
from directory.schedule import NextSession
from directory.search.hints import Hints
from directory.search.intents import Understood
from directory.search.query import (
    HIGHLIGHT_POST,
    HIGHLIGHT_PRE,
    SearchQuery,
    describe_facets,
    max_page,
)
from directory.search.settings import MAX_TOTAL_HITS
from directory.search.shapes import HintsJSON, HitJSON, SearchPageJSON, UnderstoodJSON


def highlight(text: str) -> Markup:
    """Escape `text`, then turn the private highlight markers into <mark> tags.

    The markers cannot come from listing data (models.py strips them), so every marker is one
    Meilisearch placed, in pairs."""
    escaped = str(escape(text))
    if HIGHLIGHT_PRE in escaped:
        escaped = escaped.replace(HIGHLIGHT_PRE, "<mark>").replace(HIGHLIGHT_POST, "</mark>")
    return Markup(escaped)  # noqa: S704 - escaped above; only our own <mark> tags added


@dataclass(frozen=True)
class Hit:
    id: str
    name: str
    category: str
    category_label: str
    organization: str
    address: str
    phone: str
    status: str
    attendance: str
    peer_run: bool
    languages: list[str]
    meeting_type_names: list[str]
    website: str | None
    sample: bool
    distance_mi: float | None
    next_meeting: NextSession | None
    name_formatted: str  # Meilisearch's highlighted text: unescaped, with private markers
    snippet_formatted: str
    opening: Opening | None = None  # open now, or when it opens (listings with hours)
    lat: float | None = None  # where it is (the map's marker); none for a listing with no place
    lng: float | None = None

    @property
    def name_html(self) -> Markup:
        return highlight(self.name_formatted)

    @property
    def snippet_html(self) -> Markup:
        return highlight(self.snippet_formatted)

    def to_json(self) -> HitJSON:
        data: HitJSON = {
            "id": self.id,
            "name": self.name,
            "category": Category(self.category),
            "category_label": self.category_label,
            "organization": self.organization,
            "address": self.address,
            "phone": self.phone,
            "status": Status(self.status),
            "attendance": Attendance(self.attendance),
            "peer_run": self.peer_run,
            "languages": self.languages,
            "meeting_type_names": self.meeting_type_names,
            "website": self.website,
            "sample": self.sample,
        }
        if self.distance_mi is not None:
            data["distance_mi"] = self.distance_mi
        if self.next_meeting is not None:
            data["next_meeting"] = {
                "starts": self.next_meeting.starts.isoformat(),
                "in_progress": self.next_meeting.in_progress,
            }
        return data

    @classmethod
    def from_meili(cls, raw: dict[str, Any], query: SearchQuery) -> Hit:
        formatted = raw.get("_formatted") or {}
        distance = None
        geo = raw.get("_geo")
        if query.place is not None and geo:
            distance = round(
                distance_mi(query.place.lat, query.place.lng, geo["lat"], geo["lng"]), 2
            )
        return cls(
            id=raw["id"],
            name=raw["name"],
            category=raw["category"],
            category_label=raw.get("category_label", raw["category"]),
            organization=raw.get("organization", ""),
            address=raw.get("address", ""),
            phone=raw.get("phone", ""),
            status=raw.get("status", "active"),
            attendance=raw.get("attendance", "in_person"),
            peer_run=bool(raw.get("peer_run")),
            languages=list(raw.get("languages", [])),
            meeting_type_names=list(raw.get("meeting_type_names", [])),
            website=raw.get("website"),
            sample=is_sample_source(raw.get("source", "")),
            distance_mi=distance,
            next_meeting=_next_meeting(raw, query),
            name_formatted=str(formatted.get("name", raw["name"])),
            snippet_formatted=str(formatted.get("description", raw.get("description", ""))),
            opening=listing_opening(
                raw["category"],
                raw.get("status", "active"),
                raw.get("hours"),
                raw.get("timezone"),
                query.now,
            ),
            lat=float(geo["lat"]) if geo else None,
            lng=float(geo["lng"]) if geo else None,
        )


def _next_meeting(raw: dict[str, Any], query: SearchQuery) -> NextSession | None:
    zone, hours = raw.get("timezone"), raw.get("hours")
    if raw.get("category") != "support_group" or not zone or not hours:
        return None
    return schedule.next_session(schedule.sessions(hours), zone, query.now)


@dataclass(frozen=True)
class Understanding:
    """What the search understood, as the page shows it: applied (its listings first), or
    turned off by the person."""

    understood: Understood
    applied: bool
    matched: int = 0  # listings that match all of it
    kind: str = ""  # the kind of help alone, when the search relaxed to it
    kind_matched: int = 0  # listings of that kind that do not match all of it

    @property
    def label(self) -> str:
        return self.understood.label

    def to_json(self) -> UnderstoodJSON:
        data = cast("UnderstoodJSON", {**self.understood.to_json(), "applied": self.applied})
        if self.applied:
            data["matched"] = self.matched
            if self.kind:
                data["kind"] = {"label": self.kind, "matched": self.kind_matched}
        return data


@dataclass(frozen=True)
class TierResult:
    """One tier's answer from Meilisearch: the hits asked for, from `offset` in the tier."""

    hits: list[dict[str, Any]]
    total: int
    offset: int = 0
    facets: Mapping[str, Mapping[str, int]] | None = None
    processing_ms: int = 0

    def covers(self, offset: int, limit: int) -> bool:
        return self.offset <= offset and offset + limit <= self.offset + len(self.hits)

    def take(self, offset: int, limit: int) -> list[dict[str, Any]]:
        return self.hits[offset - self.offset : offset - self.offset + limit]


def page_slices(totals: Sequence[int], start: int, count: int) -> list[tuple[int, int, int]]:
    """Which part of which tier fills positions start .. start+count of the tiers laid end to
    end: (tier, offset in the tier, how many)."""
    slices = []
    before = 0
    for tier, total in enumerate(totals):
        low, high = max(start, before), min(start + count, before + total)
        if low < high:
            slices.append((tier, low - before, high - low))
        before += total
    return slices


def totals_in_one(counts: Sequence[int], total: int) -> list[int]:
    """Each tier's total from the one search of the tiers (SearchQuery.tiers_in_one): how
    many of its listings have each tier's trait (each tier's listings have the traits of the
    tiers after it too), and how many it found. Each is capped as a search's total is."""
    bounds = [0, *counts, max(total, counts[-1] if counts else 0)]
    return [min(high - low, MAX_TOTAL_HITS) for low, high in itertools.pairwise(bounds)]


def sum_facets(
    parts: Sequence[Mapping[str, Mapping[str, int]] | None],
) -> dict[str, dict[str, int]]:
    """Facet counts of tiers that share no listing: the counts of all of them together."""
    total: dict[str, dict[str, int]] = {}
    for part in parts:
        for facet, counts in (part or {}).items():
            into = total.setdefault(facet, {})
            for value, count in counts.items():
                into[value] = into.get(value, 0) + count
    return total


@dataclass(frozen=True)
class SearchPage:
    query: SearchQuery
    hits: list[Hit]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    processing_ms: int = 0
    understanding: Understanding | None = None
    hints: Hints = field(default_factory=Hints)  # when nothing was found: what else to try

    @property
    def first_number(self) -> int:
        """The number of this page's first hit in the numbered list of all the results."""
        return (self.query.page - 1) * self.query.per_page + 1

    @property
    def placed_hits(self) -> list[tuple[int, Hit]]:
        """This page's hits that have a place, each with its number in the list: the map's
        markers."""
        return [
            (self.first_number + i, hit)
            for i, hit in enumerate(self.hits)
            if hit.lat is not None and hit.lng is not None
        ]

    @property
    def total_pages(self) -> int:
        pages = max(1, -(-self.total // self.query.per_page))
        return min(pages, max_page(self.query.per_page))

    @classmethod
    def from_meili(
        cls,
        query: SearchQuery,
        hits: list[dict[str, Any]],
        total: int | None,
        facets: dict[str, dict[str, int]] | None,
        processing_ms: int | None,
    ) -> SearchPage:
        understood = query.understood
        turned_off = understood is not None and not query.understand
        return cls(
            query=query,
            hits=[Hit.from_meili(hit, query) for hit in hits],
            total=int(total or 0),
            facets=describe_facets(facets or {}),
            processing_ms=int(processing_ms or 0),
            understanding=Understanding(understood, False) if understood and turned_off else None,
        )

    @classmethod
    def from_tiers(
        cls,
        query: SearchQuery,
        totals: Sequence[int],
        hits: list[dict[str, Any]],
        facets: Mapping[str, Mapping[str, int]] | None,
        processing_ms: int | None,
    ) -> SearchPage:
        """A page of an understood query's tiers (SearchQuery.tiers), searched one by one or
        in one search: each tier's total, this page's hits in order, the facets of them all."""
        understood = query.applied
        assert understood is not None, "tiers come from an understood query"
        relaxed = len(totals) > 2
        understanding = Understanding(
            understood,
            applied=True,
            matched=totals[0],
            kind=understood.kind_only().label if relaxed else "",
            kind_matched=totals[1] if relaxed else 0,
        )
        return cls(
            query=query,
            hits=[Hit.from_meili(hit, query) for hit in hits],
            total=min(sum(totals), MAX_TOTAL_HITS),
            facets=describe_facets(facets or {}),
            processing_ms=int(processing_ms or 0),
            understanding=understanding,
        )

    def to_json(self) -> SearchPageJSON:
        place = self.query.place
        return {
            "total": self.total,
            "page": self.query.page,
            "per_page": self.query.per_page,
            "total_pages": self.total_pages,
            "near": {"lat": place.lat, "lng": place.lng, "label": place.label} if place else None,
            "radius_mi": self.query.radius_mi if place else None,
            "sort": self.query.sort,
            "hits": [hit.to_json() for hit in self.hits],
            "facets": self.facets,
            "understood": self.understanding.to_json() if self.understanding else None,
            "hints": cast(
                "HintsJSON",
                {
                    **self.hints.to_json(),
                    "crisis": self.query.crisis.to_json() if self.query.crisis else None,
                },
            ),
        }
