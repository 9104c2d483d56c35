"""Jinja2 environment: autoescaped templates, filters for phones, distances and hours, and the
words pages make in Python, in the language of the request (directory/i18n.py)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload
from urllib.parse import quote_plus, urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_day_names
from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    pass_context,
    pass_eval_context,
    select_autoescape,
)
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import NoMatchFound
from starlette.templating import Jinja2Templates

from directory import i18n
from directory.i18n import N_
from directory.models import CATEGORY_LABELS, Category, InputError
from directory.referral_rules import CODE_LABELS

if TYPE_CHECKING:
    from directory.search.hints import Offer
    from directory.search.intents import Understood

# Words a page shows are in English here, marked for translation (N_), and translated where a
# page shows them, in the language of the request (the template globals below do it as read).
DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
FACET_LABELS = {
    "category": N_("Category"),
    "languages": N_("Language"),
    "populations": N_("Who it serves"),
    "cost": N_("Cost"),
    "accessibility": N_("Accessibility"),
    "attendance": N_("Attendance"),
    "peer_run": N_("Peer-run"),
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
    "en": N_("English"), "es": N_("Spanish"), "vi": N_("Vietnamese"), "zh": N_("Chinese"),
    "ru": N_("Russian"), "ar": N_("Arabic"), "fr": N_("French"), "ht": N_("Haitian Creole"),
    "ko": N_("Korean"), "pl": N_("Polish"), "pt": N_("Portuguese"), "so": N_("Somali"),
    "tl": N_("Tagalog"), "asl": N_("ASL"),
}  # fmt: skip
# The values of the other facets in words (a value not here: its own words, capitalised).
VALUE_LABELS: dict[str, dict[str, str]] = {
    "populations": {
        "veterans": N_("Veterans"), "youth": N_("Youth"), "young_adults": N_("Young adults"),
        "seniors": N_("Seniors"), "women": N_("Women"), "men": N_("Men"), "lgbtq": "LGBTQ+",
        "families": N_("Families"), "justice_involved": N_("Justice involved"),
        "people_with_disabilities": N_("People with disabilities"),
        "people_experiencing_homelessness": N_("People experiencing homelessness"),
        "people_in_recovery": N_("People in recovery"), "immigrants": N_("Immigrants"),
    },
    "cost": {
        "free": N_("Free"), "sliding_scale": N_("Sliding scale"), "insurance": N_("Insurance"),
        "medicaid": "Medicaid", "medicare": "Medicare", "fee": N_("Fee"),
        "donation": N_("Donation"),
    },
    "accessibility": {
        "wheelchair": N_("Wheelchair"), "asl": N_("ASL interpretation"),
        "interpreter": N_("Interpreter"), "transit_nearby": N_("Transit nearby"),
        "parking": N_("Parking"), "childcare": N_("Childcare"),
    },
    "attendance": {"in_person": N_("In person"), "online": N_("Online"), "hybrid": N_("Hybrid")},
}  # fmt: skip


class TranslatedLabels(Mapping[str, str]):
    """Labels as a page reads them: each translated, when read, into the request's language."""

    def __init__(self, labels: Mapping[str, str]) -> None:
        self._labels = labels

    def __getitem__(self, key: str) -> str:
        return i18n.gettext(self._labels[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._labels)

    def __len__(self) -> int:
        return len(self._labels)


class DayNames(Sequence[str]):
    """DAY_NAMES (Sunday first) as a page reads them: in the request's language."""

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [day_name(i) for i in range(len(DAY_NAMES))[index]]
        return day_name(index)

    def __len__(self) -> int:
        return len(DAY_NAMES)


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


def day_name(day: int) -> str:
    """A day of the week (0 = Sunday) in the request's language: 'Monday', 'lunes'."""
    language = i18n.current()
    if language == i18n.DEFAULT:
        return DAY_NAMES[day]
    return str(get_day_names("wide", locale=language)[(day + 6) % 7])  # Babel's: Monday first


def day_and_clock(moment: datetime) -> str:
    """A local time as people say it: 'Monday 7:30 PM', 'lunes 19:30'."""
    return f"{day_name((moment.weekday() + 1) % 7)} {clock(moment.strftime('%H:%M'))}"


def clock(value: str) -> str:
    """'19:30' → '7:30 PM' ('19:30' in Spanish); '24:00' → 'midnight'."""
    if value in ("24:00", "00:00"):
        return i18n.gettext("midnight")
    hours, minutes = (int(p) for p in value.split(":"))
    language = i18n.current()
    if language != i18n.DEFAULT:
        return format_time(time(hours, minutes), format="short", locale=language)
    suffix = "AM" if hours < 12 else "PM"
    return f"{(hours % 12) or 12}:{minutes:02d} {suffix}"


def long_date(day: date) -> str:
    """A day as people write it: 'December 2, 2026', '2 de diciembre de 2026'."""
    return format_date(day, format="long", locale=i18n.current())


def facet_value_label(facet: str, value: str) -> str:
    """A facet's value in words, in the request's language."""
    if facet == "category" and value in Category._value2member_map_:
        return i18n.gettext(CATEGORY_LABELS[Category(value)])
    if facet == "peer_run":
        return i18n.gettext(N_("Peer-run") if value == "true" else N_("Not peer-run"))
    label = (LANGUAGE_NAMES if facet == "languages" else VALUE_LABELS.get(facet, {})).get(value)
    if label is not None:
        return i18n.gettext(label)
    return value if facet == "languages" else value.replace("_", " ").capitalize()


def translated(message: str) -> str:
    """Words marked for translation where they were defined (N_), in the request's language.
    Plain text, escaped where shown (unlike `_()`, whose text is the page's own markup)."""
    return i18n.gettext(message)


def understood_label(understood: Understood) -> str:
    """What a search was understood to ask for, in the request's language: 'Housing · for
    veterans', 'Vivienda · para veteranos'."""
    return " · ".join(understood.label_parts_in(i18n.gettext))


def offer_label(offer: Offer) -> str:
    """The words of a search an empty page offers instead, in the request's language (words
    to search for stay as they are)."""
    if offer.understood is not None:
        return understood_label(offer.understood)
    return i18n.gettext(offer.label)


def problem(error: InputError) -> str:
    """What is wrong with a field, in the request's language."""
    text = i18n.gettext(error.message)
    return text % error.params if error.params else text


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
    for each value, and plain values (ids) are put in its place. Any other value, or a route a
    stand-in does not fit, goes the usual way once and is remembered: those are the few files
    every page links to (`static`, path="/site.css")."""

    patterns: dict[tuple[int, str, str, tuple[str, ...]], str | None] = {}
    found_urls: dict[tuple[int, str, str, tuple[tuple[str, Any], ...]], str] = {}

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

    def looked_up(request: Request, router: Any, name: str, path_params: dict[str, Any]) -> str:
        params = tuple(sorted(path_params.items()))
        if not all(isinstance(v, str) and len(v) <= 200 for _, v in params):
            return str(request.url_for(name, **path_params))
        key = (id(router), str(request.base_url), name, params)
        if key not in found_urls:
            if len(found_urls) >= 1000:
                found_urls.clear()
            found_urls[key] = str(request.url_for(name, **path_params))
        return found_urls[key]

    @pass_context
    def url_for(context: dict[str, Any], name: str, /, **path_params: Any) -> URL:
        request: Request = context["request"]
        router = request.scope.get("router") or request.scope.get("app")
        found = None
        if all(isinstance(v, str) and _PLAIN_PARAM.match(v) for v in path_params.values()):
            found = pattern(router, str(request.base_url), name, tuple(sorted(path_params)))
        if found is None:
            url = URL(looked_up(request, router, name, path_params))
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


# The i18n extension's "newstyle" gettext, ngettext and pgettext, called directly: the same
# results (the translation marked safe where the template escapes, then its %(name)s filled in
# with escaped values), without the extension's layers of `Context.call` around each message;
# a page makes about a hundred of them.
@pass_eval_context
def template_gettext(eval_ctx: EvalContext, message: str, /, **variables: Any) -> str:
    return _filled(eval_ctx, i18n.gettext(message), variables)


@pass_eval_context
def template_ngettext(
    eval_ctx: EvalContext, singular: str, plural: str, num: int, /, **variables: Any
) -> str:
    variables.setdefault("num", num)
    return _filled(eval_ctx, i18n.ngettext(singular, plural, num), variables)


@pass_eval_context
def template_pgettext(
    eval_ctx: EvalContext, context: str, message: str, /, **variables: Any
) -> str:
    variables.setdefault("context", context)
    return _filled(eval_ctx, i18n.pgettext(context, message), variables)


def _filled(eval_ctx: EvalContext, translated: str, variables: dict[str, Any]) -> str:
    # Messages come from our own catalogs and may hold markup (<strong>); what fills them in
    # is escaped by Markup's %.
    return (Markup(translated) if eval_ctx.autoescape else translated) % variables  # noqa: S704


def make_templates(directory: Path, *, reload: bool = False) -> Jinja2Templates:
    """The pages' Jinja2 environment. Templates are read once; with `reload` (debug) they are
    checked for changes on every use, as when editing them."""
    env = Environment(
        loader=FileSystemLoader(directory),
        auto_reload=reload,
        extensions=["jinja2.ext.i18n"],
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext
    )
    env.globals.update(_=template_gettext, gettext=template_gettext)
    env.globals.update(ngettext=template_ngettext, pgettext=template_pgettext)
    env.filters.update(
        tel_href=tel_href,
        day_and_clock=day_and_clock,
        miles=miles,
        sentence=sentence,
        clock=clock,
        long_date=long_date,
        local_time=local_time,
        facet_value_label=facet_value_label,
        field_value=field_value,
        tuple_label=lambda value, labels: (
            value,
            labels.get(value, value.replace("_", " ").capitalize()),
        ),
        urlencode_pairs=urlencode_pairs,
        translated=translated,
        problem=problem,
    )
    env.globals.update(
        DAY_NAMES=DayNames(),
        FACET_LABELS=TranslatedLabels(FACET_LABELS),
        FACET_PARAMS=FACET_PARAMS,
        CATEGORY_LABELS=TranslatedLabels({c.value: label for c, label in CATEGORY_LABELS.items()}),
        LANGUAGE_NAMES=TranslatedLabels(LANGUAGE_NAMES),
        map_url=map_url,
        CODE_LABELS=CODE_LABELS,
        facet_value_label=facet_value_label,
        url_for=make_url_for(),
        language=i18n.current,
        LANGUAGES=i18n.LANGUAGES,
        lang_url=lang_url,
        language_in_url=pass_context(language_in_url),
        understood_label=understood_label,
        offer_label=offer_label,
    )
    return Jinja2Templates(env=env)


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    """Render a template with the app's environment (pages pass their dataclass as `page`)."""
    templates: Jinja2Templates = request.app.state.templates
    response: Response = templates.TemplateResponse(request, name, context, status_code=status_code)
    return response
