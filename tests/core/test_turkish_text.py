"""Turkish text: İ/ı cased the Turkish way, whitespace cleaned, keys folded for matching."""

from __future__ import annotations

import unicodedata

import pytest

from campaigns.core.turkish_text import clean, fold, turkish_lower, turkish_upper


def test_clean_trims_folds_whitespace_and_normalises() -> None:
    decomposed = unicodedata.normalize("NFD", "Işık")
    assert clean(f"\u00a0 {decomposed}\t\n Çelik  ") == "Işık Çelik"
    assert clean(None) == ""
    assert clean(2019) == "2019"


@pytest.mark.parametrize(
    "spelling",
    ["ÖĞRENCİ NO", "Öğrenci No", "OGRENCI NO", "ogrenci-no", " öğrenci   no. "],
)
def test_every_spelling_of_a_header_folds_to_one_key(spelling: str) -> None:
    assert fold(spelling) == "ogrenci no"


def test_dotted_and_dotless_i_meet_in_a_key_but_case_the_turkish_way() -> None:
    assert fold("IŞIK") == fold("ışık") == fold("işik") == "isik"
    assert turkish_upper("işık") == "İŞIK"
    assert turkish_lower("İSTANBUL IĞDIR") == "istanbul ığdır"
