"""Countries and US states as the readers' inputs write them, shared by every reader: a
country by its code or a common name, a state by its code or its full name."""

from __future__ import annotations

import re

COUNTRIES = {
    "us": "US", "usa": "US", "united states": "US", "united states of america": "US",
    "ca": "CA", "can": "CA", "canada": "CA", "mexico": "MX", "méxico": "MX", "uk": "GB",
    "united kingdom": "GB", "great britain": "GB", "england": "GB", "ireland": "IE",
    "aus": "AU", "australia": "AU", "new zealand": "NZ", "germany": "DE", "deutschland": "DE",
    "brazil": "BR", "brasil": "BR", "india": "IN", "south africa": "ZA",
}  # fmt: skip
US_STATE_NAMES = dict(
    pair.replace("_", " ").split("=")
    for pair in (
        "alabama=AL alaska=AK arizona=AZ arkansas=AR california=CA colorado=CO connecticut=CT "
        "delaware=DE florida=FL georgia=GA hawaii=HI idaho=ID illinois=IL indiana=IN iowa=IA "
        "kansas=KS kentucky=KY louisiana=LA maine=ME maryland=MD massachusetts=MA michigan=MI "
        "minnesota=MN mississippi=MS missouri=MO montana=MT nebraska=NE nevada=NV "
        "new_hampshire=NH new_jersey=NJ new_mexico=NM new_york=NY north_carolina=NC "
        "north_dakota=ND ohio=OH oklahoma=OK oregon=OR pennsylvania=PA rhode_island=RI "
        "south_carolina=SC south_dakota=SD tennessee=TN texas=TX utah=UT vermont=VT "
        "virginia=VA washington=WA west_virginia=WV wisconsin=WI wyoming=WY "
        "district_of_columbia=DC puerto_rico=PR guam=GU"
    ).split()
)
_COUNTRY_CODE = re.compile(r"^[A-Za-z]{2}$")


def country_code(text: str) -> str | None:
    """The two-letter code of a country written as a code or one of the common names."""
    text = text.strip()
    if text.lower() in COUNTRIES:
        return COUNTRIES[text.lower()]
    return text.upper() if _COUNTRY_CODE.match(text) else None


def us_state(text: str) -> str:
    """A US state's two-letter code from its code or its full name; other text as it is."""
    text = text.strip()
    return US_STATE_NAMES.get(text.lower(), text.upper() if len(text) == 2 else text)
