"""Every text a page shows has its Turkish translation, and the catalog holds nothing else."""

from __future__ import annotations

from babel.messages.extract import extract_from_dir

from campaigns.web import i18n


def page_texts() -> set[str]:
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    found = extract_from_dir(i18n.LOCALES.parent, method_map, keywords={"_": None})
    return {message for _file, _line, message, _comments, _context in found}


def test_every_page_text_is_translated_to_turkish_and_none_is_left_over() -> None:
    texts = page_texts()
    catalog = i18n.translations("tr")
    assert len(texts) > 20
    # Compiled catalogs hold only translated entries (some, such as "SMS", stay as they are).
    translated = set(catalog._catalog) - {""}  # type: ignore[attr-defined]
    assert sorted(texts - translated) == []
    assert translated - texts == set()


def test_turkish_is_the_default_and_unknown_languages_fall_back_to_it() -> None:
    assert i18n.language_of(None) == "tr"
    assert i18n.language_of("de") == "tr"
    assert i18n.language_of("tr", query="en") == "en"
    assert i18n.translations("en").gettext("Sign in") == "Sign in"
    assert i18n.translations("tr").gettext("Sign in") == "Giriş yap"
