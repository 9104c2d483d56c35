"""Every word of the public and kiosk pages has its Spanish: the messages extracted from the
templates and the Python marked for translation (babel.cfg) are all in the Spanish catalog,
translated, with the same placeholders; and the catalog compiles."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from directory import i18n
from directory.config import PROJECT_ROOT

CATALOG = i18n.LOCALE_DIR / "es" / "LC_MESSAGES" / "messages.po"
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%s|%d")


def _method_map() -> tuple[list[tuple[str, str]], dict[str, dict[str, str]]]:
    """babel.cfg's sections, as `extract_from_dir` takes them."""
    methods: list[tuple[str, str]] = []
    options: dict[str, dict[str, str]] = {}
    section = None
    for line in (PROJECT_ROOT / "babel.cfg").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            method, _, pattern = line[1:-1].partition(":")
            section = pattern.strip()
            methods.append((section, method.strip()))
            options[section] = {}
        elif "=" in line and section and not line.startswith("#"):
            key, _, value = line.partition("=")
            options[section][key.strip()] = value.strip()
    return methods, options


def extracted() -> dict[str, list[str]]:
    """msgid → where it is used, for every message the pages can show. A message told apart
    by a context (pgettext) is known by both, joined as gettext joins them ("\\x04")."""
    methods, options = _method_map()
    keywords = {
        "_": None,
        "gettext": None,
        "ngettext": (1, 2),
        "N_": None,
        "pgettext": ((1, "c"), 2),
    }
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        PROJECT_ROOT, methods, options, keywords=keywords
    ):
        # A plural message is known by its singular (the catalog's key for all its forms).
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            key = f"{context}\x04{msgid}" if context else msgid
            found.setdefault(key, []).append(f"{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def spanish() -> Catalog:
    with CATALOG.open("rb") as handle:
        return read_po(handle, locale="es")


def test_every_message_of_the_pages_has_a_spanish_translation(spanish: Catalog) -> None:
    missing = []
    for key, places in sorted(extracted().items()):
        context, _, msgid = key.rpartition("\x04")
        message = spanish.get(msgid, context=context or None)
        strings = message.string if message else None
        texts = strings if isinstance(strings, tuple) else (strings,)
        if message is None or message.fuzzy or not all(texts):
            missing.append(f"{msgid!r} ({places[0]})")
    assert not missing, (
        f"{len(missing)} message(s) without Spanish in {CATALOG.relative_to(PROJECT_ROOT)} "
        "(run `make messages`, then translate):\n" + "\n".join(missing[:40])
    )


def test_translations_keep_the_placeholders_and_the_markup(spanish: Catalog) -> None:
    wrong = []
    for message in spanish:
        translated = message.string if isinstance(message.string, tuple) else (message.string,)
        if not message.id or not any(translated):
            continue  # untranslated: the test above names it
        ids = [str(i) for i in (message.id if isinstance(message.id, tuple) else (message.id,))]
        strings = [
            str(s)
            for s in (message.string if isinstance(message.string, tuple) else (message.string,))
        ]
        wanted = sorted(_PLACEHOLDER.findall(ids[-1]))
        tags = sorted(re.findall(r"<(\w+)", ids[-1]))
        for text in strings:
            if sorted(_PLACEHOLDER.findall(text)) != wanted:
                wrong.append(f"{ids[0]!r}: placeholders {wanted} became {text!r}")
            if sorted(re.findall(r"<(\w+)", text)) != tags:
                wrong.append(f"{ids[0]!r}: tags {tags} became {text!r}")
    assert not wrong, "\n".join(wrong)


def test_the_catalog_compiles_and_is_used(tmp_path: Path) -> None:
    mo = tmp_path / "messages.mo"
    i18n.compile_catalog(CATALOG, mo)
    assert mo.stat().st_size > 0
    i18n.use("es")
    try:
        assert i18n.gettext("Skip to main content") == "Saltar al contenido principal"
    finally:
        i18n.use("en")
    assert i18n.gettext("Skip to main content") == "Skip to main content"


def test_a_catalog_that_cannot_be_written_is_compiled_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An installed copy whose folder the app may not write to still answers in Spanish."""
    folder = tmp_path / "es" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    shutil.copy(CATALOG, folder / "messages.po")
    (folder / "messages.mo.partial").mkdir()  # where the compiled catalog would be written
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n._catalog.cache_clear()
    i18n.use("es")
    try:
        assert i18n.gettext("Skip to main content") == "Saltar al contenido principal"
        assert not (folder / "messages.mo").exists()
    finally:
        i18n.use("en")
        i18n._catalog.cache_clear()
