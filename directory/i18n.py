"""English and Spanish: which language a request is answered in, and the translations.

The public and kiosk pages are translated (gettext catalogs in directory/locale, compiled from
the .po files by `make setup`); the workspace and admin pages are answered in English for now
through the same machinery. The language comes from `lang` in the URL (so a shared link or a
kiosk keeps it, with no cookie), else the browser's Accept-Language, else English.

The language of the request being answered lives in a context variable, so `_()` in Python and
in templates needs no request passed down.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from directory.models import InputError
from directory.translatable import N_ as N_

log = logging.getLogger(__name__)

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
DEFAULT = "en"
LANGUAGES = {"en": "English", "es": "Español"}
# Answered in English whatever the visitor asks for: pages not translated yet, and data.
ENGLISH_ONLY_PREFIXES = ("/work", "/admin", "/static", "/api", "/hsds", "/healthz", "/readyz")

_current: ContextVar[str] = ContextVar("language", default=DEFAULT)


def current() -> str:
    return _current.get()


def use(language: str) -> None:
    """Answer the rest of this request (this context) in `language`."""
    _current.set(language if language in LANGUAGES else DEFAULT)


def gettext(message: str) -> str:
    if not message:
        return message  # gettext("") is the catalog's header
    return _translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations(_current.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """A message whose words depend on where it is shown ("Closed": a meeting only for
    members, or a place shut now), told apart by `context`."""
    return str(_translations(_current.get()).pgettext(context, message))


_ = gettext


def from_url(value: str) -> str | None:
    """The `lang` parameter: a language we offer, or none when it is absent or empty."""
    code = value.strip().lower()
    if not code:
        return None
    if code not in LANGUAGES:
        offered = " or ".join(f"'{c}'" for c in LANGUAGES)
        raise InputError("lang", f"must be {offered}")
    return code


def from_header(accept_language: str) -> str:
    """The first language we offer in an Accept-Language header, by its weight, else English."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")[:32]):
        tag, _sep, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        code = tag.strip().lower().split("-")[0]
        if code in LANGUAGES and weight > 0:
            weighted.append((-weight, position, code))
    return min(weighted)[2] if weighted else DEFAULT


def translated(path: str) -> bool:
    return not path.startswith(ENGLISH_ONLY_PREFIXES)


def choose(path: str, lang_param: str, accept_language: str) -> tuple[str, bool]:
    """The language for a request and whether the URL chose it (links must then carry it)."""
    if not translated(path):
        return DEFAULT, False
    chosen = from_url(lang_param)
    if chosen is not None:
        return chosen, True
    return from_header(accept_language), False


def _translations(language: str) -> NullTranslations:
    return _catalog(language) if language != DEFAULT else _english()


@cache
def _english() -> NullTranslations:
    return NullTranslations()


@cache
def _catalog(language: str) -> NullTranslations:
    po = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    if not po.exists() and not mo.exists():
        log.warning("no %s catalog at %s: pages stay in English", language, po)
        return _english()
    if po.exists() and (not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime):
        # `make setup` compiles the catalogs; a .po edited since is compiled here once, and
        # where the code's folder cannot be written to (an installed package), in memory.
        try:
            log.info("compiling %s", mo)
            compile_catalog(po, mo)
        except OSError as error:
            log.info("compiling %s in memory (%s)", po, error)
            return Translations(BytesIO(compiled(po)), domain=DOMAIN)
    with mo.open("rb") as handle:
        return Translations(handle, domain=DOMAIN)


def compiled(po: Path) -> bytes:
    """A .po catalog as .mo bytes."""
    with po.open("rb") as source:
        catalog = read_po(source, locale=po.parent.parent.name)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def compile_catalog(po: Path, mo: Path) -> None:
    partial = mo.with_suffix(".mo.partial")
    partial.write_bytes(compiled(po))
    partial.replace(mo)
