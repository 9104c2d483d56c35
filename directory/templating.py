"""Jinja2 environment: autoescaped templates, filters for phones, distances and hours."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlencode
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import NoMatchFound
from starlette.templating import Jinja2Templates

from directory import i18n
from directory.models import CATEGORY_LABELS, Category
from directory.referral_rules import CODE_LABELS

DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
FACET_LABELS = {
    "category": "Category",
    "languages": "Language",
    "populations": "Who it serves",
    "cost": "Cost",
    "accessibility": "Accessibility",
    "attendance": "Attendance",
    "peer_run": "Peer-run",
}
# Facet name in the index → URL parameter name in a search.
FACET_PARAMS = {
    "category": "category",
    "languages": "language",
    "populations": "population",
    "cost": "cost",
    "accessibility": "accessibility",
    "attendance": "attendance",
    "peer_run": "peer_run",
}
LANGUAGE_NAMES = {
    "en": "English", "es": "Spanish", "vi": "Vietnamese", "zh": "Chinese", "ru": "Russian",
    "ar": "Arabic", "fr": "French", "ht": "Haitian Creole", "ko": "Korean", "pl": "Polish",
    "pt": "Portuguese", "so": "Somali", "tl": "Tagalog", "asl": "ASL",
}  # fmt: skip


def tel_href(phone: str) -> str:
    # Commas (pauses) and # stay, so a conference line's meeting code dials too.
    digits = re.sub(r"[^0-9+,#*]", "", phone.split("x")[0])
    number, pauses, rest = digits.partition(",")
    if len(number) == 10:
        number = "+1" + number
    return "tel:" + (number + pauses + rest).replace("#", "%23")


def sentence(text: str) -> str:
    """End a message with a full stop unless it already ends a sentence."""
    return text if text.endswith((".", "!", "?")) else text + "."


def miles(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.1f} mi" if value >= 0.1 else "< 0.1 mi"


def day_and_clock(moment: datetime) -> str:
    """A local time as people say it: 'Monday 7:30 PM'."""
    return f"{DAY_NAMES[(moment.weekday() + 1) % 7]} {clock(moment.strftime('%H:%M'))}"


def clock(value: str) -> str:
    """'19:30' → '7:30 PM'; '24:00' → 'midnight'."""
    if value in ("24:00", "00:00"):
        return "midnight"
    hours, minutes = (int(p) for p in value.split(":"))
    suffix = "AM" if hours < 12 else "PM"
    return f"{(hours % 12) or 12}:{minutes:02d} {suffix}"


def facet_value_label(facet: str, value: str) -> str:
    if facet == "category" and value in Category._value2member_map_:
        return CATEGORY_LABELS[Category(value)]
    if facet == "languages":
        return LANGUAGE_NAMES.get(value, value)
    if facet == "accessibility" and value == "asl":
        return "ASL interpretation"
    if facet == "populations" and value == "lgbtq":
        return "LGBTQ+"
    if facet == "peer_run":
        return "Peer-run" if value == "true" else "Not peer-run"
    return value.replace("_", " ").capitalize()


def field_value(value: Any) -> str:
    """A listing field's stored (JSON) value in words, for conflicts and the change history."""
    if value is None or value == "" or value == []:
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(field_value(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {field_value(v)}" for k, v in value.items() if v not in (None, ""))
    return str(value)


def map_url(address: str, lat: float | None = None, lng: float | None = None) -> str:
    if lat is not None and lng is not None:
        return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lng}#map=17/{lat}/{lng}"
    return f"https://www.openstreetmap.org/search?query={quote_plus(address)}"


# Routes whose links carry the language the URL chose (`lang`), so the next page keeps it.
_TRANSLATED_ROUTES = ("public:", "kiosk:")


def language_in_url(context: Any) -> bool:
    request = context.get("request")
    return bool(request is not None and getattr(request.state, "language_in_url", False))


@pass_context
def lang_url(context: Context, language: str) -> str:
    """This page in another language: the same URL with `lang` set (the language switch)."""
    url: URL = context["request"].url.include_query_params(lang=language)
    return f"{url.path}?{url.query}"


@pass_context
def urlencode_pairs(context: Context, pairs: Any) -> str:
    """A query string from (name, value) pairs, with `lang` when the URL chose the language."""
    listed = [(k, v) for k, v in pairs if k != "lang"]
    if language_in_url(context):
        listed.append(("lang", i18n.current()))
    return urlencode(listed)


# A path parameter the fast `url_for` puts in as it is: ids and codes (no "/", nothing to escape).
_PLAIN_PARAM = re.compile(r"^[A-Za-z0-9_-]{1,200}$")


def make_url_for() -> Callable[..., URL]:
    """`url_for` for templates: the same URLs as Starlette's `request.url_for`, without its
    search through every route for every link (50-200 µs each, most of a 200-row list).

    A route's absolute URL is found once per (base URL, name, parameter names), with a stand-in
    for each value, and plain values (ids) are put in its place; any other value, or a route a
    stand-in does not fit, goes the usual way."""

    patterns: dict[tuple[int, str, str, tuple[str, ...]], str | None] = {}

    def pattern(router: Any, base_url: str, name: str, keys: tuple[str, ...]) -> str | None:
        key = (id(router), base_url, name, keys)  # one app's router (Router is unhashable)
        if key in patterns:
            return patterns[key]
        stand_ins = {k: f"\x00{k}\x00" for k in keys}
        try:
            found = str(router.url_path_for(name, **stand_ins).make_absolute_url(base_url))
        except (NoMatchFound, AssertionError, ValueError, TypeError):
            found = None
        if len(patterns) >= 1000:  # Host headers vary: keep it bounded
            patterns.clear()
        patterns[key] = found
        return found

    @pass_context
    def url_for(context: dict[str, Any], name: str, /, **path_params: Any) -> URL:
        request: Request = context["request"]
        router = request.scope.get("router") or request.scope.get("app")
        found = None
        if all(isinstance(v, str) and _PLAIN_PARAM.match(v) for v in path_params.values()):
            found = pattern(router, str(request.base_url), name, tuple(sorted(path_params)))
        if found is None:
            url = request.url_for(name, **path_params)
        else:
            for key, value in path_params.items():
                found = found.replace(f"\x00{key}\x00", value)
            url = URL(found)
        if name.startswith(_TRANSLATED_ROUTES) and language_in_url(context):
            url = url.include_query_params(lang=i18n.current())
        return url

    return url_for


@pass_context
def local_time(context: Context, moment: datetime, fmt: str = "%b %-d, %Y %-I:%M %p") -> str:
    """A stored UTC time in the workspace's timezone: 'Dec 2, 2026 9:15 AM EST'."""
    zone = ZoneInfo(context["request"].state.settings.timezone)
    local = moment.astimezone(zone)
    return f"{local.strftime(fmt)} {local.tzname()}" if "%M" in fmt else local.strftime(fmt)


def make_templates(directory: Path) -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(directory),
        extensions=["jinja2.ext.i18n"],
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True
    )
    env.filters.update(
        tel_href=tel_href,
        day_and_clock=day_and_clock,
        miles=miles,
        sentence=sentence,
        clock=clock,
        local_time=local_time,
        facet_value_label=facet_value_label,
        field_value=field_value,
        tuple_label=lambda value, labels: (
            value,
            labels.get(value, value.replace("_", " ").capitalize()),
        ),
        urlencode_pairs=urlencode_pairs,
    )
    env.globals.update(
        DAY_NAMES=DAY_NAMES,
        FACET_LABELS=FACET_LABELS,
        FACET_PARAMS=FACET_PARAMS,
        CATEGORY_LABELS={c.value: label for c, label in CATEGORY_LABELS.items()},
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        map_url=map_url,
        CODE_LABELS=CODE_LABELS,
        facet_value_label=facet_value_label,
        url_for=make_url_for(),
        language=i18n.current,
        LANGUAGES=i18n.LANGUAGES,
        lang_url=lang_url,
        language_in_url=pass_context(language_in_url),
    )
    return Jinja2Templates(env=env)


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    """Render a template with the app's environment (pages pass their dataclass as `page`)."""
    templates: Jinja2Templates = request.app.state.templates
    response: Response = templates.TemplateResponse(request, name, context, status_code=status_code)
    return response
