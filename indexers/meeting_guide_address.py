"""Addresses as Meeting Guide feeds write them: one line ("415 N 8th Ave, Scranton, PA 18503,
USA", the 12 Step Meeting List export's `formatted_address`) or a country by name."""

from __future__ import annotations

import re

from indexers.places import COUNTRIES

_CANADIAN_POSTAL = re.compile(r"^[A-Z]\d[A-Z] ?\d[A-Z]\d$")
_STATE_ZIP = re.compile(
    r"^([A-Za-z]{2})(?:\s+(\d{5}(?:-\d{4})?|[A-Za-z]\d[A-Za-z] ?\d[A-Za-z]\d))?$"
)


def parse_formatted(text: str) -> dict[str, str] | None:
    """'415 N 8th Ave, Scranton, PA 18503, USA' → street, city, state, postal code, country."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    country = ""
    # A last part naming a country ("USA", "Canada") goes, unless it is the state: "…, CA".
    if len(parts) > 2 and parts[-1].lower() in COUNTRIES and _STATE_ZIP.match(parts[-2]):
        country = COUNTRIES[parts.pop().lower()]
    if len(parts) < 2:
        return None
    match = _STATE_ZIP.match(parts[-1])
    if not match:
        return None
    state, postal = match.group(1).upper(), (match.group(2) or "").upper()
    country = country or ("CA" if _CANADIAN_POSTAL.match(postal) else "US")
    city = parts[-2]
    street = ", ".join(parts[:-2])
    return {
        "street": street,
        "city": city,
        "state": state,
        "postal_code": postal,
        "country": country,
    }
