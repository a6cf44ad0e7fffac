"""Page text in message catalogs: English message ids in the templates and code, Turkish
(the default) and English shown. Catalogs are read from their ``.po`` files when the app
starts, so there is no build step to forget."""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Final

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from starlette.requests import Request

LOCALES: Final = Path(__file__).parent / "locales"
LANGUAGES: Final = ("tr", "en")
DEFAULT: Final = "tr"
COOKIE: Final = "lang"


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalog of ``language``; English is the message ids themselves."""
    if language == "en":
        return gettext.NullTranslations()
    with (LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def for_request(request: Request) -> str:
    """The language the reader chose (its cookie), else Turkish."""
    return language_of(request.cookies.get(COOKIE))


def gettext_for(request: Request) -> Callable[[str], str]:
    """The reader's ``gettext``, for text a page's code writes."""
    return translations(for_request(request)).gettext


def language_of(cookie: str | None, query: str | None = None) -> str:
    """The language asked for in the query (a switch), else the cookie, else Turkish."""
    for choice in (query, cookie):
        if choice in LANGUAGES:
            return choice
    return DEFAULT
