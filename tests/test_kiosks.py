"""Kiosk settings: read from the environment and DIRECTORY_KIOSKS_FILE, checked when the app
is made, every mistake named by its kiosk and field."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from directory.app import create_app
from directory.config import PROJECT_ROOT, Settings
from directory.kiosks import Kiosk, load, read_file

BASE = Settings(meili_search_key="unused")


def test_nothing_set_is_a_kiosk_with_no_place() -> None:
    kiosks = load(BASE)
    assert kiosks.default == Kiosk()
    assert kiosks.get("library") is None


def test_settings_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "kiosks.toml"
    path.write_text('[kiosks.library]\nplace = "Camden, NJ"\n', encoding="utf-8")
    settings = Settings.from_env(
        {
            "DIRECTORY_HOME": str(tmp_path),
            "DIRECTORY_KIOSK_PLACE": " 19104 ",
            "DIRECTORY_KIOSK_RADIUS_MI": "2.5",
            "DIRECTORY_KIOSK_LANGUAGE": "ES",
            "DIRECTORY_KIOSKS_FILE": str(path),
            "DIRECTORY_PUBLIC_BASE_URL": "https://directory.example.org/",
        }
    )
    kiosks = load(settings)
    assert kiosks.default == Kiosk(
        place="19104",
        radius_mi=2.5,
        language="es",
        public_base_url="https://directory.example.org",
    )
    # A kiosk of the file takes the directory's site for its QR codes unless it names its own.
    assert kiosks.get("library") == Kiosk(
        name="library",
        place="Camden, NJ",
        public_base_url="https://directory.example.org",
    )


def test_a_radius_that_is_not_a_number_is_named() -> None:
    with pytest.raises(ValueError, match=r"^DIRECTORY_KIOSK_RADIUS_MI: 'far' is not a number"):
        Settings.from_env({"DIRECTORY_KIOSK_RADIUS_MI": "far"})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kiosk_place": "00000"}, "DIRECTORY_KIOSK_PLACE: unknown ZIP code 00000"),
        ({"kiosk_place": "Atlantis, ZZ"}, "DIRECTORY_KIOSK_PLACE: 'ZZ' is not a US state code"),
        ({"kiosk_radius_mi": 0.1}, "DIRECTORY_KIOSK_RADIUS_MI: must be between 0.5 and 100"),
        ({"kiosk_radius_mi": float("nan")}, "DIRECTORY_KIOSK_RADIUS_MI: must be a finite number"),
        ({"kiosk_language": "fr"}, "DIRECTORY_KIOSK_LANGUAGE: 'fr' is not offered: 'en' or 'es'"),
    ],
)
def test_the_default_kiosks_mistakes_name_the_variable(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(")):
        load(replace(BASE, **changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[kiosks.Library]\nplace = "19104"', "kiosk 'Library': a kiosk's name must be lower-case"),
        ("[kiosks.lib-]", "kiosk 'lib-': a kiosk's name must be"),
        (f"[kiosks.{'a' * 41}]", "a kiosk's name must be lower-case letters, digits and hyphens"),
        ("[kiosks.search]", "kiosk 'search': this name is taken by the kiosk at /kiosk's own"),
        ("[kiosks.take]", "kiosk 'take': this name is taken"),
        ("[kiosks.lib]\nradius = 5", "kiosk 'lib': unknown field 'radius' (the fields are place,"),
        ("[kiosks.lib]\nplace = 19104", "kiosk 'lib': place: must be text"),
        ('[kiosks.lib]\nplace = "Atlantis, ZZ"', "kiosk 'lib': place: 'ZZ' is not a US state code"),
        ('[kiosks.lib]\nplace = "99999"', "kiosk 'lib': place: unknown ZIP code 99999"),
        ("[kiosks.lib]\nradius_mi = 500", "kiosk 'lib': radius_mi: must be between 0.5 and 100"),
        ('[kiosks.lib]\nradius_mi = "5"', "kiosk 'lib': radius_mi: must be a number of miles"),
        ("[kiosks.lib]\nradius_mi = true", "kiosk 'lib': radius_mi: must be a number of miles"),
        ('[kiosks.lib]\nlanguage = "fr"', "kiosk 'lib': language: 'fr' is not offered"),
        (
            '[kiosks.lib]\npublic_base_url = "phone.example.org"',
            "kiosk 'lib': public_base_url: 'phone.example.org' is not a web address",
        ),
        ("kiosks = 3", "'kiosks' must be tables"),
        ("[kiosks]\nlib = 3", "kiosk 'lib': must be a table of settings"),
        ("[kiosk.lib]", "unknown table 'kiosk': kiosks are [kiosks.<name>] tables"),
        ("[kiosks.lib", "is not valid TOML"),
    ],
)
def test_a_kiosk_files_mistakes_name_the_kiosk_and_field(
    tmp_path: Path, toml: str, message: str
) -> None:
    path = tmp_path / "kiosks.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ValueError) as raised:
        read_file(path)
    assert str(raised.value).startswith(f"DIRECTORY_KIOSKS_FILE ({path}): ")
    assert message in str(raised.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"DIRECTORY_KIOSKS_FILE \(.*nope.toml\): cannot be read"):
        load(replace(BASE, kiosks_file=tmp_path / "nope.toml"))


def test_the_app_refuses_to_start_with_a_wrong_kiosk(tmp_path: Path) -> None:
    path = tmp_path / "kiosks.toml"
    path.write_text('[kiosks.library]\nplace = "Springfield"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="kiosk 'library': place: give a 5-digit ZIP code"):
        create_app(replace(BASE, kiosks_file=path))


def test_the_example_file_is_valid() -> None:
    kiosks = read_file(PROJECT_ROOT / "examples" / "kiosks.toml")
    assert [k.name for k in kiosks] == ["central-library", "camden-dropin"]
    assert kiosks[1] == Kiosk(
        name="camden-dropin",
        place="Camden, NJ",
        radius_mi=2,
        language="es",
        public_base_url="https://directory.example.org",
    )
