"""Search results as the web layer shows them.

Highlighted text from Meilisearch is not HTML-escaped (DESIGN.md), so the query asks for private
marker characters, the text is escaped here, and only then are the markers turned into <mark>.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from directory import schedule
from directory.geo import distance_mi
from directory.models import is_sample_source
from directory.schedule import NextSession
from directory.search.query import (
    HIGHLIGHT_POST,
    HIGHLIGHT_PRE,
    SearchQuery,
    describe_facets,
    max_page,
)


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

    @property
    def name_html(self) -> Markup:
        return highlight(self.name_formatted)

    @property
    def snippet_html(self) -> Markup:
        return highlight(self.snippet_formatted)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "category": self.category,
            "category_label": self.category_label,
            "organization": self.organization,
            "address": self.address,
            "phone": self.phone,
            "status": self.status,
            "attendance": self.attendance,
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
        )


def _next_meeting(raw: dict[str, Any], query: SearchQuery) -> NextSession | None:
    zone, hours = raw.get("timezone"), raw.get("hours")
    if raw.get("category") != "support_group" or not zone or not hours:
        return None
    return schedule.next_session(schedule.sessions(hours), zone, query.now)


@dataclass(frozen=True)
class SearchPage:
    query: SearchQuery
    hits: list[Hit]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    processing_ms: int = 0

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
        return cls(
            query=query,
            hits=[Hit.from_meili(hit, query) for hit in hits],
            total=int(total or 0),
            facets=describe_facets(facets or {}),
            processing_ms=int(processing_ms or 0),
        )

    def to_json(self) -> dict[str, Any]:
        place = self.query.place
        return {
            "total": self.total,
            "page": self.query.page,
            "per_page": self.query.per_page,
            "total_pages": self.total_pages,
            "near": {"lat": place.lat, "lng": place.lng, "label": place.label} if place else None,
            "radius_mi": self.query.radius_mi if place else None,
            "sort": self.query.sort.value,
            "hits": [hit.to_json() for hit in self.hits],
            "facets": self.facets,
        }
