"""The pages' `_`, `gettext`, `ngettext` and `pgettext` (directory.templating's, called without
the i18n extension's layers) say exactly what Jinja's own newstyle gettext says: the same
template sources give the same output under both, with autoescape on and off, in English and
in Spanish, for calls and for `{% trans %}` blocks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from jinja2 import Environment, StrictUndefined

from directory import i18n
from directory.config import PROJECT_ROOT
from directory.templating import make_templates

# What the sources fill in: values that must come out escaped where the page escapes.
VALUES: dict[str, Any] = {"place": "a&b", "miles": "<b>5</b>", "what": "<i>x</i>", "n": 3}

# (name, source, words the Spanish output holds: None where the message is not in the catalog)
CASES = [
    ("plain", '{{ _("Skip to main content") }}', "Saltar al contenido principal"),
    ("gettext", '{{ gettext("Skip to main content") }}', "Saltar al contenido principal"),
    ("escaped variables",
     '{{ _("Nothing found within %(miles)s miles of %(place)s", miles=miles, place=place) }}',
     "No se encontró nada"),
    ("markup in the message",
     '{{ _("Showing first: <strong>%(what)s</strong>.", what=what) }}', "Primero se muestra"),
    ("percent", '{{ _("100%% sure") }}', None),
    ("percent with variables", '{{ _("%(n)s%% of %(place)s", n=n, place=place) }}', None),
    ("ngettext one", '{{ ngettext("%(num)s listing", "%(num)s listings", 1) }}', "1 recurso"),
    ("ngettext num", '{{ ngettext("%(num)s listing", "%(num)s listings", n) }}', "3 recursos"),
    ("ngettext num=",
     '{{ ngettext("%(num)s listing", "%(num)s listings", n, num=what) }}', "recursos"),
    ("ngettext variables",
     '{{ ngettext("%(num)s listing within %(miles)s miles of %(place)s",'
     ' "%(num)s listings within %(miles)s miles of %(place)s", n, miles=miles, place=place) }}',
     "3 recursos a menos de"),
    ("pgettext", '{{ pgettext("open or closed", "Closed") }}', "Cerrado"),
    ("pgettext %(context)s", '{{ pgettext("a<b", "Closed (%(context)s)") }}', None),
    ("pgettext context=",
     '{{ pgettext("open or closed", "%(context)s %(n)s", context=place, n=n) }}', None),
    ("trans",
     "{% trans %}Nothing found within {{ miles }} miles of {{ place }}{% endtrans %}",
     "No se encontró nada"),
    ("trans percent", "{% trans %}100% sure of {{ place }}{% endtrans %}", None),
    ("trans pluralize num",
     "{% trans num=n %}Show {{ num }} listing within {{ miles }} miles{% pluralize %}"
     "Show {{ num }} listings within {{ miles }} miles{% endtrans %}", "Ver 3 recursos"),
    ("trans pluralize count",
     "{% trans count=n %}{{ count }} time near {{ place }}{% pluralize %}"
     "{{ count }} times near {{ place }}{% endtrans %}", None),
    ('trans "context"', '{% trans "open or closed" %}Closed{% endtrans %}', "Cerrado"),
    ('trans "context" with a variable',
     '{% trans "open or closed" %}Closed near {{ place }}, %(context)s{% endtrans %}', None),
    ("in a loop",
     '{% for x in [1, 2] %}{{ _("Skip to main content") }} '
     '{{ ngettext("%(num)s listing", "%(num)s listings", x) }};{% endfor %}', "1 recurso"),
]  # fmt: skip


def stock_environment() -> Environment:
    """Jinja's i18n extension with its own newstyle callables, the pages' other options."""
    env = Environment(
        extensions=["jinja2.ext.i18n"],
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext
    )
    return env


OURS = make_templates(PROJECT_ROOT / "templates").env
STOCK = stock_environment()


@pytest.fixture(params=["en", "es"])
def language(request: pytest.FixtureRequest) -> Iterator[str]:
    i18n.use(request.param)
    try:
        yield request.param
    finally:
        i18n.use(i18n.DEFAULT)


@pytest.mark.parametrize("autoescape", [True, False], ids=["autoescape", "no autoescape"])
@pytest.mark.parametrize(("source", "spanish"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_same_output_as_jinja_newstyle_gettext(
    source: str, spanish: str | None, autoescape: bool, language: str
) -> None:
    if not autoescape:
        source = f"{{% autoescape false %}}{source}{{% endautoescape %}}"
    ours = OURS.from_string(source).render(VALUES)
    assert ours == STOCK.from_string(source).render(VALUES)
    if language == "es" and spanish:
        assert spanish in ours
    if autoescape and "place" in source:
        assert "a&amp;b" in ours and "a&b" not in ours
    elif "place" in source:
        assert "a&b" in ours


def test_the_pages_use_these_callables() -> None:
    """The comparison above is of the pages' own functions, not the extension's."""
    for name in ("_", "gettext", "ngettext", "pgettext"):
        assert OURS.globals[name].__module__ == "directory.templating"
        assert STOCK.globals[name].__module__ == "jinja2.ext"
