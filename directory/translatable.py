"""`N_`: marks English words for translation where they are defined, for the modules that
directory/i18n.py itself builds on (models, meeting types). `make messages` finds the marked
words; a page translates them where it shows them (`_()`), in the language of the request."""

from __future__ import annotations


def N_(message: str) -> str:
    """The message as it is: marked for `make messages`, translated where it is shown."""
    return message
