"""Normalise contact details and coded answers as registrars type them.

Each function returns the value to store and, when something is off, a plain-words problem
(Turkish first, then English). Problems never quote phone numbers or e-mail addresses.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Generic, TypeVar
from zoneinfo import available_timezones

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers.timezone import time_zones_for_number

from campaigns.core.turkish_text import clean, fold

T = TypeVar("T")

DEFAULT_REGION = "TR"
DEFAULT_LANGUAGE = "tr"

_MOBILE_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)

_ZONES = frozenset(available_timezones())
_ZONES_BY_KEY = {zone.lower(): zone for zone in _ZONES}

INVALID_PHONE = "geçersiz telefon numarası; kaydedilmedi / invalid phone number: not stored"
LANDLINE = "sabit hat; SMS/WhatsApp alamaz / landline: cannot receive SMS or WhatsApp"
NOT_MOBILE = (
    "cep telefonu değil; SMS/WhatsApp alamaz / not a mobile number: cannot receive SMS or WhatsApp"
)
INVALID_EMAIL = "geçersiz e-posta adresi; kaydedilmedi / invalid e-mail address: not stored"


@dataclass(frozen=True, slots=True)
class Checked(Generic[T]):
    """A normalised value and, if the input was not quite right, why."""

    value: T
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class Phone:
    """A phone number in E.164 (``None`` if unusable) and whether it can get SMS/WhatsApp."""

    number: str | None
    is_mobile: bool
    problem: str | None = None
    zone: str | None = None
    """The number's time zone when it is abroad and has only one (None at home)."""


def normalise_phone(raw: str, region: str = DEFAULT_REGION) -> Phone:
    """``"0532 123 45 67"``, ``"+90 (532) 123-4567"``, ``"905321234567"`` → ``+905321234567``.

    Invalid numbers come back as ``None``; valid numbers that are not mobiles (landlines,
    0850 numbers) are kept with ``is_mobile=False`` and a problem saying so.
    """
    text = clean(raw)
    if not text:
        return Phone(None, False)
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return Phone(None, False, INVALID_PHONE)
    if not phonenumbers.is_valid_number(parsed):
        return Phone(None, False, INVALID_PHONE)
    number = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    zone = _zone_abroad(parsed, region)
    kind = phonenumbers.number_type(parsed)
    if kind in _MOBILE_TYPES:
        return Phone(number, True, zone=zone)
    if kind == phonenumbers.PhoneNumberType.FIXED_LINE:
        return Phone(number, False, LANDLINE, zone)
    return Phone(number, False, NOT_MOBILE, zone)


def _zone_abroad(parsed: phonenumbers.PhoneNumber, region: str) -> str | None:
    """A foreign number's time zone, when its country (or area) has just one."""
    if phonenumbers.region_code_for_number(parsed) == region:
        return None
    zones = [z for z in time_zones_for_number(parsed) if z in _ZONES]
    return zones[0] if len(zones) == 1 else None


def normalise_timezone(raw: str) -> Checked[str | None]:
    """An IANA time zone (``Europe/Berlin``, any letter case), or None with a problem."""
    text = clean(raw)
    if not text:
        return Checked(None)
    zone = _ZONES_BY_KEY.get(text.replace(" ", "_").lower())
    if zone is not None:
        return Checked(zone)
    return Checked(
        None,
        f"saat dilimi tanınmadı ({text!r}); kampanyanın saat dilimi kullanılacak. "
        f"Europe/Berlin gibi yazın / time zone not recognised ({text!r}): the campaign's is "
        f"used. Write it like Europe/Berlin",
    )


@lru_cache(maxsize=8192)
def normalise_email(raw: str) -> Checked[str | None]:
    """A syntactically valid address in normalised form, or ``None`` with a problem.

    Deliverability is not checked: no DNS look-ups during an import. Cached because the same
    addresses (advisors) recur on thousands of rows.
    """
    text = clean(raw)
    if not text:
        return Checked(None)
    try:
        return Checked(validate_email(text, check_deliverability=False).normalized)
    except EmailNotValidError:
        return Checked(None, INVALID_EMAIL)


