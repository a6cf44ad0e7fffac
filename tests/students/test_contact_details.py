"""Normalising phone numbers, e-mail addresses and coded answers from registrars' lists."""

from __future__ import annotations

import pytest

from campaigns.students.contact_details import (
    INVALID_EMAIL,
    INVALID_PHONE,
    LANDLINE,
    NOT_MOBILE,
    normalise_degree,
    normalise_email,
    normalise_language,
    normalise_phone,
    parse_yes_no,
)


@pytest.mark.parametrize(
    "raw",
    [
        "0532 123 45 67",
        "5321234567",
        "+90 (532) 123-4567",
        "0090 532 123 45 67",
        "905321234567",
        "+905321234567",
        "0(532)1234567",
        " 0532-123-45-67 ",
    ],
)
def test_turkish_mobile_spellings_give_one_e164_number(raw: str) -> None:
    phone = normalise_phone(raw)

    assert phone.number == "+905321234567"
    assert phone.is_mobile is True
    assert phone.problem is None


def test_foreign_mobile_is_kept_in_e164() -> None:
    phone = normalise_phone("+49 151 23456789")

    assert (phone.number, phone.is_mobile, phone.problem) == ("+4915123456789", True, None)


def test_landline_is_stored_but_flagged_as_unable_to_get_sms() -> None:
    phone = normalise_phone("0212 123 45 67")

    assert phone.number == "+902121234567"
    assert phone.is_mobile is False
    assert phone.problem == LANDLINE
    assert LANDLINE.startswith("sabit hat")
    assert "SMS" in LANDLINE
    assert "WhatsApp" in LANDLINE


def test_other_non_mobile_numbers_are_flagged() -> None:
    phone = normalise_phone("0850 123 45 67")

    assert (phone.number, phone.is_mobile, phone.problem) == ("+908501234567", False, NOT_MOBILE)


@pytest.mark.parametrize("raw", ["532 123 45", "abc", "0532 123 45 67 dahili 12", "12"])
def test_invalid_numbers_are_dropped_with_a_problem_that_does_not_quote_them(raw: str) -> None:
    phone = normalise_phone(raw)

    assert (phone.number, phone.is_mobile, phone.problem) == (None, False, INVALID_PHONE)
    assert not any(ch.isdigit() for ch in INVALID_PHONE)


def test_empty_phone_is_no_phone_and_no_problem() -> None:
    assert normalise_phone("  ") == normalise_phone("")
    assert (normalise_phone("").number, normalise_phone("").problem) == (None, None)


def test_email_domain_is_normalised_and_local_part_kept() -> None:
    checked = normalise_email("  Ayse.Yilmaz@Example.EDU.TR ")

    assert checked.value == "Ayse.Yilmaz@example.edu.tr"
    assert checked.problem is None


@pytest.mark.parametrize("raw", ["ayse@", "ayse yilmaz@example.com", "ayse@@example.com", "x"])
def test_invalid_email_is_dropped_with_a_problem(raw: str) -> None:
    checked = normalise_email(raw)

    assert checked.value is None
    assert checked.problem == INVALID_EMAIL
    assert "@" not in INVALID_EMAIL


def test_empty_email_is_none_without_problem() -> None:
    assert normalise_email("") == normalise_email("   ")
    assert normalise_email("").value is None
    assert normalise_email("").problem is None


@pytest.mark.parametrize(
    "raw",
    ["yes", "YES", "Evet", "EVET", "evet", "e", "E", "y", "true", "TRUE", "1", "x", "X", "✓"],
)
def test_yes_spellings(raw: str) -> None:
    assert (parse_yes_no(raw).value, parse_yes_no(raw).problem) == (True, None)


@pytest.mark.parametrize(
    "raw", ["no", "NO", "Hayır", "HAYIR", "hayır", "Hayir", "h", "n", "false", "0", "", "  "]
)
def test_no_spellings(raw: str) -> None:
    assert (parse_yes_no(raw).value, parse_yes_no(raw).problem) == (False, None)


@pytest.mark.parametrize("raw", ["belki", "?", "2", "evet hayır"])
def test_unclear_answer_is_no_with_a_problem(raw: str) -> None:
    checked = parse_yes_no(raw)

    assert checked.value is False
    assert checked.problem is not None
    assert "tanınmadı" in checked.problem
    assert "taken as 'no'" in checked.problem


@pytest.mark.parametrize(
    ("raw", "degree"),
    [
        ("önlisans", "önlisans"),
        ("Ön Lisans", "önlisans"),
        ("ONLISANS", "önlisans"),
        ("Associate", "önlisans"),
        ("lisans", "lisans"),
        ("LİSANS", "lisans"),
        ("Bachelor", "lisans"),
        ("Bachelor's degree", "lisans"),
        ("Undergraduate", "lisans"),
        ("yüksek lisans", "yüksek lisans"),
        ("Yuksek Lisans", "yüksek lisans"),
        ("YÜKSEK LİSANS (Tezli)", "yüksek lisans"),
        ("YL", "yüksek lisans"),
        ("Master", "yüksek lisans"),
        ("master's", "yüksek lisans"),
        ("doktora", "doktora"),
        ("DR", "doktora"),
        ("PhD", "doktora"),
        ("Ph.D.", "doktora"),
        ("Doctorate", "doktora"),
    ],
)
def test_degree_variants_are_canonical(raw: str, degree: str) -> None:
    assert (normalise_degree(raw).value, normalise_degree(raw).problem) == (degree, None)


def test_unknown_degree_is_kept_as_given_with_a_problem() -> None:
    checked = normalise_degree(" Tıpta Uzmanlık ")

    assert checked.value == "Tıpta Uzmanlık"
    assert checked.problem is not None
    assert "stored as given" in checked.problem


def test_missing_degree_is_flagged() -> None:
    assert normalise_degree("").value == ""
    assert normalise_degree("").problem == "öğrenim düzeyi boş / degree is missing"


@pytest.mark.parametrize(
    ("raw", "language"),
    [
        ("tr", "tr"),
        ("TR", "tr"),
        ("Türkçe", "tr"),
        ("TÜRKÇE", "tr"),
        ("Turkish", "tr"),
        ("tr-TR", "tr"),
        ("en", "en"),
        ("EN", "en"),
        ("İngilizce", "en"),
        ("INGILIZCE", "en"),
        ("English", "en"),
        ("ENGLISH", "en"),
    ],
)
def test_language_variants(raw: str, language: str) -> None:
    assert (normalise_language(raw).value, normalise_language(raw).problem) == (language, None)


def test_language_defaults_to_turkish() -> None:
    assert (normalise_language("").value, normalise_language("").problem) == ("tr", None)

    unknown = normalise_language("Deutsch")
    assert unknown.value == "tr"
    assert unknown.problem is not None
    assert "taken as Turkish" in unknown.problem
