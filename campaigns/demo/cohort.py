"""An invented graduating cohort, as the registrar's English-header export would list it."""

from __future__ import annotations

import csv
import random
from pathlib import Path

TERM = "2019-2020 Bahar"

FIRST_NAMES = (
    "Ayşe",
    "Mehmet",
    "Zeynep",
    "Mustafa",
    "Elif",
    "Emre",
    "Büşra",
    "Oğuz",
    "İrem",
    "Çağrı",
    "Gökçe",
    "Burak",
    "Şeyma",
    "Ilgın",
    "Kaan",
    "Ece",
    "Furkan",
    "Özge",
    "Umut",
    "Merve",
)
LAST_NAMES = (
    "Yılmaz",
    "Kaya",
    "Demir",
    "Şahin",
    "Çelik",
    "Yıldız",
    "Öztürk",
    "Aydın",
    "Arslan",
    "Doğan",
    "Kılıç",
    "Aslan",
    "Çetin",
    "Koç",
    "Kurt",
    "Özdemir",
    "Işık",
    "Güneş",
    "Ateş",
    "Erdoğan",
)
FACULTIES = {
    "Mühendislik Fakültesi": (
        "Bilgisayar Mühendisliği",
        "Elektrik-Elektronik Mühendisliği",
        "İnşaat Mühendisliği",
    ),
    "Fen Edebiyat Fakültesi": ("Kimya", "Matematik"),
}
ADVISORS = (
    ("Dr. Öğr. Üyesi Selin Akın", "selin.akin"),
    ("Doç. Dr. Tolga Uçar", "tolga.ucar"),
    ("Prof. Dr. Nazlı İnan", "nazli.inan"),
)
COLUMNS = (
    "student_no",
    "first_name",
    "last_name",
    "faculty",
    "department",
    "degree",
    "advisor_name",
    "advisor_email",
    "email",
    "personal_email",
    "mobile",
    "whatsapp_opt_in",
    "contact_consent",
    "language",
    "graduation_term",
)


def synthetic_cohort(size: int, seed: int = 2020) -> list[dict[str, str]]:
    """Invented graduating students, as the registrar's English-header export would list
    them: most reachable everywhere, some without consent, a landline, no personal email,
    no WhatsApp opt-in, a few who prefer English."""
    rng = random.Random(seed)  # noqa: S311 - invented data, not security
    rows = []
    for index in range(size):
        number = str(19_100_000 + index)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        faculty = rng.choices(list(FACULTIES), weights=(4, 1))[0]
        advisor, handle = rng.choice(ADVISORS)
        ascii_first = first.translate(str.maketrans("çğıİöşüÇĞÖŞÜ", "cgiIosuCGOSU")).lower()
        landline = rng.random() < 0.04
        rows.append(
            {
                "student_no": number,
                "first_name": first,
                "last_name": last,
                "faculty": faculty,
                "department": rng.choice(FACULTIES[faculty]),
                "degree": rng.choices(["lisans", "yüksek lisans", "doktora"], (8, 2, 1))[0],
                "advisor_name": advisor,
                "advisor_email": f"{handle}@universite.example.edu.tr",
                "email": f"{number}@ogr.universite.example.edu.tr",
                "personal_email": ""
                if rng.random() < 0.3
                else f"{ascii_first}.{number}@example.com",
                "mobile": f"0362 {rng.randint(100, 999)} {rng.randint(10, 99)} 00"
                if landline
                else f"05{rng.choice('0345')}{rng.randint(0, 9)} {rng.randint(100, 999)} "
                f"{rng.randint(10, 99)} {rng.randint(10, 99)}",
                "whatsapp_opt_in": "evet" if rng.random() < 0.7 else "hayır",
                "contact_consent": "evet" if rng.random() < 0.95 else "hayır",
                "language": "en" if rng.random() < 0.05 else "tr",
                "graduation_term": TERM,
            }
        )
    return rows


def write_cohort(path: Path, rows: list[dict[str, str]]) -> None:
    """The cohort as CSV, plus two flawed rows of the kind real exports contain."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
        writer.writerow({**rows[0], "student_no": "", "first_name": "Numarasız"})
        writer.writerow({**rows[1], "student_no": "19199999", "mobile": "532 123 45"})