_YES = frozenset({"yes", "y", "evet", "e", "true", "1", "x", "var", "dogru", "t"})
_NO = frozenset({"no", "n", "hayir", "h", "false", "0", "yok", "yanlis", "f"})
_CHECK_MARKS = frozenset({"✓", "✔", "☑"})


@lru_cache(maxsize=256)  # a column holds a handful of distinct answers
def parse_yes_no(raw: str) -> Checked[bool]:
    """Evet/hayır, yes/no, e/h, y/n, true/false, 1/0, x (yes); empty is no.

    Anything else is taken as *no*, with a problem: an unclear answer is not consent.
    """
    text = clean(raw)
    if not text:
        return Checked(False)
    if text in _CHECK_MARKS:
        return Checked(True)
    key = fold(text)
    if key in _YES:
        return Checked(True)
    if key in _NO:
        return Checked(False)
    return Checked(
        False,
        f"evet/hayır değeri tanınmadı ({text!r}); 'hayır' sayıldı / "
        f"yes/no value not recognised ({text!r}): taken as 'no'",
    )


_DEGREE_WORDS: dict[str, tuple[str, ...]] = {
    "önlisans": ("onlisans", "on lisans", "associate", "associates", "associate s"),
    "lisans": (
        "lisans",
        "bachelor",
        "bachelors",
        "bachelor s",
        "undergraduate",
        "ba",
        "bs",
        "bsc",
    ),
    "yüksek lisans": (
        "yuksek lisans",
        "yl",
        "master",
        "masters",
        "master s",
        "ma",
        "ms",
        "msc",
        "mba",
    ),
    "doktora": (
        "doktora",
        "dr",
        "phd",
        "ph d",
        "doctorate",
        "doctoral",
        "doctor",
        "sanatta yeterlik",
    ),
}
_DEGREES_BY_KEY = {key: degree for degree, keys in _DEGREE_WORDS.items() for key in keys}
# Qualifiers that do not change the level: "Yüksek Lisans (Tezli)", "Master's degree".
_DEGREE_NOISE = frozenset({"tezli", "tezsiz", "derecesi", "degree", "programi", "program"})


@lru_cache(maxsize=256)
def normalise_degree(raw: str) -> Checked[str]:
    """One of ``önlisans``, ``lisans``, ``yüksek lisans``, ``doktora``; unknown kept as given."""
    text = clean(raw)
    if not text:
        return Checked("", "öğrenim düzeyi boş / degree is missing")
    key = " ".join(word for word in fold(text).split() if word not in _DEGREE_NOISE)
    degree = _DEGREES_BY_KEY.get(key)
    if degree is not None:
        return Checked(degree)
    return Checked(
        text,
        f"öğrenim düzeyi tanınmadı ({text!r}); olduğu gibi kaydedildi / "
        f"degree not recognised ({text!r}): stored as given",
    )


_LANGUAGES_BY_KEY = {
    "tr": "tr",
    "tur": "tr",
    "turkce": "tr",
    "turkish": "tr",
    "en": "en",
    "eng": "en",
    "ingilizce": "en",
    "english": "en",
}


@lru_cache(maxsize=256)
def normalise_language(raw: str) -> Checked[str]:
    """``tr`` or ``en`` from codes or names in either language (``tr-TR``, ``İngilizce``)."""
    text = clean(raw)
    if not text:
        return Checked(DEFAULT_LANGUAGE)
    words = fold(text).split()
    language = _LANGUAGES_BY_KEY.get(words[0]) if words else None
    if language is not None:
        return Checked(language)
    return Checked(
        DEFAULT_LANGUAGE,
        f"dil tanınmadı ({text!r}); Türkçe (tr) sayıldı / "
        f"language not recognised ({text!r}): taken as Turkish (tr)",
    )
